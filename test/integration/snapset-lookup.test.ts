// Finding, trusting and pruning SnapSets on devcloud: sets made by the real hotstack_snapset module
// (through ansible-playbook) from tiny servers, some then cut the way a kill or a lost image cuts
// them; hotstack_snapset_info, hotstack_snapset_prune and the CLI judged through Glance. Everything
// is scoped by this run's unique instance-name prefix, so other tests' images are never touched.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import {
  bootDeployment,
  cleanEnv,
  cleanup,
  type Deployment,
  devcloudConnection,
  devcloudEnv,
  imagesOfSet,
  uniqueSuffix,
} from '../../labs/devcloud/devcloud.ts';
import type { Connection } from '../../lib/openstack/connect.ts';
import { ROOT, requireBuilt, runModuleTask } from '../helpers/ansible.ts';

type Json = Record<string, unknown>;
const run = uniqueSuffix();
const PREFIX = `wf${run}-`;

describe('SnapSet lookup and prune on devcloud', { timeout: 900_000 }, () => {
  let conn: Connection;
  let deployment: Deployment;
  let topology: Record<string, string>;
  const made: Record<'old' | 'good' | 'unmarked' | 'cut', string> = { old: '', good: '', unmarked: '', cut: '' };
  let foreignImage: string | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'hotstack-lookup-'));

  const makeSet = async (): Promise<string> => {
    const result = await runModuleTask('hotstack_snapset', { snapset_data: deployment.snapsetData }, { env: devcloudEnv() });
    assert.equal(result.result?.failed, false, result.output);
    return (result.result!.snapset as Json).snap_id as string;
  };
  const info = (args: Json) => runModuleTask('hotstack_snapset_info', args, { env: devcloudEnv() });
  const prune = (args: Json, check = false) => runModuleTask('hotstack_snapset_prune', args, { env: devcloudEnv(), check });
  const cli = (args: string[]) =>
    execa(join(ROOT, 'build/hotstack-snapset'), args, { env: { ...cleanEnv(), ...devcloudEnv() }, extendEnv: false, reject: false });
  const snapIds = (sets: unknown) => (sets as Json[]).map((set) => set.snap_id as string);

  before(async () => {
    requireBuilt('hotstack_snapset_info');
    conn = devcloudConnection();
    deployment = await bootDeployment(conn, { [`${PREFIX}controller`]: 'controller', [`${PREFIX}master0`]: 'ocp_master' });
    topology = Object.fromEntries(Object.entries(deployment.snapsetData.instances).map(([name, instance]) => [name, instance.role]));
    // Oldest first: created_at orders the sets.
    made.old = await makeSet();
    made.good = await makeSet();
    made.unmarked = await makeSet();
    made.cut = await makeSet();
    // A final marking cut half-way (a kill): one image lacks hotstack-snapset.
    const unmarked = await imagesOfSet(conn, made.unmarked);
    await conn.glance.removeTag(unmarked[0]!.id, 'hotstack-snapset');
    // A set that lost an image; the other still carries every tag, the mark included.
    const cut = await imagesOfSet(conn, made.cut);
    await conn.glance.deleteImage(cut[0]!.id);
  });

  after(async () => {
    if (foreignImage) await conn.glance.deleteImage(foreignImage).catch(() => {});
    await cleanup(conn, deployment);
    rmSync(dir, { recursive: true, force: true });
  });

  test('list: every set of the scope, newest first, with status, size, instances and the reasons', async () => {
    const result = (await info({ name_prefix: PREFIX })).result!;
    assert.equal(result.failed, false, JSON.stringify(result));
    const sets = result.snapsets as Json[];
    assert.deepEqual(snapIds(sets), [made.cut, made.unmarked, made.good, made.old]);
    const byId = Object.fromEntries(sets.map((set) => [set.snap_id, set]));
    assert.equal(byId[made.good]!.status, 'usable');
    assert.equal(byId[made.good]!.size, 2);
    assert.deepEqual(byId[made.good]!.instances, topology);
    assert.ok((byId[made.good]!.bytes as number) > 0);
    assert.equal(byId[made.unmarked]!.status, 'incomplete');
    assert.match(String(byId[made.unmarked]!.problems), /lack the hotstack-snapset mark/);
    assert.equal(byId[made.cut]!.status, 'incomplete');
    assert.match(String(byId[made.cut]!.problems), /1 of 2 images are there/);
  });

  test('latest skips the cut and half-marked newer sets for the newest complete one and says why', async () => {
    const result = (await info({ instances: topology, latest: true })).result!;
    assert.equal(result.failed, false, JSON.stringify(result));
    assert.equal((result.snapset as Json).snap_id, made.good);
    const passed = result.passed_over as { snap_id: string; reasons: string[] }[];
    assert.deepEqual(
      passed.map((p) => p.snap_id),
      [made.cut, made.unmarked],
    );
    assert.match(passed[0]!.reasons.join(), /incomplete: .*1 of 2 images are there/);
    assert.match(String(result.msg), new RegExp(`SnapSet ${made.good}.*passed over 2 newer`));
  });

  test('a pinned set is used; a pinned cut set fails with its reasons', async () => {
    const pinned = (await info({ instances: topology, snap_id: made.old })).result!;
    assert.equal(pinned.failed, false, JSON.stringify(pinned));
    assert.equal((pinned.snapset as Json).snap_id, made.old);
    const cut = (await info({ instances: topology, snap_id: made.cut })).result!;
    assert.equal(cut.failed, true);
    assert.match(String(cut.msg), new RegExp(`SnapSet ${made.cut} cannot be used: incomplete`));
  });

  test('restore parameters per instance from the target template, and a MAC mismatch named before anything is created', async () => {
    const [controller, master] = Object.keys(topology);
    const macs = deployment.snapsetData.instances;
    const template = (masterMac: string) => ({
      heat_template_version: 'rocky',
      parameters: { controller_params: { type: 'json' }, ocp_master_params: { type: 'json' } },
      resources: {
        'controller-port': { type: 'OS::Neutron::Port', properties: { network: 'n', mac_address: macs[controller!]!.mac_address } },
        [controller!]: {
          type: 'OS::Nova::Server',
          properties: { image: { get_param: ['controller_params', 'image'] }, networks: [{ port: { get_resource: 'controller-port' } }] },
        },
        'master-port': { type: 'OS::Neutron::Port', properties: { network: 'n', mac_address: masterMac } },
        [master!]: {
          type: 'OS::Nova::Server',
          properties: { image: { get_param: ['ocp_master_params', 'image'] }, networks: [{ port: { get_resource: 'master-port' } }] },
        },
      },
    });
    writeFileSync(join(dir, 'good.yaml'), JSON.stringify(template(macs[master!]!.mac_address)));
    writeFileSync(join(dir, 'moved.yaml'), JSON.stringify(template('fa:16:3e:ff:ff:ff')));
    const stackParameters = {
      controller_params: { image: 'hotstack-controller', flavor: 'f' },
      ocp_master_params: { image: 'ipxe-boot-usb', flavor: 'f' },
    };
    const good = (await info({ template: join(dir, 'good.yaml'), instances: topology, stack_parameters: stackParameters })).result!;
    assert.equal(good.failed, false, JSON.stringify(good));
    const images = await imagesOfSet(conn, made.good);
    const idOf = (name: string) => images.find((image) => image.tags.includes(`name=${name}`))!.id;
    assert.deepEqual(good.stack_parameters, {
      controller_params: { image: idOf(controller!) },
      ocp_master_params: { image: idOf(master!) },
    });
    const moved = (await info({ template: join(dir, 'moved.yaml'), instances: topology })).result!;
    assert.equal(moved.failed, true);
    assert.match(
      String(moved.msg),
      new RegExp(
        `instance ${master}: MAC mismatch: target port master-port has fa:16:3e:ff:ff:ff, the SnapSet image has ${macs[master!]!.mac_address}`,
      ),
    );
  });

  test("another project's public image with SnapSet tags is never seen", async () => {
    foreignImage = (
      await conn.glance.uploadImage(
        {
          name: `hotstack-${PREFIX}controller-snapshot-FOREIGN1`,
          disk_format: 'raw',
          container_format: 'bare',
          visibility: 'public',
          owner: 'another-project',
          tags: [
            'hotstack',
            'hotstack-snapset',
            `name=${PREFIX}controller`,
            'role=controller',
            'snap_id=FOREIGN1',
            'mac_address=fa:16:3e:00:00:01',
          ],
          hotstack_snap_id: 'FOREIGN1',
          hotstack_snapset_size: '1',
        },
        Buffer.alloc(512),
      )
    ).id;
    assert.ok(await conn.glance.getImage(foreignImage), 'the image is visible to this project');
    const result = (await info({ name_prefix: PREFIX })).result!;
    assert.ok(!snapIds(result.snapsets).includes('FOREIGN1'));
  });

  test('an expired set (hotstack_revivable_until passed) is passed over', async () => {
    // What playbook 04 records from prepare (hotstack_snapset's properties option), set here by hand.
    for (const image of await imagesOfSet(conn, made.old)) {
      await conn.glance.setProperties(image.id, { hotstack_revivable_until: '2026-01-01T00:00:00Z' });
    }
    const result = (await info({ instances: topology, snap_id: made.old })).result!;
    assert.equal(result.failed, true);
    assert.match(String(result.msg), /expired: revivable until 2026-01-01T00:00:00Z/);
  });

  test('the CLI lists, verifies and dry-runs a delete; table on a terminal, --json for scripts', async () => {
    const list = await cli(['list', '--prefix', PREFIX, '--json']);
    assert.equal(list.exitCode, 0, list.stderr);
    assert.deepEqual(snapIds(JSON.parse(list.stdout)), [made.cut, made.unmarked, made.good, made.old]);
    const table = await cli(['list', '--prefix', PREFIX]);
    assert.match(table.stdout, /^SNAP_ID\s+CREATED\s+STATUS\s+IMAGES\s+INSTANCES/m);
    assert.match(table.stdout, new RegExp(`^${made.cut.replace(/[-]/g, '\\-')}\\s.*incomplete\\s+1/2`, 'm'));
    const instances = Object.entries(topology)
      .map(([n, r]) => `${n}=${r}`)
      .join(',');
    const verify = await cli(['verify', '--instances', instances]);
    assert.equal(verify.exitCode, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, new RegExp(`^OK: SnapSet ${made.good}`));
    const bad = await cli(['verify', made.cut]);
    assert.equal(bad.exitCode, 1);
    assert.match(bad.stdout, /NOT usable/);
    const dry = await cli(['delete', made.good, '--dry-run']);
    assert.equal(dry.exitCode, 0);
    assert.match(dry.stdout, new RegExp(`would delete 1 set\\(s\\):\\n  ${made.good}`));
    assert.equal((await imagesOfSet(conn, made.good)).length, 2, 'a dry run deletes nothing');
  });

  test('prune by count, in check mode then for real, never deletes the newest usable set nor young incomplete ones', async () => {
    const check = (await prune({ name_prefix: PREFIX, keep: 0 }, true)).result!;
    assert.equal(check.failed, false, JSON.stringify(check));
    assert.deepEqual(snapIds(check.deleted), [made.old]);
    assert.equal((await imagesOfSet(conn, made.old)).length, 2, 'check mode deleted nothing');
    const real = (await prune({ name_prefix: PREFIX, keep: 0 })).result!;
    assert.deepEqual(snapIds(real.deleted), [made.old]);
    assert.equal((await imagesOfSet(conn, made.old)).length, 0);
    assert.equal((await imagesOfSet(conn, made.good)).length, 2, 'the newest usable set stays');
    assert.equal((await imagesOfSet(conn, made.unmarked)).length, 2, 'a young incomplete set is not pruned by count');
  });

  test('orphan cleanup removes exactly the orphans, never the complete set', async () => {
    const before = (await info({ name_prefix: PREFIX })).result!;
    const result = (await prune({ name_prefix: PREFIX, orphans: true, orphan_grace: '0s' })).result!;
    assert.equal(result.failed, false, JSON.stringify(result));
    assert.deepEqual(snapIds(result.deleted).sort(), [made.cut, made.unmarked].sort());
    const after = (await info({ name_prefix: PREFIX })).result!;
    assert.deepEqual(snapIds(after.snapsets), [made.good]);
    const removed = new Set(result.removed_images as string[]);
    const expected = (before.snapsets as Json[])
      .filter((set) => set.snap_id !== made.good)
      .flatMap((set) => (set.images as Json[]).map((image) => image.id));
    assert.deepEqual([...removed].sort(), expected.sort());
  });

  test('a prune without a scope is refused; deleting the newest usable set by snap_id works', async () => {
    const refused = (await prune({ keep: 1 })).result!;
    assert.equal(refused.failed, true);
    assert.match(String(refused.msg), /no scope: give name_prefix or instances/);
    const named = (await prune({ snap_id: [made.good] })).result!;
    assert.deepEqual(snapIds(named.deleted), [made.good]);
    assert.equal((await imagesOfSet(conn, made.good)).length, 0);
  });
});
