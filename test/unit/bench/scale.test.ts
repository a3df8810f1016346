// The pure parts of npm run bench:scale: the sets it fabricates (judged as the kinds they stand
// for), Hotstack's lookup as the baseline computes it, and the CLI's stats line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newestController, tagDict } from '../../../bench/hotstack-lookup.ts';
import { cliStats, scaleTemplate } from '../../../bench/scale-operations.ts';
import { benchSnapId, kindOf, planNoise, planScaleSets, type ScaleKind, scenarioTopology } from '../../../bench/scale-sets.ts';
import type { Image } from '../../../lib/openstack/glance.ts';
import { planRestore, type Template } from '../../../lib/snapset/restore.ts';
import { groupSets } from '../../../lib/snapset/sets.ts';
import { listedScaleSets } from '../../helpers/scale-listed.ts';

const NOW = new Date('2026-12-06T12:00:00Z');

const asListed = (prefix: string, count: number): Image[] => listedScaleSets(prefix, count, NOW);

test('the fabricated sets are judged as the kinds they stand for; other images are no set', () => {
  const expected: Record<ScaleKind, string> = {
    usable: 'usable',
    expired: 'expired',
    hotstack: 'unverified',
    cut: 'incomplete',
    unmarked: 'incomplete',
    killed: 'incomplete',
  };
  const planned = planScaleSets(40, 'u1-', NOW);
  const sets = groupSets(asListed('u1-', 40), NOW);
  assert.equal(sets.length, 40);
  for (const plan of planned) {
    const set = sets.find((candidate) => candidate.snap_id === plan.snapId)!;
    assert.equal(set.status, expected[plan.kind], `${plan.snapId} (${plan.kind}): ${set.problems.join('; ')}`);
    assert.equal(set.made_by, plan.kind === 'hotstack' ? 'another tool' : 'this project');
  }
  const noise = planNoise(40, 'u1-').map((planned, index) => ({
    id: `n${index}`,
    name: planned.name,
    status: 'active',
    tags: planned.tags,
    created_at: '2026-12-06T10:00:00Z',
    ...planned.properties,
  }));
  assert.equal(noise.length, 4);
  assert.equal(groupSets(noise, NOW).length, 0);
});

test('the kinds cycle over 20 sets; snap_ids are 8 characters and unique in a run', () => {
  const kinds = Array.from({ length: 20 }, (_, index) => kindOf(index));
  assert.equal(kinds.filter((kind) => kind === 'usable').length, 14);
  assert.deepEqual([...new Set(kinds)].sort(), ['cut', 'expired', 'hotstack', 'killed', 'unmarked', 'usable']);
  const ids = Array.from({ length: 600 }, (_, index) => benchSnapId('sc1a2b3c', index));
  assert.equal(new Set(ids).size, 600);
  assert.ok(ids.every((id) => /^[A-Za-z0-9_-]{8}$/.test(id)));
});

test("Hotstack's lookup: the newest controller image by created_at and its snap_id tag", () => {
  assert.deepEqual(tagDict(['hotstack', 'role=controller', 'snap_id=ab=cd', 'mac_address=fa:16']), {
    role: 'controller',
    'snap_id=ab': 'cd',
    mac_address: 'fa:16',
  });
  const images = [
    { id: 'old', tags: ['hotstack', 'role=controller', 'snap_id=OLD'], created_at: '2026-12-01T00:00:00Z' },
    { id: 'new', tags: ['hotstack', 'role=controller', 'snap_id=NEW'], created_at: '2026-12-02T00:00:00Z' },
    { id: 'bad', tags: ['hotstack', 'role=controller', 'snap_id=BAD'], created_at: 'not a date' },
    { id: 'master', tags: ['hotstack', 'role=ocp_master', 'snap_id=M'], created_at: '2026-12-03T00:00:00Z' },
  ];
  assert.deepEqual(newestController(images), { id: 'new', snapId: 'NEW' });
  assert.equal(newestController([]), undefined);
});

test("the CLI's stats line is read from stderr; the template restores the run's sno sets", () => {
  assert.deepEqual(cliStats('looking up…\nstats: {"http_requests":3,"http_requests_by_service":{"identity":1,"image":2}}\n'), {
    http_requests: 3,
    http_requests_by_service: { identity: 1, image: 2 },
  });
  assert.throws(() => cliStats('nothing'), /no stats line/);
  const sets = groupSets(asListed('u2-', 20), NOW);
  const usable = sets.find((set) => set.status === 'usable' && Object.keys(set.instances).length === 2)!;
  assert.deepEqual(Object.keys(scenarioTopology('u2-', 'sno')).sort(), Object.keys(usable.instances).sort());
  const plan = planRestore(usable, scaleTemplate('u2-') as Template, {}, undefined);
  assert.deepEqual(Object.keys(plan.stack_parameters).sort(), ['controller_params', 'ocp_master_params']);
});
