// The workflow end to end on devcloud's networking, through real ansible-playbook and the scenario
// scenarios/devcloud-sno (machine network, ports with fixed MACs, the Debian controller guest, a
// blank master): 01 makes the stack and writes its outputs; 02 reaches the controller over SSH (in
// the namespace devcloud-net) and puts files on it; the master is stopped by hand (03's prepare needs
// a cluster: clusterlab tests cover it); 04 shuts the controller down from inside, waits for SHUTOFF
// and saves the set; then 01 with hotstack_revive_snapshot restores the pinned set into a new stack:
// its servers boot the set's images and its ports carry the same MACs (checked in Neutron).
// Guests run under TCG on 2 shared cores: minutes per boot, hence the long timeouts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { load } from 'js-yaml';
import type { Connection } from '../../lib/openstack/connect.ts';
import { ROOT, runPlaybook } from '../helpers/ansible.ts';
import { devcloudConnection, devcloudEnv, imagesOfSet, uniqueSuffix } from '../helpers/devcloud.ts';
import { PROXY_COMMAND, SSH_KEY } from '../helpers/guest.ts';

type Json = Record<string, unknown>;
const run = uniqueSuffix();
const SOURCE = `wfe2e-${run}`;
const TARGET = `wfe2e-${run}-restored`;

describe('create a SnapSet and restore it with the playbooks (devcloud-sno)', { timeout: 3_600_000 }, () => {
  let conn: Connection;
  const workDir = mkdtempSync(join(tmpdir(), 'hotstack-e2e-'));
  let snapId: string | undefined;
  const vars = (stackName: string, extra: Json = {}) => ({
    stack_name: stackName,
    stack_template_path: 'scenarios/devcloud-sno/heat_template.yaml',
    stack_parameters: {
      controller_params: { image: 'devcloud-controller', flavor: 'devcloud.controller' },
      ocp_master_params: { image: 'devcloud-tiny', flavor: 'devcloud.tiny' },
    },
    hotstack_work_dir: workDir,
    os_cloud: 'devcloud',
    controller_ssh_private_key_file: SSH_KEY,
    controller_ssh_timeout: 1800,
    // The stack output says the same, but devcloud's password is "devcloud": the modules mask it in
    // every result, so the output's "ip netns exec devcloud-net" arrives as "********-net".
    controller_ssh_common_args: `-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ProxyCommand="${PROXY_COMMAND}"`,
    ...extra,
  });
  const playbook = (name: string, extraVars: Json) =>
    runPlaybook(join(ROOT, 'playbooks', name), { env: devcloudEnv(), extraVars, timeoutMs: 3_000_000 });
  const outputs = (stackName: string) => load(readFileSync(join(workDir, `${stackName}-outputs.yaml`), 'utf8')) as Json;

  before(() => {
    conn = devcloudConnection();
  });
  after(async () => {
    for (const name of [TARGET, SOURCE]) {
      const stack = await conn.heat.getStack(name).catch(() => undefined);
      if (stack) {
        await conn.heat.deleteStack(stack.stack_name, stack.id).catch(() => {});
        await conn.heat.waitForStack(`${stack.stack_name}/${stack.id}`, /^DELETE_COMPLETE$/, { timeoutMs: 600_000 }).catch(() => {});
      }
    }
    if (snapId) for (const image of await imagesOfSet(conn, snapId)) await conn.glance.deleteImage(image.id).catch(() => {});
    rmSync(workDir, { recursive: true, force: true });
  });

  test('01 → 02 → (master stopped) → 04: a saved set of the stack', async () => {
    const infra = await playbook('01-infra.yml', vars(SOURCE));
    assert.equal(infra.exitCode, 0, infra.output);
    const data = outputs(SOURCE).snapset_data as { instances: Record<string, { uuid: string; role: string; mac_address: string }> };
    assert.deepEqual(Object.keys(data.instances).sort(), ['controller', 'master0']);

    const bootstrap = await playbook(
      '02-bootstrap_controller.yml',
      vars(SOURCE, {
        hotstack_cloud_secrets: {
          auth_url: 'http://10.99.0.1:5000/v3',
          application_credential_id: 'id',
          application_credential_secret: `s3cret-${run}`,
        },
      }),
    );
    assert.equal(bootstrap.exitCode, 0, bootstrap.output);
    assert.ok(!bootstrap.output.includes(`s3cret-${run}`), 'the secret is never shown');

    await conn.nova.stopServer(data.instances.master0!.uuid);
    await conn.nova.waitForServer(data.instances.master0!.uuid, 'SHUTOFF', { timeoutMs: 600_000 });
    const snap = await playbook('04-create-snapset.yml', vars(SOURCE, { hotstack_shutoff_timeout: 900 }));
    assert.equal(snap.exitCode, 0, snap.output);
    assert.match(snap.output, /Shut the controller down from inside[\s\S]*?changed: \[localhost/);
    const saved = load(readFileSync(join(workDir, `${SOURCE}-snapset.yaml`), 'utf8')) as Json;
    snapId = saved.snap_id as string;
    assert.equal((await imagesOfSet(conn, snapId)).length, 2);
  });

  test('01 with hotstack_revive_snapshot and the pinned set: the new stack boots its images on ports with the same MACs', async () => {
    assert.ok(snapId, 'the set of the first test');
    const restore = await playbook('01-infra.yml', vars(TARGET, { hotstack_revive_snapshot: true, hotstack_snapset_id: snapId }));
    assert.equal(restore.exitCode, 0, restore.output);
    const images = await imagesOfSet(conn, snapId);
    const data = outputs(TARGET).snapset_data as { instances: Record<string, { uuid: string; mac_address: string }> };
    for (const [name, instance] of Object.entries(data.instances)) {
      const image = images.find((candidate) => candidate.tags.includes(`name=${name}`))!;
      const server = (await conn.nova.getServer(instance.uuid))!;
      assert.equal((server.image as { id: string }).id, image.id, `${name} boots its SnapSet image`);
      const ports = await conn.session.request('network', { method: 'GET', path: `/v2.0/ports?device_id=${instance.uuid}` });
      const macs = (ports.body as { ports: { mac_address: string }[] }).ports.map((port) => port.mac_address);
      const tag = image.tags.find((t) => t.startsWith('mac_address='))!.slice('mac_address='.length);
      assert.ok(macs.includes(tag), `${name}: Neutron port MACs ${macs.join(', ')} include the set's ${tag}`);
    }
  });
});
