// The workflow playbooks on devcloud through real ansible-playbook: 01 (stack with merged parameters,
// outputs file; a restore refused before anything is created when no set fits or a MAC differs),
// 04 (refuses an unprepared deployment plainly; saves the set, or what a failed run left).
// Servers here have no NICs (devcloud's networking is another helper's work), so 01's restore is
// checked up to the stack it would create; the full cycle needs the devcloud-* scenarios.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { load } from 'js-yaml';
import {
  bigImage,
  bootDeployment,
  cleanup,
  type Deployment,
  devcloudConnection,
  devcloudEnv,
  imagesNamedFor,
  imagesOfSet,
  uniqueSuffix,
} from '../../labs/devcloud/devcloud.ts';
import type { Connection } from '../../lib/openstack/connect.ts';
import { ROOT, runModuleTask, runPlaybook } from '../helpers/ansible.ts';

type Json = Record<string, unknown>;
const run = uniqueSuffix();

describe('workflow playbooks on devcloud', { timeout: 900_000 }, () => {
  let conn: Connection;
  const deployments: Deployment[] = [];
  const stacks: string[] = [];
  const workDir = mkdtempSync(join(tmpdir(), 'hotstack-work-'));
  const playbook = (name: string, extraVars: Json, check = false) =>
    runPlaybook(join(ROOT, 'playbooks', name), { env: devcloudEnv(), check, extraVars: { hotstack_work_dir: workDir, ...extraVars } });

  before(() => {
    conn = devcloudConnection();
  });
  after(async () => {
    for (const deployment of deployments) await cleanup(conn, deployment);
    for (const name of stacks) {
      const stack = await conn.heat.getStack(name).catch(() => undefined);
      if (stack) await conn.heat.deleteStack(stack.stack_name, stack.id).catch(() => {});
    }
    rmSync(workDir, { recursive: true, force: true });
  });

  test('01 creates the stack from stack_parameters recursively overridden, and writes every output', async () => {
    const template = join(workDir, 'values.yaml');
    writeFileSync(
      template,
      `heat_template_version: rocky
parameters:
  controller_params: {type: json}
  dns_servers: {type: comma_delimited_list, default: []}
resources:
  controller: {type: OS::Heat::Value, properties: {value: {get_param: controller_params}}}
outputs:
  controller_params: {value: {get_attr: [controller, value]}}
  dns_servers: {value: {get_param: dns_servers}}
  controller_ansible_host: {value: {name: controller-0, ansible_host: 192.0.2.1, ansible_ssh_user: zuul, groups: controllers}}
`,
    );
    const stackName = `wf01-${run}`;
    stacks.push(stackName);
    const vars = {
      stack_name: stackName,
      stack_template_path: template,
      stack_parameters: { controller_params: { image: 'hotstack-controller', flavor: 'hotstack.small' }, dns_servers: ['192.0.2.53'] },
      stack_parameter_overrides: { controller_params: { flavor: 'big' } },
    };
    const check = await playbook('01-infra.yml', vars, true);
    assert.equal(check.exitCode, 0, check.output);
    assert.equal(await conn.heat.getStack(stackName), undefined, 'check mode created no stack');
    const first = await playbook('01-infra.yml', vars);
    assert.equal(first.exitCode, 0, first.output);
    const outputs = load(readFileSync(join(workDir, `${stackName}-outputs.yaml`), 'utf8')) as Json;
    assert.deepEqual(outputs.controller_params, { image: 'hotstack-controller', flavor: 'big' }, 'override merged recursively');
    assert.deepEqual(outputs.dns_servers, ['192.0.2.53']);
    assert.equal((outputs.controller_ansible_host as Json).ansible_host, '192.0.2.1');
    // 02 and 04 read that file: 02 in check mode finds the controller and stops at SSH (no guest here).
  });

  // A restore target whose servers carry this run's instance names, so no other test's set fits.
  const target = (deployment: Deployment, macOverride?: string) => {
    const instances = deployment.snapsetData.instances;
    const resources: Json = {};
    const snapsetInstances: Json = {};
    for (const [name, instance] of Object.entries(instances)) {
      const param = instance.role === 'controller' ? 'controller_params' : 'ocp_master_params';
      resources[`${name}-port`] = {
        type: 'OS::Neutron::Port',
        properties: { network: 'n', mac_address: macOverride && instance.role !== 'controller' ? macOverride : instance.mac_address },
      };
      resources[name] = {
        type: 'OS::Nova::Server',
        properties: { image: { get_param: [param, 'image'] }, flavor: 'f', networks: [{ port: { get_resource: `${name}-port` } }] },
      };
      snapsetInstances[name] = {
        uuid: { get_resource: name },
        role: instance.role,
        mac_address: { get_attr: [`${name}-port`, 'mac_address'] },
      };
    }
    const path = join(workDir, `target-${macOverride ? 'moved' : 'ok'}.yaml`);
    writeFileSync(
      path,
      JSON.stringify({
        heat_template_version: 'rocky',
        parameters: { controller_params: { type: 'json' }, ocp_master_params: { type: 'json' } },
        resources,
        outputs: { snapset_data: { value: { instances: snapsetInstances } } },
      }),
    );
    return path;
  };
  const restoreVars = (template: string, extra: Json = {}) => ({
    stack_name: `wfrestore-${run}`,
    stack_template_path: template,
    hotstack_revive_snapshot: true,
    stack_parameters: {
      controller_params: { image: 'hotstack-controller', flavor: 'f' },
      ocp_master_params: { image: 'ipxe-boot-usb', flavor: 'f' },
    },
    ...extra,
  });

  test('01 restore with no usable set fails plainly and creates nothing; with a set, a MAC mismatch is named; a pinned set is chosen', async () => {
    const deployment = await bootDeployment(conn, { [`wf${run}-controller`]: 'controller', [`wf${run}-master0`]: 'ocp_master' });
    deployments.push(deployment);
    const none = await playbook('01-infra.yml', restoreVars(target(deployment)));
    assert.notEqual(none.exitCode, 0);
    assert.match(none.output, /no usable SnapSet for instances/);
    assert.equal(await conn.heat.getStack(`wfrestore-${run}`), undefined);

    const made = await runModuleTask('hotstack_snapset', { snapset_data: deployment.snapsetData }, { env: devcloudEnv() });
    const snapId = (made.result!.snapset as Json).snap_id as string;
    const [masterName, master] = Object.entries(deployment.snapsetData.instances).find(([, i]) => i.role === 'ocp_master')!;
    const moved = await playbook('01-infra.yml', restoreVars(target(deployment, 'fa:16:3e:ee:ee:ee')));
    assert.notEqual(moved.exitCode, 0);
    assert.match(
      moved.output,
      new RegExp(
        `instance ${masterName}: MAC mismatch: target port ${masterName}-port has fa:16:3e:ee:ee:ee, the SnapSet image has ${master.mac_address}`,
      ),
    );
    assert.equal(await conn.heat.getStack(`wfrestore-${run}`), undefined, 'nothing created');

    const pinned = await playbook('01-infra.yml', restoreVars(target(deployment), { hotstack_snapset_id: snapId }), true);
    assert.equal(pinned.exitCode, 0, pinned.output);
    assert.match(pinned.output, new RegExp(`SnapSet ${snapId} \\(pinned\\)`));
    const images = await imagesOfSet(conn, snapId);
    for (const image of images) assert.ok(pinned.output.includes(image.id), `image ${image.id} chosen`);
  });

  test('04 alone on an unprepared deployment says so plainly and creates nothing', async () => {
    const stopped = await bootDeployment(conn, { [`wf${run}-ctl`]: 'controller' });
    const running = await bootDeployment(conn, { [`wf${run}-m0`]: 'ocp_master' }, { stop: false });
    deployments.push(stopped, running);
    const snapsetData = { instances: { ...stopped.snapsetData.instances, ...running.snapsetData.instances } };
    const result = await playbook('04-create-snapset.yml', { snapset_data: snapsetData, stack_name: `wf04-${run}` });
    assert.notEqual(result.exitCode, 0);
    assert.match(
      result.output,
      new RegExp(`This deployment was not prepared for a snapshot: ${Object.keys(running.snapsetData.instances)[0]} still running`),
    );
    assert.equal((await imagesNamedFor(conn, stopped.suffix)).length + (await imagesNamedFor(conn, running.suffix)).length, 0);
  });

  test('04 saves the set it made to {work_dir}/{stack_name}-snapset.yaml; a failed run saves what became of its images', async () => {
    // Servers of the big image: the failed run's 1 s timeout must end before a snapshot can be active.
    const deployment = await bootDeployment(
      conn,
      { [`wf${run}-c`]: 'controller', [`wf${run}-m`]: 'ocp_master' },
      { image: await bigImage(conn) },
    );
    deployments.push(deployment);
    const ok = await playbook('04-create-snapset.yml', { snapset_data: deployment.snapsetData, stack_name: `wf04ok-${run}` });
    assert.equal(ok.exitCode, 0, ok.output);
    const saved = load(readFileSync(join(workDir, `wf04ok-${run}-snapset.yaml`), 'utf8')) as Json;
    const images = await imagesOfSet(conn, saved.snap_id as string);
    assert.equal(images.length, 2);
    assert.deepEqual((saved.images as Json[]).map((i) => i.image_id).sort(), images.map((i) => i.id).sort());

    const failed = await playbook('04-create-snapset.yml', {
      snapset_data: deployment.snapsetData,
      stack_name: `wf04ko-${run}`,
      hotstack_snapset_timeout: 1,
    });
    assert.notEqual(failed.exitCode, 0);
    const file = join(workDir, `wf04ko-${run}-snapset.yaml`);
    assert.ok(existsSync(file), failed.output);
    const record = load(readFileSync(file, 'utf8')) as Json;
    assert.equal(record.failed, true);
    assert.match(String(record.msg), /not active after 1s/);
    assert.equal((record.removed_images as string[]).length > 0, true);
    assert.equal((await imagesOfSet(conn, String(record.snap_id))).length, 0, 'the failed run left no image');
  });
});
