// hotstack_snapset end to end: the built executable, run by real ansible-playbook, against real
// servers on devcloud; every outcome is checked through the Glance API.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  bootDeployment,
  CLOUDS_YAML,
  cleanup,
  type Deployment,
  devcloudConnection,
  devcloudEnv,
  imagesNamedFor,
  imagesOfSet,
} from '../../labs/devcloud/devcloud.ts';
import type { Connection } from '../../lib/openstack/connect.ts';
import type { Image } from '../../lib/openstack/glance.ts';
import { setCompleteness } from '../../lib/snapset/completeness.ts';
import { ROOT, runExecutable, runModuleTask, runPlaybook } from '../helpers/ansible.ts';

const ROLES = { controller: 'controller', master0: 'ocp_master', master1: 'ocp_master' };

function tagValue(image: Image, key: string): string | undefined {
  return image.tags.find((tag) => tag.startsWith(`${key}=`))?.slice(key.length + 1);
}

/** The set as Glance shows it, checked against the snapset_data it was made from. */
function assertCompleteSet(images: Image[], deployment: Deployment, snapId: string): void {
  const instances = deployment.snapsetData.instances;
  assert.equal(images.length, Object.keys(instances).length, 'one image per instance');
  for (const [name, instance] of Object.entries(instances)) {
    const image = images.find((candidate) => tagValue(candidate, 'name') === name);
    assert.ok(image, `an image tagged name=${name}`);
    assert.equal(image.status, 'active');
    assert.equal(image.name, `hotstack-${name}-snapshot-${snapId}`);
    assert.deepEqual(
      [...image.tags].sort(),
      [
        'hotstack',
        'hotstack-snapset',
        `mac_address=${instance.mac_address}`,
        `name=${name}`,
        `role=${instance.role}`,
        `snap_id=${snapId}`,
      ].sort(),
    );
    assert.equal(image.instance_uuid, instance.uuid, 'the image is a snapshot of that server');
    assert.equal(image.hotstack_snap_id, snapId);
    assert.equal(image.hotstack_name, name);
    assert.equal(image.hotstack_snapset_size, String(Object.keys(instances).length), 'each image says how many make the set');
  }
  assert.deepEqual(setCompleteness(images).problems, [], 'complete by its own properties, not by the mark alone');
}

describe('hotstack_snapset on devcloud', { timeout: 900_000 }, () => {
  let conn: Connection;
  const deployments: Deployment[] = [];
  const boot = async (roles: Record<string, string>, options: { stop?: boolean } = {}) => {
    const deployment = await bootDeployment(conn, roles, options);
    deployments.push(deployment);
    return deployment;
  };

  before(() => {
    conn = devcloudConnection();
  });
  after(async () => {
    for (const deployment of deployments) await cleanup(conn, deployment);
  });

  test('the 04-create-snapset playbook makes a complete, tagged set of SHUTOFF servers', async () => {
    const deployment = await boot(ROLES);
    // The hand-off file goes to a folder of the test's own, not next to the playbook (the default).
    const workDir = mkdtempSync(join(tmpdir(), 'hotstack-work-'));
    const run = await runPlaybook(join(ROOT, 'playbooks/04-create-snapset.yml'), {
      env: devcloudEnv(),
      extraVars: { snapset_data: deployment.snapsetData, hotstack_work_dir: workDir },
    }).finally(() => rmSync(workDir, { recursive: true, force: true }));
    assert.equal(run.exitCode, 0, run.output);

    // Found the way a user finds it: by the set marker and the instance name.
    const controllerName = Object.keys(deployment.snapsetData.instances)[0]!;
    const marked = await conn.glance.listImages({ tags: ['hotstack-snapset', `name=${controllerName}`] });
    assert.equal(marked.length, 1);
    const snapId = tagValue(marked[0]!, 'snap_id')!;
    assert.match(snapId, /^[A-Za-z0-9_-]{8}$/);
    assertCompleteSet(await imagesOfSet(conn, snapId), deployment, snapId);
    assert.match(run.output, new RegExp(`openstack image list --tag snap_id=${snapId}`));
    // The source servers are left as they were.
    for (const server of deployment.servers) assert.equal((await conn.nova.getServer(server.id))?.status, 'SHUTOFF');
  });

  test('the result is the snapset Hotstack returns, matching Glance', async () => {
    const deployment = await boot({ controller: 'controller', master0: 'ocp_master' });
    const run = await runModuleTask(
      'hotstack_snapset',
      { cloud: 'devcloud', snapset_data: deployment.snapsetData },
      { env: devcloudEnv() },
    );
    const result = run.result!;
    assert.equal(result.failed, false, JSON.stringify(result));
    assert.equal(result.changed, true);
    const snapset = result.snapset as Record<string, { image_id: string; role: string; mac_address: string } | string>;
    const snapId = snapset.snap_id as string;
    assert.deepEqual(Object.keys(snapset).sort(), ['snap_id', ...Object.keys(deployment.snapsetData.instances)].sort());
    const images = await imagesOfSet(conn, snapId);
    assertCompleteSet(images, deployment, snapId);
    for (const [name, instance] of Object.entries(deployment.snapsetData.instances)) {
      const entry = snapset[name] as { image_id: string; role: string; mac_address: string };
      assert.equal(entry.role, instance.role);
      assert.equal(entry.mac_address, instance.mac_address);
      assert.equal(images.find((image) => image.id === entry.image_id)?.name, `hotstack-${name}-snapshot-${snapId}`);
    }
    const timings = result.images as { seconds_to_active: number }[];
    assert.equal(timings.length, 2);
    for (const timing of timings) assert.ok(timing.seconds_to_active > 0 && timing.seconds_to_active < 1200);
  });

  test('an ACTIVE server is refused, by name, uuid and status, and nothing is created', async () => {
    const stopped = await boot({ controller: 'controller' });
    const running = await boot({ master0: 'ocp_master' }, { stop: false });
    const snapsetData = { instances: { ...stopped.snapsetData.instances, ...running.snapsetData.instances } };
    const [activeName, active] = Object.entries(running.snapsetData.instances)[0]!;
    const run = await runModuleTask('hotstack_snapset', { snapset_data: snapsetData }, { env: devcloudEnv() });
    assert.equal(run.result?.failed, true);
    const msg = String(run.result?.msg);
    assert.match(msg, new RegExp(`instance ${activeName} \\(uuid ${active.uuid}\\) is ACTIVE, not SHUTOFF`));
    assert.match(msg, /nothing was created/);
    assert.equal((await imagesNamedFor(conn, stopped.suffix)).length, 0);
    assert.equal((await imagesNamedFor(conn, running.suffix)).length, 0);
    assert.equal((await conn.nova.getServer(active.uuid))?.status, 'ACTIVE', 'the running server was not touched');
  });

  test('a uuid Nova does not know is named in the error and nothing is created', async () => {
    const deployment = await boot({ controller: 'controller' });
    const ghost = randomUUID();
    const snapsetData = {
      instances: {
        ...deployment.snapsetData.instances,
        [`ghost-${deployment.suffix}`]: { uuid: ghost, role: 'ocp_master', mac_address: 'fa:16:3e:00:00:99' },
      },
    };
    const run = await runModuleTask('hotstack_snapset', { snapset_data: snapsetData }, { env: devcloudEnv() });
    assert.equal(run.result?.failed, true);
    assert.match(String(run.result?.msg), new RegExp(`instance ghost-${deployment.suffix} \\(uuid ${ghost}\\) does not exist`));
    assert.equal((await imagesNamedFor(conn, deployment.suffix)).length, 0);
  });

  test('check mode reports the images it would create and creates none', async () => {
    const deployment = await boot({ controller: 'controller', master0: 'ocp_master' });
    const run = await runModuleTask('hotstack_snapset', { snapset_data: deployment.snapsetData }, { env: devcloudEnv(), check: true });
    assert.equal(run.result?.failed, false, JSON.stringify(run.result));
    const wouldCreate = run.result?.would_create as { name: string; image_name: string; tags: string[] }[];
    assert.deepEqual(wouldCreate.map((image) => image.name).sort(), Object.keys(deployment.snapsetData.instances).sort());
    for (const image of wouldCreate) {
      assert.match(image.image_name, new RegExp(`^hotstack-${image.name}-snapshot-[A-Za-z0-9_-]{8}$`));
      assert.ok(image.tags.includes('hotstack-snapset'));
    }
    assert.equal((await imagesNamedFor(conn, deployment.suffix)).length, 0);
  });

  test('check mode still refuses servers that are not SHUTOFF', async () => {
    const running = await boot({ controller: 'controller' }, { stop: false });
    const run = await runModuleTask('hotstack_snapset', { snapset_data: running.snapsetData }, { env: devcloudEnv(), check: true });
    assert.equal(run.result?.failed, true);
    assert.match(String(run.result?.msg), /is ACTIVE, not SHUTOFF/);
  });

  test('a wrong password fails plainly and appears nowhere in the output, even at -vvv', async () => {
    const password = `Wr0ng-${randomUUID()}`;
    const cloud = {
      auth: {
        auth_url: 'http://127.0.0.1:5000/v3',
        username: 'admin',
        password,
        project_name: 'admin',
        user_domain_name: 'Default',
        project_domain_name: 'Default',
      },
      region_name: 'RegionOne',
    };
    const snapsetData = { instances: { controller: { uuid: randomUUID(), role: 'controller', mac_address: 'fa:16:3e:00:00:01' } } };

    // Inline, as a module argument.
    const inline = await runModuleTask('hotstack_snapset', { cloud, snapset_data: snapsetData }, { verbosity: 3 });
    assert.equal(inline.result?.failed, true);
    assert.match(String(inline.result?.msg), /credentials were refused \(HTTP 401\)/);
    assert.ok(!inline.output.includes(password), 'password in ansible-playbook output');
    assert.ok(!JSON.stringify(inline.result).includes(password), 'password in the result');
    // -vvv shows the invocation: the password is there, masked.
    assert.match(inline.output, /"password": "\*{8}"/);

    // From a clouds.yaml file.
    const dir = mkdtempSync(join(tmpdir(), 'hotstack-wrongpw-'));
    writeFileSync(join(dir, 'clouds.yaml'), JSON.stringify({ clouds: { broken: cloud } }));
    const fromFile = await runModuleTask(
      'hotstack_snapset',
      { cloud: 'broken', snapset_data: snapsetData },
      {
        env: { OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml') },
        verbosity: 3,
      },
    ).finally(() => rmSync(dir, { recursive: true, force: true }));
    assert.equal(fromFile.result?.failed, true);
    assert.match(String(fromFile.result?.msg), /cloud 'broken' failed .*credentials were refused/);
    assert.ok(!fromFile.output.includes(password));
  });

  test('an unknown cloud name is reported with the clouds that exist', async () => {
    const run = await runModuleTask(
      'hotstack_snapset',
      {
        cloud: 'nosuchcloud',
        snapset_data: { instances: { c: { uuid: randomUUID(), role: 'controller', mac_address: 'm' } } },
      },
      { env: { OS_CLIENT_CONFIG_FILE: CLOUDS_YAML } },
    );
    assert.equal(run.result?.failed, true);
    assert.match(String(run.result?.msg), /nosuchcloud/);
    assert.match(String(run.result?.msg), /devcloud/);
  });

  test('extra hotstack_* properties go on every image; a set with one mark removed is told incomplete', async () => {
    const deployment = await boot({ controller: 'controller', master0: 'ocp_master' });
    const properties = { hotstack_revivable_until: '2026-11-26T18:00:00Z', hotstack_revivable_without_csr_until: '2026-11-26T06:00:00Z' };
    const run = await runModuleTask('hotstack_snapset', { snapset_data: deployment.snapsetData, properties }, { env: devcloudEnv() });
    assert.equal(run.result?.failed, false, JSON.stringify(run.result));
    const snapId = (run.result?.snapset as { snap_id: string }).snap_id;
    const images = await imagesOfSet(conn, snapId);
    assertCompleteSet(images, deployment, snapId);
    for (const image of images) {
      assert.equal(image.hotstack_revivable_until, properties.hotstack_revivable_until);
      assert.equal(image.hotstack_revivable_without_csr_until, properties.hotstack_revivable_without_csr_until);
    }
    // A final marking cut half-way (simulated on the real set): the other image alone is no set.
    await conn.glance.removeTag(images[0]!.id, 'hotstack-snapset');
    const cut = setCompleteness(await imagesOfSet(conn, snapId));
    assert.equal(cut.complete, false);
    assert.deepEqual(cut.problems, ['1 of 2 image(s) lack the hotstack-snapset mark (the final marking was cut, or the run failed)']);
    const seenByMark = setCompleteness(await conn.glance.listImages({ tags: ['hotstack-snapset', `snap_id=${snapId}`] }));
    assert.equal(seenByMark.complete, false);
    assert.match(seenByMark.problems.join('; '), /1 of 2 images are there/);
  });

  test('a property name outside hotstack_*, or one the module sets, is refused by name and nothing is created', async () => {
    const deployment = await boot({ controller: 'controller' });
    const run = await runModuleTask(
      'hotstack_snapset',
      {
        snapset_data: deployment.snapsetData,
        properties: { owner: 'me', hotstack_snapset_size: '9' },
      },
      { env: devcloudEnv() },
    );
    assert.equal(run.result?.failed, true);
    assert.match(String(run.result?.msg), /properties\.owner: the name must start with 'hotstack_'/);
    assert.match(String(run.result?.msg), /properties\.hotstack_snapset_size: is set by the module itself/);
    assert.ok(run.result?.stats, 'stats in every result');
    assert.equal((await imagesNamedFor(conn, deployment.suffix)).length, 0);
  });

  test('snapset_data given as a JSON string (ad-hoc -a, a templated string) is read as a dict', async () => {
    const deployment = await boot({ controller: 'controller' });
    const run = await runExecutable(
      'hotstack_snapset',
      {
        _ansible_module_name: 'hotstack_snapset',
        _ansible_check_mode: true,
        snapset_data: JSON.stringify(deployment.snapsetData),
      },
      devcloudEnv(),
    );
    const result = JSON.parse(run.stdout) as {
      failed?: boolean;
      msg: string;
      would_create: { name: string; properties: Record<string, string> }[];
    };
    assert.equal(result.failed, undefined, result.msg);
    assert.deepEqual(
      result.would_create.map((image) => image.name),
      Object.keys(deployment.snapsetData.instances),
    );
    assert.equal(result.would_create[0]!.properties.hotstack_snapset_size, '1');
  });
});
