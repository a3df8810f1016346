// Leases on devcloud's real Glance: a restore holds the set it boots from, a prune or a delete never
// deletes it unless forced, and the two racing end with the restore succeeding or failing before
// anything is created. Sets are fabricated (1-byte images with a real set's tags and properties,
// test/helpers/tiny-set.ts); the interleavings are driven with the documented settle knobs
// (HOTSTACK_LEASE_SETTLE_MS, HOTSTACK_DELETE_SETTLE_MS) and the test-only pause between a deleter's
// decision and its deletes. Everything is scoped by this run's instance-name prefix.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { load } from 'js-yaml';
import { cleanEnv, devcloudConnection, devcloudEnv, uniqueSuffix } from '../../labs/devcloud/devcloud.ts';
import type { Connection } from '../../lib/openstack/connect.ts';
import type { Image } from '../../lib/openstack/glance.ts';
import { sleep } from '../../lib/poll.ts';
import { ROOT, requireBuilt, runModuleTask, runPlaybook } from '../helpers/ansible.ts';
import { makeTinySet, type TinySet } from '../helpers/tiny-set.ts';

type Json = Record<string, unknown>;
const run = uniqueSuffix();
const PREFIX = `ls${run}-`;
const CONTROLLER = `${PREFIX}controller`;
const MASTER = `${PREFIX}master0`;
const MAC = `fa:16:3e:5e:${run.slice(0, 2)}:05`;
const two = { [CONTROLLER]: { role: 'controller', mac: MAC }, [MASTER]: { role: 'ocp_master', mac: `fa:16:3e:5e:${run.slice(0, 2)}:10` } };

describe('SnapSet leases on devcloud', { timeout: 900_000 }, () => {
  let conn: Connection;
  const made: TinySet[] = [];
  const stacks: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'hotstack-lease-'));
  const env = (extra: Record<string, string> = {}) => ({ ...devcloudEnv(), ...extra });
  const lease = (args: Json, extra: Record<string, string> = {}, check = false) =>
    runModuleTask('hotstack_snapset_lease', args, { env: env(extra), check });
  const prune = (args: Json, extra: Record<string, string> = {}, check = false) =>
    runModuleTask('hotstack_snapset_prune', args, { env: env(extra), check });
  const cli = (args: string[]) =>
    execa(join(ROOT, 'build/hotstack-snapset'), args, {
      env: { ...cleanEnv(), ...devcloudEnv() },
      extendEnv: false,
      reject: false,
      all: true,
    });
  const tiny = async (instances = two, extra: Record<string, string> = {}) => {
    const set = await makeTinySet(conn, instances, extra);
    made.push(set);
    return set;
  };
  const images = (set: TinySet) => conn.glance.listImages({ ids: set.ids });
  const until = async (what: string, probe: () => Promise<boolean>, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  };
  const holderKey = (holder: string) => `hotstack_lease_${holder}`;

  before(() => {
    requireBuilt('hotstack_snapset_lease');
    conn = devcloudConnection();
  });

  after(async () => {
    for (const name of stacks) {
      const stack = await conn.heat.getStack(name).catch(() => undefined);
      if (stack) await conn.heat.deleteStack(stack.stack_name, stack.id).catch(() => {});
    }
    const leftovers = await conn.glance.listImages({ ids: made.flatMap((set) => set.ids) }).catch(() => [] as Image[]);
    const mine = (await conn.glance.listImages({ tags: ['hotstack'] })).filter((image) => (image.name ?? '').includes(PREFIX));
    for (const image of [...leftovers, ...mine]) await conn.glance.deleteImage(image.id).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  test('a lease: check mode writes nothing; taken on every image; shown by info, list and show; an expired one never blocks and the next write removes it; released', async () => {
    const set = await tiny();
    const job1 = `${PREFIX}job1`;
    const job2 = `${PREFIX}job2`;
    const check = (await lease({ snap_id: set.snap_id, holder: job1 }, {}, true)).result!;
    assert.equal(check.failed, false, JSON.stringify(check));
    assert.match(String(check.msg), new RegExp(`would lease set ${set.snap_id} \\(2 image\\(s\\)\\) to ${job1}`));
    for (const image of await images(set)) assert.equal(image[holderKey(job1)], undefined, 'check mode wrote nothing');

    const taken = (await lease({ snap_id: set.snap_id, holder: job1, ttl: 600 })).result!;
    assert.equal(taken.failed, false, JSON.stringify(taken));
    for (const image of await images(set)) assert.match(String(image[holderKey(job1)]), new RegExp(`^\\S+Z snap_id=${set.snap_id}$`));
    const expires1 = taken.expires as string;
    assert.ok(Date.parse(expires1) - Date.now() > 590_000, expires1);
    const short = (await lease({ snap_id: set.snap_id, holder: job2, ttl: 1 })).result!;
    assert.equal(short.failed, false, JSON.stringify(short));
    await sleep(1500);

    const info = (await runModuleTask('hotstack_snapset_info', { name_prefix: PREFIX }, { env: env() })).result!;
    const shown = (info.snapsets as Json[]).find((s) => s.snap_id === set.snap_id)!;
    assert.deepEqual(shown.leases, [
      { holder: job1, expires: expires1, expired: false },
      { holder: job2, expires: short.expires, expired: true },
    ]);
    assert.equal(shown.deleting, null);
    const list = await cli(['list', '--prefix', PREFIX]);
    assert.equal(list.exitCode, 0, list.all);
    assert.match(list.stdout, new RegExp(`${set.snap_id}.*${job1}<`));
    assert.doesNotMatch(list.stdout, new RegExp(`${job2}<`), 'an expired lease is not listed as holding');
    const show = await cli(['show', set.snap_id]);
    assert.match(show.stdout, new RegExp(`leases: +${job1} until ${expires1}, ${job2} until ${short.expires} \\(expired\\)`));

    const job3 = `${PREFIX}job3`;
    const third = (await lease({ snap_id: set.snap_id, holder: job3 })).result!;
    assert.equal(third.cleaned, 2, 'the expired lease removed from both images');
    for (const image of await images(set)) assert.equal(image[holderKey(job2)], undefined);

    for (const holder of [job1, job3]) {
      const released = (await lease({ snap_id: set.snap_id, holder, state: 'absent' })).result!;
      assert.equal(released.failed, false, JSON.stringify(released));
      assert.deepEqual(released.released, [...set.ids].sort());
    }
    const free = (await images(set)).flatMap((image) => Object.keys(image).filter((key) => key.startsWith('hotstack_lease_')));
    assert.deepEqual(free, []);
    // An expired lease blocks nothing: the set named is deleted.
    await lease({ snap_id: set.snap_id, holder: `${PREFIX}job4`, ttl: 1 });
    await sleep(1500);
    const gone = (await prune({ snap_id: [set.snap_id] })).result!;
    assert.equal(gone.failed, false, JSON.stringify(gone));
    assert.deepEqual([...(gone.removed_images as string[])].sort(), [...set.ids].sort());
  });

  test('a leased set: the module and the CLI refuse to delete it, naming holder and expiry; keep/older_than keep it; --force deletes it', async () => {
    const oldest = await tiny();
    const held = await tiny();
    const newest = await tiny();
    const holder = `${PREFIX}ci-4711`;
    const taken = (await lease({ snap_id: held.snap_id, holder })).result!;
    const named = (await prune({ snap_id: [held.snap_id] })).result!;
    assert.equal(named.failed, true);
    assert.match(
      String(named.msg),
      new RegExp(
        `refusing to delete leased set\\(s\\): ${held.snap_id} leased by ${holder} until ${taken.expires}.*nothing was deleted \\(force: true deletes anyway\\)`,
      ),
    );
    assert.equal((await images(held)).length, 2);
    const del = await cli(['delete', held.snap_id]);
    assert.equal(del.exitCode, 1, del.all);
    assert.match(del.all!, new RegExp(`${held.snap_id} +leased by ${holder} until ${taken.expires}`));
    assert.equal((await images(held)).length, 2);

    const old = (await prune({ name_prefix: PREFIX, older_than: '0s' }, {}, true)).result!;
    assert.deepEqual(
      (old.deleted as Json[]).map((d) => d.snap_id),
      [oldest.snap_id],
    );
    assert.match(String((old.kept as Json[]).find((k) => k.snap_id === held.snap_id)?.reason), new RegExp(`leased by ${holder}`));
    const kept = (await prune({ name_prefix: PREFIX, keep: 1 })).result!;
    assert.equal(kept.failed, false, JSON.stringify(kept));
    assert.deepEqual(
      (kept.deleted as Json[]).map((d) => d.snap_id),
      [oldest.snap_id],
    );
    assert.deepEqual((kept.kept as Json[]).map((d) => d.snap_id).sort(), [held.snap_id, newest.snap_id].sort());
    assert.equal((await images(oldest)).length, 0);

    const forced = await cli(['delete', held.snap_id, '--force']);
    assert.equal(forced.exitCode, 0, forced.all);
    assert.match(forced.stdout, /forced: leased sets deleted, their restores may fail to boot/);
    assert.equal((await images(held)).length, 0);
    await prune({ snap_id: [newest.snap_id] });
  });

  test('race, the prune first: it marked the set and decided — the restore passes the set over, its lease fails cleanly, nothing is created', async () => {
    const set = await tiny({ [CONTROLLER]: { role: 'controller', mac: MAC } });
    const pruning = prune({ snap_id: [set.snap_id] }, { HOTSTACK_DELETE_SETTLE_MS: '300', HOTSTACK_TEST_PAUSE_BEFORE_DELETE_MS: '15000' });
    let mark = '';
    await until('the deletion mark', async () => {
      mark = String((await images(set))[0]?.hotstack_deleting ?? '');
      return mark !== '';
    });
    assert.match(mark, new RegExp(`snap_id=${set.snap_id} decide_by=\\S+ by hotstack_snapset_prune`));
    const decideBy = Date.parse(/decide_by=(\S+)/.exec(mark)![1]!);
    await sleep(Math.max(0, decideBy + 2500 - Date.now()));

    const stackName = `${PREFIX}late`;
    stacks.push(stackName);
    const restore = await runPlaybook(join(ROOT, 'playbooks/01-infra.yml'), {
      env: env(),
      extraVars: restoreVars(stackName, set.snap_id),
    });
    assert.notEqual(restore.exitCode, 0);
    assert.match(
      restore.output,
      new RegExp(`SnapSet ${set.snap_id} cannot be used: set ${set.snap_id} is being deleted by hotstack_snapset_prune`),
    );
    assert.equal(await conn.heat.getStack(stackName), undefined, 'no stack');

    // A restore that chose the set before the mark: its lease step refuses.
    const holder = `${PREFIX}chose-before`;
    const refused = (await lease({ snap_id: set.snap_id, holder })).result!;
    assert.equal(refused.failed, true);
    assert.match(
      String(refused.msg),
      new RegExp(`set ${set.snap_id} is being deleted by hotstack_snapset_prune .*; no lease held, nothing created`),
    );
    for (const image of await images(set)) assert.equal(image[holderKey(holder)], undefined, 'its lease was taken back');

    const pruned = (await pruning).result!;
    assert.equal(pruned.failed, false, JSON.stringify(pruned));
    assert.equal((await images(set)).length, 0);
  });

  test('race, both at once: a lease landing while the prune settles — the prune sees it and keeps the set, the restore waits for that and holds', async () => {
    const set = await tiny();
    const pruning = prune({ snap_id: [set.snap_id] }, { HOTSTACK_DELETE_SETTLE_MS: '6000' });
    await until('the deletion mark', async () => (await images(set)).some((image) => image.hotstack_deleting));
    const holder = `${PREFIX}in-between`;
    const held = (await lease({ snap_id: set.snap_id, holder })).result!;
    assert.equal(held.failed, false, JSON.stringify(held));
    const pruned = (await pruning).result!;
    assert.equal(pruned.failed, true);
    assert.match(
      String(pruned.msg),
      new RegExp(`${set.snap_id} leased by ${holder} until \\S+.*leased while the prune ran.*nothing was deleted`),
    );
    const after = await images(set);
    assert.equal(after.length, 2);
    for (const image of after) {
      assert.equal(image.hotstack_deleting, undefined, 'the mark removed');
      assert.ok(image[holderKey(holder)]);
    }
    await lease({ snap_id: set.snap_id, holder, state: 'absent' });
    await prune({ snap_id: [set.snap_id] });
  });

  // A one-server restore target with the set's MAC on a stack network.
  const restoreVars = (stackName: string, snapId: string) => {
    const template = join(dir, 'target.yaml');
    writeFileSync(
      template,
      JSON.stringify({
        heat_template_version: 'rocky',
        parameters: { controller_params: { type: 'json' } },
        resources: {
          net: { type: 'OS::Neutron::Net', properties: { port_security_enabled: false } },
          subnet: {
            type: 'OS::Neutron::Subnet',
            properties: { network: { get_resource: 'net' }, cidr: '192.168.77.0/24', gateway_ip: null, enable_dhcp: false },
          },
          port: {
            type: 'OS::Neutron::Port',
            properties: {
              network: { get_resource: 'net' },
              port_security_enabled: false,
              mac_address: MAC,
              fixed_ips: [{ subnet: { get_resource: 'subnet' } }],
            },
          },
          [CONTROLLER]: {
            type: 'OS::Nova::Server',
            properties: {
              image: { get_param: ['controller_params', 'image'] },
              flavor: { get_param: ['controller_params', 'flavor'] },
              networks: [{ port: { get_resource: 'port' } }],
            },
          },
        },
        outputs: {
          snapset_data: {
            value: {
              instances: {
                [CONTROLLER]: {
                  uuid: { get_resource: CONTROLLER },
                  role: 'controller',
                  mac_address: { get_attr: ['port', 'mac_address'] },
                },
              },
            },
          },
        },
      }),
    );
    return {
      stack_name: stackName,
      stack_template_path: template,
      hotstack_work_dir: dir,
      hotstack_revive_snapshot: true,
      hotstack_snapset_id: snapId,
      hotstack_stack_timeout: 300,
      stack_parameters: { controller_params: { image: 'devcloud-tiny', flavor: 'devcloud.tiny' } },
    };
  };

  test("race, the restore first: 01 leased the set; the prune refuses it; the stack boots from it, the lease is released. Then rotation of that deployment: a new set (without the old set's hotstack_* properties Nova copied), the scope pruned to the newest 1 not leased, the deployment deleted", async () => {
    const one = { [CONTROLLER]: { role: 'controller', mac: MAC } };
    const older = await tiny(one);
    const leasedOlder = await tiny(one);
    const set = await tiny(one, { hotstack_revivable_until: '2099-01-01T00:00:00Z' });
    const stackName = `${PREFIX}restore`;
    stacks.push(stackName);
    const restoring = runPlaybook(join(ROOT, 'playbooks/01-infra.yml'), {
      env: env({ HOTSTACK_LEASE_SETTLE_MS: '5000' }),
      extraVars: restoreVars(stackName, set.snap_id),
      verbosity: 1,
    });
    await until('the restore lease', async () => (await images(set)).every((image) => image[holderKey(stackName)]), 90_000);
    const pruned = (await prune({ snap_id: [set.snap_id] })).result!;
    assert.equal(pruned.failed, true);
    assert.match(String(pruned.msg), new RegExp(`${set.snap_id} leased by ${stackName} until`));
    const restored = await restoring;
    assert.equal(restored.exitCode, 0, restored.output);
    assert.match(restored.output, new RegExp(`SnapSet ${set.snap_id} held by ${stackName} \\(\\d+ ms\\), released`));
    const stack = await conn.heat.getStack(stackName);
    assert.equal(stack?.stack_status, 'CREATE_COMPLETE');
    for (const image of await images(set)) assert.equal(image[holderKey(stackName)], undefined, 'released once the stack was complete');

    // Rotation (rotate-snapsets.yml without its deployment half, which is create-snapset.yml's 01-03):
    // 04 makes a set of the restored server, prune-snapsets.yml keeps the newest 1 and what a restore
    // holds, delete-deployment.yml deletes the restored stack.
    const other = `${PREFIX}other-job`;
    await lease({ snap_id: leasedOlder.snap_id, holder: other });
    const outputs = load(readFileSync(join(dir, `${stackName}-outputs.yaml`), 'utf8')) as {
      snapset_data: { instances: Record<string, { uuid: string }> };
    };
    const uuid = outputs.snapset_data.instances[CONTROLLER]!.uuid;
    await conn.nova.stopServer(uuid);
    await conn.nova.waitForServer(uuid, 'SHUTOFF', { timeoutMs: 120_000 });
    const rotate = join(dir, 'rotate.yml');
    writeFileSync(
      rotate,
      JSON.stringify([
        { name: 'SnapSet', 'ansible.builtin.import_playbook': join(ROOT, 'playbooks/04-create-snapset.yml') },
        { name: 'Prune', 'ansible.builtin.import_playbook': join(ROOT, 'playbooks/prune-snapsets.yml') },
        {
          name: 'Delete',
          'ansible.builtin.import_playbook': join(ROOT, 'playbooks/delete-deployment.yml'),
          when: 'hotstack_rotate_delete_stack | default(true) | bool',
        },
      ]),
    );
    const started = Date.now();
    const rotated = await runPlaybook(rotate, {
      env: env(),
      extraVars: {
        hotstack_work_dir: dir,
        stack_name: stackName,
        snapset_data: { instances: { [CONTROLLER]: { uuid, role: 'controller', mac_address: MAC } } },
        hotstack_snapset_keep: 1,
      },
    });
    assert.equal(rotated.exitCode, 0, rotated.output);
    console.log(`rotation (04 + prune-snapsets.yml + delete-deployment.yml) of a one-server deployment: ${Date.now() - started} ms`);
    assert.match(rotated.output, new RegExp(`stack ${stackName} deleted`));
    assert.equal(await conn.heat.getStack(stackName), undefined, 'the deployment the set was made of is gone');
    const saved = load(readFileSync(join(dir, `${stackName}-snapset.yaml`), 'utf8')) as { snap_id: string };
    const [copy] = await conn.glance.listImages({ tags: [`snap_id=${saved.snap_id}`] });
    made.push({ snap_id: saved.snap_id, images: {}, ids: [copy!.id] });
    const hotstackKeys = Object.keys(copy!)
      .filter((key) => key.startsWith('hotstack_'))
      .sort();
    assert.deepEqual(hotstackKeys, ['hotstack_name', 'hotstack_snap_id', 'hotstack_snapset_size'], 'nothing copied from the old set');
    assert.equal(copy!.hotstack_snap_id, saved.snap_id);
    // The newest set stays, so does the leased one; the restored set and the oldest go.
    assert.equal((await images(set)).length, 0);
    assert.equal((await images(older)).length, 0);
    assert.equal((await images(leasedOlder)).length, 1);
    assert.match(rotated.output, new RegExp(`${leasedOlder.snap_id}': 'leased by ${other} until`));
    await lease({ snap_id: leasedOlder.snap_id, holder: other, state: 'absent' });
  });

  test('what the lease step adds to a restore: in the stack task (01), and as two tasks of their own', async () => {
    const set = await tiny();
    const holder = `${PREFIX}timing`;
    const play = join(dir, 'timing.yml');
    const out = join(dir, 'timing.json');
    writeFileSync(
      play,
      JSON.stringify([
        {
          hosts: 'localhost',
          gather_facts: false,
          tasks: [
            { 'ansible.builtin.set_fact': { t0: '{{ now(utc=true).timestamp() }}' } },
            { hotstack_snapset_lease: { snap_id: set.snap_id, holder }, register: 'taken' },
            { hotstack_snapset_lease: { snap_id: set.snap_id, holder, state: 'absent' } },
            { 'ansible.builtin.set_fact': { t1: '{{ now(utc=true).timestamp() }}' } },
            {
              'ansible.builtin.copy': {
                content: '{{ {"ms": ((t1 | float - t0 | float) * 1000) | int, "module_ms": taken.elapsed_ms} | to_json }}',
                dest: out,
              },
            },
          ],
        },
      ]),
    );
    const timing = await runPlaybook(play, { env: env(), resultFile: out });
    assert.equal(timing.exitCode, 0, timing.output);
    const { ms, module_ms } = timing.result as { ms: number; module_ms: number };
    console.log(`hotstack_snapset_lease, lease + release as two Ansible tasks: ${ms} ms (the lease itself: ${module_ms} ms)`);
    assert.ok(module_ms < 1000, `lease took ${module_ms} ms`);

    // 01's way: hotstack_stack holds the set in the stack task itself (no task, no authentication more).
    const template = join(dir, 'value.yaml');
    writeFileSync(template, 'heat_template_version: rocky\nresources:\n  v: {type: OS::Heat::Value, properties: {value: 1}}\n');
    const stackName = `${PREFIX}timing`;
    stacks.push(stackName);
    const stack = (
      await runModuleTask('hotstack_stack', { name: stackName, template, hold_snapset: { snap_id: set.snap_id } }, { env: env() })
    ).result!;
    assert.equal(stack.failed, false, JSON.stringify(stack));
    const held = stack.snapset_lease as { lease_ms: number; release_ms: number; released: boolean; holder: string };
    assert.equal(held.released, true);
    assert.equal(held.holder, stackName);
    console.log(`hotstack_stack hold_snapset: lease ${held.lease_ms} ms + release ${held.release_ms} ms`);
    assert.ok(held.lease_ms + held.release_ms < 1000, JSON.stringify(held));
    for (const image of await images(set)) assert.equal(image[holderKey(stackName)], undefined);
    await prune({ snap_id: [set.snap_id] });
  });
});
