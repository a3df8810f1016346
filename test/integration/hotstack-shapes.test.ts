// Hotstack's scenario shapes and vars files through 01-infra.yml in check mode on devcloud: the
// restore planning of hotstack_snapset_info runs for real against Glance, and hotstack_stack asks
// Heat, but nothing is created — these templates need what devcloud lacks (Cinder volumes, a router
// and floating IPs on an external network). The sets are two tiny images uploaded with a set's tags
// and properties (controller fa:16:9e:81:f6:05, master0 …:10), pinned by snap_id so that other
// tests' sets never interfere; the vars files are the shipped ones, as a user passes them (-e @).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { load } from 'js-yaml';
import { devcloudConnection, devcloudEnv } from '../../labs/devcloud/devcloud.ts';
import type { Connection } from '../../lib/openstack/connect.ts';
import { ROOT, requireBuilt, runPlaybook } from '../helpers/ansible.ts';
import { makeTinySet } from '../helpers/tiny-set.ts';

type Json = Record<string, unknown>;
const SNO = { controller: ['controller', 'fa:16:9e:81:f6:05'], master0: ['ocp_master', 'fa:16:9e:81:f6:10'] } as const;

describe("Hotstack's scenario shapes and vars files: 01 plans the restore (check mode, devcloud)", { timeout: 600_000 }, () => {
  let conn: Connection;
  const work = mkdtempSync(join(tmpdir(), 'hotstack-shapes-'));
  const made: string[] = [];
  let sno = '';
  let cut = '';
  let three = '';

  /** A set as hotstack_snapset leaves it (tags, marker, size), `instances` of it uploaded (tiny data). */
  async function uploadSet(instances: Record<string, readonly [string, string]>, size = Object.keys(instances).length): Promise<string> {
    const wanted = Object.fromEntries(Object.entries(instances).map(([name, [role, mac]]) => [name, { role, mac }]));
    const set = await makeTinySet(conn, wanted, { hotstack_snapset_size: String(size) });
    made.push(...set.ids);
    return set.snap_id;
  }
  const scenarioVars = (scenario: string) => load(readFileSync(join(ROOT, 'scenarios', scenario, 'bootstrap_vars.yml'), 'utf8')) as Json;
  /** 01 in check mode with the scenario's vars file as is, on devcloud. */
  const plan = (scenario: string, extra: Json = {}) =>
    runPlaybook(join(ROOT, 'playbooks', '01-infra.yml'), {
      env: devcloudEnv(),
      check: true,
      verbosity: 1,
      extraVars: { ...scenarioVars(scenario), os_cloud: 'devcloud', hotstack_work_dir: work, ...extra },
    });

  before(async () => {
    requireBuilt('hotstack_snapset_info');
    conn = devcloudConnection();
    sno = await uploadSet(SNO);
    cut = await uploadSet({ controller: SNO.controller }, 2);
    three = await uploadSet({ ...SNO, master1: ['ocp_master', 'fa:16:9e:81:f6:11'], master2: ['ocp_master', 'fa:16:9e:81:f6:12'] });
  });
  after(async () => {
    for (const id of made) await conn.glance.deleteImage(id).catch(() => {});
    rmSync(work, { recursive: true, force: true });
  });

  test("sno-bmh-tests as Hotstack's vars give it: controller and master0 restored, bmh0..2 named as not restored, stack hs-sno-bmh-tests-no-zuul", async () => {
    const run = await plan('sno-bmh-tests', { hotstack_revive_snapshot: true, hotstack_snapset_id: sno });
    assert.equal(run.exitCode, 0, run.output);
    assert.match(run.output, new RegExp(`SnapSet ${sno} \\(pinned\\)`));
    assert.match(run.output, /"controller_params": \{\s*"image": "[0-9a-f-]{36}"/);
    assert.match(run.output, /"ocp_master_params": \{\s*"image": "[0-9a-f-]{36}"/);
    for (const bmh of ['bmh0', 'bmh1', 'bmh2'])
      assert.match(run.output, new RegExp(`${bmh}.: .boots from a volume \\(image bmh_params.cd_image\\)`));
    assert.match(run.output, /"msg": "stack hs-sno-bmh-tests-no-zuul would create"/);
    assert.doesNotMatch(run.output, /not supported here/, 'install-only and later variables stay quiet');
  });

  test('a stack_name built from zuul.build', async () => {
    const run = await plan('sno-bmh-tests', { zuul: { build: '0123456789abcdef' } });
    assert.equal(run.exitCode, 0, run.output);
    assert.match(run.output, /"msg": "stack hs-sno-bmh-tests-01234567 would create"/);
  });

  test('snapshot-sno (Cinder volumes on master0) and sno-nat64 (snapset_data through a Heat::Value, NAT64 and sushy-tools servers)', async () => {
    const own = await plan('snapshot-sno', { hotstack_revive_snapshot: true, hotstack_snapset_id: sno });
    assert.equal(own.exitCode, 0, own.output);
    assert.match(
      own.output,
      /"volumes": \[\s*"master0-cinder-vol0",\s*"master0-cinder-vol1",\s*"master0-cinder-vol2",\s*"master0-lvms-vol0"\s*\]/,
    );
    const nat64 = await plan('sno-nat64', { hotstack_revive_snapshot: true, hotstack_snapset_id: sno });
    assert.equal(nat64.exitCode, 0, nat64.output);
    // (printed as a Python dict inside JSON: the reason, holding an apostrophe, is in escaped double quotes)
    assert.match(nat64.output, /nat64-appliance': \\"not in the target's snapset_data output/);
    assert.match(nat64.output, /sushy-tools': \\"not in the target's snapset_data output/);
  });

  test('a cut set is refused naming the missing instance; a set with instances the target lacks names them', async () => {
    const refused = await plan('sno-bmh-tests', { hotstack_revive_snapshot: true, hotstack_snapset_id: cut });
    assert.notEqual(refused.exitCode, 0);
    assert.match(refused.output, new RegExp(`SnapSet ${cut} cannot be used: .*no image for instance master0`));
    const bigger = await plan('sno-bmh-tests', { hotstack_revive_snapshot: true, hotstack_snapset_id: three });
    assert.notEqual(bigger.exitCode, 0);
    assert.match(bigger.output, /instances master1, master2 not in the scenario/);
  });

  test('Hotstack variables its 01-04 act on and this project does not are named in one warning', async () => {
    const run = await plan('snapshot-sno', {
      nfs_server_enabled: true,
      compress_heat_files: [{ archive: 'a', files: ['b'] }],
      nfs_exports: [],
    });
    assert.equal(run.exitCode, 0, run.output);
    // an Ansible warning ([WARNING]: …, wrapped by Ansible at the terminal width: read as one line)
    const flat = run.output.replace(/\s*\n\s*/g, ' ');
    const warnings = flat.match(/\[WARNING\]: not supported here, ignored: .*?\)(?= \S+:| TASK| PLAY|$)/g) ?? [];
    assert.equal(warnings.length, 1, run.output);
    assert.match(
      warnings[0]!,
      /^\[WARNING\]: not supported here, ignored: compress_heat_files \(Hotstack's 01 .*; nfs_server_enabled \(Hotstack's 02 .*\)$/,
    );
    assert.doesNotMatch(warnings[0]!, /nfs_exports/, 'an empty value is not a setting');
  });
});
