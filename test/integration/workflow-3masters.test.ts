// Restore is for any topology, every instance by name: scenarios/devcloud-3masters (controller +
// master0..2 on ports with fixed MACs, one image parameter per master) through real ansible-playbook.
// 01 makes the stack; its servers are stopped; hotstack_snapset takes the set; 01 again, restoring the
// pinned set into a new stack, gives each server the image of its own instance on a port with the
// same MAC. The controller boots devcloud-tiny here: this test is about the topology, the controller
// guest has its own tests (devcloud-guest, workflow-e2e).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { load } from 'js-yaml';
import { devcloudConnection, devcloudEnv, imagesOfSet, uniqueSuffix } from '../../labs/devcloud/devcloud.ts';
import type { Connection } from '../../lib/openstack/connect.ts';
import { ROOT, runModuleTask, runPlaybook } from '../helpers/ansible.ts';

type Json = Record<string, unknown>;
type SnapsetData = { instances: Record<string, { uuid: string; role: string; mac_address: string }> };
const run = uniqueSuffix();
const SOURCE = `wf3m-${run}`;
const TARGET = `wf3m-${run}-restored`;
const TINY = { image: 'devcloud-tiny', flavor: 'devcloud.tiny' };

describe('devcloud-3masters: a set of four instances restores each one by name', { timeout: 1_500_000 }, () => {
  let conn: Connection;
  let snapId: string | undefined;
  const workDir = mkdtempSync(join(tmpdir(), 'hotstack-3m-'));
  const infra = (stackName: string, extra: Json = {}) =>
    runPlaybook(join(ROOT, 'playbooks/01-infra.yml'), {
      env: devcloudEnv(),
      timeoutMs: 1_200_000,
      extraVars: {
        stack_name: stackName,
        stack_template_path: 'scenarios/devcloud-3masters/heat_template.yaml',
        // every image parameter given, as bootstrap_vars.yml does (the restore then changes only the
        // images); left out, 01 would take the template's defaults, whose flavor name holds the word
        // "devcloud": a devcloud state from before the random password has that password, which every
        // result masks, as Ansible masks no_log values (a fresh state's random one appears in no name)
        stack_parameters: { controller_params: TINY, master0_params: TINY, master1_params: TINY, master2_params: TINY },
        hotstack_work_dir: workDir,
        os_cloud: 'devcloud',
        ...extra,
      },
    });
  const snapsetData = (stackName: string) =>
    (load(readFileSync(join(workDir, `${stackName}-outputs.yaml`), 'utf8')) as { snapset_data: SnapsetData }).snapset_data;

  before(() => {
    conn = devcloudConnection();
  });
  after(async () => {
    for (const name of [TARGET, SOURCE]) {
      const stack = await conn.heat.getStack(name).catch(() => undefined);
      if (!stack) continue;
      await conn.heat.deleteStack(stack.stack_name, stack.id).catch(() => {});
      await conn.heat.waitForStack(`${stack.stack_name}/${stack.id}`, /^DELETE_COMPLETE$/, { timeoutMs: 600_000 }).catch(() => {});
    }
    if (snapId) for (const image of await imagesOfSet(conn, snapId)) await conn.glance.deleteImage(image.id).catch(() => {});
    rmSync(workDir, { recursive: true, force: true });
  });

  test('01 makes the stack; the stopped servers make a set of 4 images, one per instance', async () => {
    const made = await infra(SOURCE);
    assert.equal(made.exitCode, 0, made.output);
    const data = snapsetData(SOURCE);
    assert.deepEqual(Object.keys(data.instances).sort(), ['controller', 'master0', 'master1', 'master2']);
    for (const { uuid } of Object.values(data.instances)) await conn.nova.stopServer(uuid);
    for (const { uuid } of Object.values(data.instances)) await conn.nova.waitForServer(uuid, 'SHUTOFF', { timeoutMs: 300_000 });
    const snap = await runModuleTask('hotstack_snapset', { snapset_data: data, timeout: 900 }, { env: devcloudEnv() });
    assert.equal(snap.result?.failed, false, snap.output);
    snapId = (snap.result!.snapset as Json).snap_id as string;
    assert.equal((await imagesOfSet(conn, snapId)).length, 4);
  });

  test('01 restoring the pinned set: every server boots the image of its own instance, on a port with its MAC', async () => {
    assert.ok(snapId, 'the set of the first test');
    const source = snapsetData(SOURCE);
    const restored = await infra(TARGET, { hotstack_revive_snapshot: true, hotstack_snapset_id: snapId });
    assert.equal(restored.exitCode, 0, restored.output);
    const data = snapsetData(TARGET);
    const images = await imagesOfSet(conn, snapId);
    for (const [name, instance] of Object.entries(data.instances)) {
      const image = images.find((candidate) => candidate.tags.includes(`name=${name}`));
      assert.ok(image, `the set has an image for ${name}`);
      const server = (await conn.nova.getServer(instance.uuid))!;
      assert.equal((server.image as { id: string }).id, image.id, `${name} boots its own image`);
      const ports = await conn.session.request('network', { method: 'GET', path: `/v2.0/ports?device_id=${instance.uuid}` });
      const macs = (ports.body as { ports: { mac_address: string }[] }).ports.map((port) => port.mac_address);
      assert.ok(macs.includes(source.instances[name]!.mac_address), `${name}: ${macs.join(', ')} has the set's MAC`);
      assert.ok(image.tags.includes(`mac_address=${source.instances[name]!.mac_address}`));
    }
  });
});
