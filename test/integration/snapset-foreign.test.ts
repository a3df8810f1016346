// Sets made by Hotstack's own module, found, judged, chosen and pruned on devcloud: two tiny servers,
// a set of this project's hotstack_snapset (through ansible-playbook), then a whole and a cut set left
// exactly as Hotstack's module leaves them (test/helpers/hotstack-set.ts: tags only, each image marked
// once it alone is active). hotstack_snapset_info, hotstack_snapset_prune and the CLI judged through
// Glance; every lookup scoped by this run's unique instance-name prefix.
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
import { type HotstackSet, makeHotstackSet } from '../helpers/hotstack-set.ts';

type Json = Record<string, unknown>;
const PREFIX = `hs${uniqueSuffix()}-`;

describe("Sets of Hotstack's own module on devcloud: unverified alone, judged against a target, never orphans", {
  timeout: 900_000,
}, () => {
  let conn: Connection;
  let deployment: Deployment;
  let controller: string;
  let master: string;
  let own: string;
  let whole: HotstackSet;
  let cut: HotstackSet;
  const made = new Set<string>();
  const dir = mkdtempSync(join(tmpdir(), 'hotstack-foreign-'));
  const template = join(dir, 'target.yaml');

  const info = (args: Json) => runModuleTask('hotstack_snapset_info', args, { env: devcloudEnv() });
  const prune = (args: Json) => runModuleTask('hotstack_snapset_prune', args, { env: devcloudEnv() });
  const cli = (args: string[]) =>
    execa(join(ROOT, 'build/hotstack-snapset'), args, { env: { ...cleanEnv(), ...devcloudEnv() }, extendEnv: false, reject: false });
  const byId = (sets: unknown) => Object.fromEntries((sets as Json[]).map((set) => [set.snap_id as string, set]));

  before(async () => {
    requireBuilt('hotstack_snapset_info');
    conn = devcloudConnection();
    deployment = await bootDeployment(conn, { [`${PREFIX}controller`]: 'controller', [`${PREFIX}master0`]: 'ocp_master' });
    [controller, master] = Object.keys(deployment.snapsetData.instances) as [string, string];
    // Oldest first: created_at orders the sets.
    const result = await runModuleTask('hotstack_snapset', { snapset_data: deployment.snapsetData }, { env: devcloudEnv() });
    assert.equal(result.result?.failed, false, result.output);
    own = (result.result!.snapset as Json).snap_id as string;
    whole = await makeHotstackSet(conn, deployment.snapsetData, { made });
    cut = await makeHotstackSet(conn, deployment.snapsetData, { made, skip: [controller] });
    // The restore target: a server per instance, its image from a parameter, its first NIC a port with the set's MAC.
    const macs = deployment.snapsetData.instances;
    const server = (name: string, parameter: string) => ({
      [`${name}-port`]: { type: 'OS::Neutron::Port', properties: { network: 'n', mac_address: macs[name]!.mac_address } },
      [name]: {
        type: 'OS::Nova::Server',
        properties: { image: { get_param: [parameter, 'image'] }, networks: [{ port: { get_resource: `${name}-port` } }] },
      },
    });
    writeFileSync(
      template,
      JSON.stringify({
        heat_template_version: 'rocky',
        parameters: { controller_params: { type: 'json' }, ocp_master_params: { type: 'json' } },
        resources: { ...server(controller, 'controller_params'), ...server(master, 'ocp_master_params') },
        outputs: {
          snapset_data: {
            value: {
              instances: {
                [controller]: {
                  uuid: { get_resource: controller },
                  role: 'controller',
                  mac_address: { get_attr: [`${controller}-port`, 'mac_address'] },
                },
                [master]: {
                  uuid: { get_resource: master },
                  role: 'ocp_master',
                  mac_address: { get_attr: [`${master}-port`, 'mac_address'] },
                },
              },
            },
          },
        },
      }),
    );
  });

  after(async () => {
    for (const id of made) await conn.glance.deleteImage(id).catch(() => {});
    await cleanup(conn, deployment);
    rmSync(dir, { recursive: true, force: true });
  });

  test('without a target the Hotstack sets are unverified, made by another tool — the cut one too, which alone looks whole', async () => {
    const result = (await info({ name_prefix: PREFIX })).result!;
    assert.equal(result.failed, false, JSON.stringify(result));
    assert.deepEqual(
      (result.snapsets as Json[]).map((set) => [set.snap_id, set.status, set.made_by, set.image_count]),
      [
        [cut.snap_id, 'unverified', 'another tool', 1],
        [whole.snap_id, 'unverified', 'another tool', 2],
        [own, 'usable', 'this project', 2],
      ],
    );
    const set = byId(result.snapsets)[whole.snap_id]!;
    assert.match(String(set.problems), /made by another tool \(tags only.*judged against a restore target only/);
    assert.equal(set.size, null);
    // What Hotstack's module put on the images, and nothing of this project's.
    for (const image of await imagesOfSet(conn, whole.snap_id)) {
      assert.equal(image.hotstack_snap_id, undefined);
      assert.deepEqual(image.tags.filter((tag) => !tag.includes('=')).sort(), ['hotstack', 'hotstack-snapset']);
    }
    const latest = (await info({ name_prefix: PREFIX, latest: true })).result!;
    assert.equal((latest.snapset as Json).snap_id, own, 'without a target only the set of this project counts');
    assert.deepEqual(
      (latest.passed_over as Json[]).map((p) => [p.snap_id, /^unverified: made by another tool/.test(String(p.reasons))]),
      [
        [cut.snap_id, true],
        [whole.snap_id, true],
      ],
    );
  });

  test('with the target template the newest set that passes wins: the Hotstack set, judged against the target only; the cut one is passed over naming the instance', async () => {
    const result = (await info({ template, latest: true })).result!;
    assert.equal(result.failed, false, JSON.stringify(result));
    assert.equal((result.snapset as Json).snap_id, whole.snap_id);
    assert.equal(result.judged_against_target, true);
    assert.match(String(result.msg), /made by another tool \(tags only\), judged against the target only: one active image per instance/);
    assert.deepEqual(result.stack_parameters, {
      controller_params: { image: whole.images[controller] },
      ocp_master_params: { image: whole.images[master] },
    });
    assert.deepEqual(result.passed_over, [
      {
        snap_id: cut.snap_id,
        created_at: byId(result.snapsets)[cut.snap_id]!.created_at,
        reasons: [`made by another tool, judged against the target: no image for instance ${controller}`],
      },
    ]);
  });

  test('pinned: the Hotstack set passes the target; the cut one is refused naming the instance; without a template it is refused as unverified', async () => {
    const pinned = (await info({ template, snap_id: whole.snap_id })).result!;
    assert.equal(pinned.failed, false, JSON.stringify(pinned));
    assert.equal((pinned.snapset as Json).snap_id, whole.snap_id);
    const refused = (await info({ template, snap_id: cut.snap_id })).result!;
    assert.equal(refused.failed, true);
    assert.match(String(refused.msg), new RegExp(`SnapSet ${cut.snap_id} cannot be used: .*no image for instance ${controller}`));
    const alone = (await info({ snap_id: whole.snap_id })).result!;
    assert.equal(alone.failed, true);
    assert.match(String(alone.msg), /unverified: made by another tool.*give the target's template/);
  });

  test('the CLI: list and show say unverified and made by another tool; verify counts the set only with --template', async () => {
    const list = await cli(['list', '--prefix', PREFIX]);
    assert.equal(list.exitCode, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`^${whole.snap_id.replace(/-/g, '\\-')}\\s.*unverified\\s+2/\\?`, 'm'));
    const show = await cli(['show', whole.snap_id]);
    assert.match(show.stdout, /^status: +unverified \(made by another tool/m);
    assert.match(show.stdout, /^made by: +another tool$/m);
    const alone = await cli(['verify', whole.snap_id]);
    assert.equal(alone.exitCode, 1, alone.stdout);
    assert.match(alone.stdout, /NOT usable: .*unverified: made by another tool/);
    const judged = await cli(['verify', '--template', template, '--json']);
    assert.equal(judged.exitCode, 0, judged.stdout + judged.stderr);
    const verdict = JSON.parse(judged.stdout) as Json;
    assert.equal((verdict.snapset as Json).snap_id, whole.snap_id);
    assert.equal(verdict.judged_against_target, true);
    const cutVerify = await cli(['verify', cut.snap_id, '--template', template]);
    assert.equal(cutVerify.exitCode, 1);
    assert.match(cutVerify.stdout, new RegExp(`no image for instance ${controller}`));
  });

  test('a set past its CSR-free date: the info result and the CLI say that reviving it needs CSR approval', async () => {
    for (const image of await imagesOfSet(conn, own))
      await conn.glance.setProperties(image.id, {
        hotstack_revivable_without_csr_until: '2026-01-01T00:00:00Z',
        hotstack_revivable_until: '2099-01-01T00:00:00Z',
      });
    const result = (await info({ name_prefix: PREFIX, snap_id: own })).result!;
    assert.equal(result.failed, false, JSON.stringify(result));
    assert.equal((result.snapset as Json).needs_csr_approval, true);
    assert.match(String(result.msg), /reviving it needs kubelet CSR approval: revivable without it only until 2026-01-01T00:00:00Z/);
    const show = await cli(['show', own]);
    assert.match(show.stdout, /^without CSRs: +2026-01-01 00:00:00Z \(passed: reviving needs CSR approval\)$/m);
    const verify = await cli(['verify', own]);
    assert.equal(verify.exitCode, 0, verify.stdout);
    assert.match(verify.stdout, /^OK: SnapSet .*reviving it needs kubelet CSR approval/);
  });

  test('prune: orphans (module and CLI) are never Hotstack sets; a snap_id that is no set fails naming it and deletes nothing', async () => {
    const orphans = (await prune({ name_prefix: PREFIX, orphans: true, orphan_grace: '0s' })).result!;
    assert.equal(orphans.failed, false, JSON.stringify(orphans));
    assert.deepEqual(orphans.deleted, []);
    // The newest of them covers the prefix scope and stays like the newest usable set; the other is kept saying why.
    const kept = (orphans.kept as Json[]).find((k) => k.snap_id === whole.snap_id);
    assert.match(String(kept?.reason), /made by another tool \(unverified\): never an orphan/, JSON.stringify(orphans.kept));
    const dry = await cli(['prune', '--prefix', PREFIX, '--orphans', '--orphan-grace', '0s', '--dry-run']);
    assert.equal(dry.exitCode, 0, dry.stderr);
    assert.match(dry.stdout, /^nothing to delete$/m);
    const typo = (await prune({ snap_id: [whole.snap_id, 'NoSuch01'] })).result!;
    assert.equal(typo.failed, true);
    assert.match(String(typo.msg), /snap_id: no SnapSet NoSuch01 among the project's images .*nothing was deleted/);
    assert.deepEqual(typo.missing, ['NoSuch01']);
    const cliTypo = await cli(['delete', whole.snap_id, 'NoSuch01']);
    assert.equal(cliTypo.exitCode, 1);
    assert.match(cliTypo.stdout, /^no such set: NoSuch01 \(a typo, or deleted already\); nothing was deleted$/m);
    for (const snapId of [own, whole.snap_id, cut.snap_id])
      assert.ok((await imagesOfSet(conn, snapId)).length > 0, `${snapId} still there`);
  });

  test('a Hotstack set is deleted when named', async () => {
    const named = (await prune({ snap_id: [cut.snap_id] })).result!;
    assert.equal(named.failed, false, JSON.stringify(named));
    assert.deepEqual(named.removed_images, [cut.images[master]]);
    assert.equal((await imagesOfSet(conn, cut.snap_id)).length, 0);
  });
});
