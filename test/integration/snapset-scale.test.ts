// Lookups do not cost a request per set (issue 20: fast with hundreds of sets): the CLI's list and
// verify, hotstack_snapset_info (latest, pinned, with a template) and hotstack_snapset_prune's
// planning (check mode), each a run of the built executable, counted by the run's own connection,
// with 5 sets of this run in the project and then with 30 — tiny images fabricated as bench:scale
// makes them (bench/scale-sets.ts), named for this run and deleted at the end. Each needs at most
// 10 Glance requests, and the same number at 5 and at 30 sets; the choices are those of a read of
// every image.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fabricate, removeRun } from '../../bench/scale-fabricate.ts';
import { runOperation, type Sample, scaleOperations, scaleTemplate } from '../../bench/scale-operations.ts';
import { type PlannedSet, planScaleSets, scenarioTopology } from '../../bench/scale-sets.ts';
import { cleanEnv, devcloudConnection, devcloudEnv, uniqueSuffix } from '../../labs/devcloud/devcloud.ts';
import { ROOT, requireBuilt } from '../../labs/repo.ts';
import type { Connection } from '../../lib/openstack/connect.ts';
import { loadSets } from '../../lib/snapset/catalog.ts';
import { chooseSet, inScope } from '../../lib/snapset/sets.ts';

const PREFIX = `sx${uniqueSuffix()}-`;
const env = () => ({ ...cleanEnv(), ...devcloudEnv(), HOTSTACK_SNAPSET_STATS: '1' });

describe('SnapSet lookups at scale on devcloud: Glance requests do not grow with the sets', { timeout: 300_000 }, () => {
  let conn: Connection;
  const created: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'hotstack-scale-'));
  const plan: PlannedSet[] = planScaleSets(30, PREFIX, new Date());
  const topology = scenarioTopology(PREFIX, 'sno');
  const counts: Record<number, Record<string, Sample>> = {};

  const measure = async (sets: number) => {
    const templateFile = join(dir, 'sno.yaml');
    writeFileSync(templateFile, JSON.stringify(scaleTemplate(PREFIX)));
    const pinned = plan.find((set) => set.kind === 'usable' && set.scenario === 'sno')!.snapId;
    const samples: Record<string, Sample> = {};
    for (const operation of scaleOperations({ root: ROOT, dir, prefix: PREFIX, topology, pinned, templateFile }))
      samples[operation.label] = await runOperation(operation, ROOT, env());
    counts[sets] = samples;
    return samples;
  };

  before(async () => {
    requireBuilt('hotstack_snapset_info');
    conn = devcloudConnection();
  });

  after(async () => {
    const removed = await removeRun(conn, PREFIX, created);
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(removed.left, [], 'every image of the run is deleted');
  });

  test('with 5 sets: each lookup within 10 Glance requests, the choices those of a read of everything', async () => {
    await fabricate(
      conn,
      plan.slice(0, 5).flatMap((set) => set.images),
      { concurrency: 8, created },
    );
    const samples = await measure(5);
    for (const [label, sample] of Object.entries(samples)) assert.ok(sample.glance <= 10, `${label}: ${sample.glance} Glance requests`);
    const all = (await loadSets(conn)).filter((set) => inScope(set, { topology }));
    const newest = chooseSet(all, { topology }).chosen!;
    assert.ok(plan.slice(0, 5).some((set) => set.snapId === newest.snap_id));
    assert.match(samples['info latest (scenario)']!.summary, new RegExp(`snap_id ${newest.snap_id}`));
    assert.match(samples['CLI verify (newest usable of a scenario)']!.summary, new RegExp(`ok true, snap_id ${newest.snap_id}`));
  });

  test('with 30 sets: the same number of Glance requests for each lookup', async () => {
    await fabricate(
      conn,
      plan.slice(5).flatMap((set) => set.images),
      { concurrency: 8, created },
    );
    const samples = await measure(30);
    const all = (await loadSets(conn)).filter((set) => inScope(set, { topology }));
    const newest = chooseSet(all, { topology }).chosen!;
    assert.match(samples['info latest (scenario)']!.summary, new RegExp(`snap_id ${newest.snap_id}`));
    assert.match(samples['prune plan (check mode, keep 3 + orphans)']!.summary, /would delete \d+ set/);
    assert.equal(samples['CLI list --limit 20 (the newest 20 sets)']!.summary, '20 set(s)');
    for (const [label, sample] of Object.entries(samples)) {
      assert.ok(sample.glance <= 10, `${label}: ${sample.glance} Glance requests`);
      assert.equal(sample.glance, counts[5]![label]!.glance, `${label}: as many Glance requests at 30 sets as at 5`);
    }
  });
});
