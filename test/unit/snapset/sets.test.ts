// SnapSet lookup decisions: grouping, completeness by hotstack_snapset_size, consistency, expiry,
// topology, the newest usable set and why newer ones were passed over; prune and orphan planning.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Image } from '../../../lib/openstack/glance.ts';
import { isOrphan, parseDuration, planPrune } from '../../../lib/snapset/prune.ts';
import { chooseSet, groupSets, inScope, summarizeSet, topologyMismatch } from '../../../lib/snapset/sets.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
let counter = 0;

interface MemberSpec {
  name: string;
  role?: string;
  mac?: string;
  status?: string;
  marked?: boolean;
  size?: string | null;
  extra?: Record<string, unknown>;
  tags?: string[];
}

function image(snapId: string, created: string, member: MemberSpec): Image {
  const tags = member.tags ?? [
    'hotstack',
    `name=${member.name}`,
    `snap_id=${snapId}`,
    ...(member.role === undefined ? ['role=controller'] : member.role ? [`role=${member.role}`] : []),
    ...(member.mac === '' ? [] : [`mac_address=${member.mac ?? `fa:16:3e:00:00:${(++counter).toString(16).padStart(2, '0')}`}`]),
    ...(member.marked === false ? [] : ['hotstack-snapset']),
  ];
  return {
    id: `img-${snapId}-${member.name}`,
    name: `hotstack-${member.name}-snapshot-${snapId}`,
    status: member.status ?? 'active',
    tags,
    created_at: created,
    size: 1000,
    hotstack_snap_id: snapId,
    hotstack_name: member.name,
    ...(member.size === null ? {} : { hotstack_snapset_size: member.size ?? '2' }),
    ...member.extra,
  };
}

function sno(snapId: string, created: string, overrides: Partial<Record<'controller' | 'master0', Partial<MemberSpec>>> = {}): Image[] {
  return [
    image(snapId, created, { name: 'controller', role: 'controller', ...overrides.controller }),
    image(snapId, created, { name: 'master0', role: 'ocp_master', ...overrides.master0 }),
  ];
}

const SNO = { controller: 'controller', master0: 'ocp_master' };

test('a whole, marked, active set of the declared size is usable, with its instances, roles and bytes', () => {
  const [set] = groupSets(sno('AAAA', '2026-11-20T10:00:00Z'), NOW);
  assert.equal(set?.status, 'usable');
  assert.deepEqual(set?.problems, []);
  assert.deepEqual(set?.instances, SNO);
  assert.deepEqual(set?.roles, ['controller', 'ocp_master']);
  assert.equal(set?.size, 2);
  assert.equal(set?.bytes, 2000);
});

test('a cut set (one image gone, though the others are marked) is incomplete', () => {
  const images = sno('CUT1', '2026-11-20T10:00:00Z').slice(0, 1);
  const set = summarizeSet('CUT1', images, NOW);
  assert.equal(set.status, 'incomplete');
  assert.match(set.problems.join(), /1 of 2 images are there/);
});

test('a set whose final marking was interrupted is incomplete and names the unmarked images', () => {
  const set = summarizeSet('HALF', sno('HALF', '2026-11-20T10:00:00Z', { master0: { marked: false } }), NOW);
  assert.equal(set.status, 'incomplete');
  assert.match(set.problems.join(), /1 of 2 image\(s\) lack the hotstack-snapset mark/);
});

test('a set without hotstack_snapset_size cannot be told whole and is not usable', () => {
  const set = summarizeSet('OLD1', sno('OLD1', '2026-11-20T10:00:00Z', { controller: { size: null }, master0: { size: null } }), NOW);
  assert.equal(set.status, 'incomplete');
  assert.match(set.problems.join(), /no hotstack_snapset_size/);
});

test('images disagreeing on the size, or two images of one instance, make the set inconsistent', () => {
  assert.equal(summarizeSet('D', sno('D', '2026-11-20T10:00:00Z', { master0: { size: '3' } }), NOW).status, 'inconsistent');
  const twice = [
    ...sno('T', '2026-11-20T10:00:00Z'),
    { ...image('T', '2026-11-20T10:00:00Z', { name: 'master0', role: 'ocp_master' }), id: 'other' },
  ];
  const set = summarizeSet('T', twice, NOW);
  assert.equal(set.status, 'inconsistent');
  assert.match(set.problems.join(), /instance master0 has 2 images/);
});

test('an image still saving makes the set incomplete', () => {
  const set = summarizeSet('S', sno('S', '2026-11-20T10:00:00Z', { master0: { status: 'saving', marked: false } }), NOW);
  assert.equal(set.status, 'incomplete');
  assert.match(set.problems.join(), /image hotstack-master0-snapshot-S is saving/);
});

test('hotstack_revivable_until in the past makes a complete set expired; the earliest date of the images counts', () => {
  const expired = sno('E', '2026-10-01T00:00:00Z', {
    controller: { extra: { hotstack_revivable_until: '2026-11-24T00:00:00Z' } },
    master0: { extra: { hotstack_revivable_until: '2026-12-24T00:00:00Z' } },
  });
  const set = summarizeSet('E', expired, NOW);
  assert.equal(set.status, 'expired');
  assert.equal(set.revivable_until, '2026-11-24T00:00:00Z');
  const fresh = summarizeSet(
    'F',
    sno('F', '2026-11-20T00:00:00Z', {
      controller: {
        extra: { hotstack_revivable_until: '2026-12-20T00:00:00Z', hotstack_revivable_without_csr_until: '2026-11-21T00:00:00Z' },
      },
      master0: { extra: { hotstack_revivable_until: '2026-12-20T00:00:00Z' } },
    }),
    NOW,
  );
  assert.equal(fresh.status, 'usable', 'past the CSR-free date but still revivable');
  assert.equal(fresh.revivable_without_csr_until, '2026-11-21T00:00:00Z');
});

test('images without a snap_id (other images of the project) are ignored; sets come newest first', () => {
  const other: Image = { id: 'base', name: 'centos', status: 'active', tags: [], created_at: '2026-11-25T00:00:00Z' };
  const sets = groupSets([...sno('OLD', '2026-11-01T00:00:00Z'), other, ...sno('NEW', '2026-11-22T00:00:00Z')], NOW);
  assert.deepEqual(
    sets.map((set) => set.snap_id),
    ['NEW', 'OLD'],
  );
});

test('latest skips an incomplete newer set for an older complete one and says why', () => {
  const images = [
    ...sno('NEWER', '2026-11-24T00:00:00Z', { master0: { marked: false } }),
    ...sno('NEWEST', '2026-11-25T00:00:00Z').slice(0, 1),
    ...sno('GOOD', '2026-11-20T00:00:00Z'),
    ...sno('OLDER', '2026-11-10T00:00:00Z'),
  ];
  const choice = chooseSet(groupSets(images, NOW), { topology: SNO });
  assert.equal(choice.chosen?.snap_id, 'GOOD');
  assert.deepEqual(
    choice.passed_over.map((p) => p.snap_id),
    ['NEWEST', 'NEWER'],
  );
  assert.match(choice.passed_over[0]!.reasons.join(), /incomplete: .*1 of 2 images are there/);
  assert.match(choice.explanation, /passed over 2 newer set\(s\)/);
});

test('latest for a scenario passes over sets of another topology and roles', () => {
  const three = ['controller', 'master0', 'master1', 'master2'].map((name) =>
    image('THREE', '2026-11-24T00:00:00Z', { name, role: name === 'controller' ? 'controller' : 'ocp_master', size: '4' }),
  );
  const sets = groupSets([...three, ...sno('SNO', '2026-11-20T00:00:00Z')], NOW);
  assert.equal(chooseSet(sets, { topology: SNO }).chosen?.snap_id, 'SNO');
  const threeTopology = { controller: 'controller', master0: 'ocp_master', master1: 'ocp_master', master2: 'ocp_master' };
  const choice = chooseSet(sets, { topology: threeTopology });
  assert.equal(choice.chosen?.snap_id, 'THREE');
  assert.deepEqual(topologyMismatch(sets[1]!, threeTopology), ['no image for instances master1, master2']);
  assert.deepEqual(topologyMismatch(sets[1]!, { controller: 'controller', master0: 'ocp_worker' }), [
    'instance master0 has role ocp_master, the scenario wants ocp_worker',
  ]);
});

test('a pinned set is used when it counts, refused with its reasons when not, reported missing when absent', () => {
  const sets = groupSets(
    [...sno('NEW', '2026-11-24T00:00:00Z'), ...sno('PIN', '2026-11-20T00:00:00Z'), ...sno('CUT', '2026-11-19T00:00:00Z').slice(1)],
    NOW,
  );
  assert.equal(chooseSet(sets, { snapId: 'PIN' }).chosen?.snap_id, 'PIN');
  const cut = chooseSet(sets, { snapId: 'CUT' });
  assert.equal(cut.chosen, undefined);
  assert.match(cut.explanation, /SnapSet CUT cannot be used: incomplete/);
  assert.match(chooseSet(sets, { snapId: 'NOPE' }).explanation, /no SnapSet NOPE/);
  assert.match(chooseSet([], {}).explanation, /no usable SnapSet/);
});

test('scope by name prefix and by topology', () => {
  const [set] = groupSets(sno('A', '2026-11-20T00:00:00Z'), NOW);
  assert.ok(inScope(set!, { namePrefix: 'c' }) === false, 'master0 does not start with c');
  assert.ok(inScope(set!, { namePrefix: '' }));
  assert.ok(inScope(set!, { topology: SNO }));
  assert.ok(inScope(set!, { topology: { ...SNO, master1: 'ocp_master' } }), 'a cut set of a bigger scenario is in its scope');
  assert.ok(!inScope(set!, { topology: { controller: 'controller' } }));
});

test('durations', () => {
  assert.equal(parseDuration('90'), 90);
  assert.equal(parseDuration('45m'), 2700);
  assert.equal(parseDuration('30d'), 2_592_000);
  assert.equal(parseDuration(12), 12);
  assert.throws(() => parseDuration('soon', 'older_than'), /older_than: "soon" is not a duration/);
});

test('prune by count keeps the newest usable sets, deletes older and expired ones, never touches incomplete ones', () => {
  const images = [
    ...sno('N1', '2026-11-24T00:00:00Z'),
    ...sno('N2', '2026-11-23T00:00:00Z'),
    ...sno('N3', '2026-11-22T00:00:00Z'),
    ...sno('EXP', '2026-11-21T00:00:00Z', { controller: { extra: { hotstack_revivable_until: '2026-11-22T00:00:00Z' } } }),
    ...sno('CUT', '2026-11-01T00:00:00Z').slice(1),
  ];
  const plan = planPrune(groupSets(images, NOW), { scope: { topology: SNO }, keep: 2 }, NOW);
  assert.deepEqual(plan.delete.map((d) => d.snap_id).sort(), ['EXP', 'N3']);
  assert.deepEqual(plan.delete.find((d) => d.snap_id === 'N3')?.image_ids.sort(), ['img-N3-controller', 'img-N3-master0']);
});

test('prune by age never deletes the newest usable set, even when it is old; named by snap_id it goes', () => {
  const images = [
    ...sno('OLD1', '2026-01-01T00:00:00Z'),
    ...sno('OLD2', '2025-12-01T00:00:00Z'),
    ...sno('NEWCUT', '2026-11-25T11:00:00Z', { master0: { marked: false } }),
  ];
  const sets = groupSets(images, NOW);
  const plan = planPrune(sets, { scope: { topology: SNO }, olderThanSeconds: 86_400 }, NOW);
  assert.deepEqual(
    plan.delete.map((d) => d.snap_id),
    ['OLD2'],
  );
  assert.ok(plan.keep.some((k) => k.snap_id === 'OLD1' && /newest usable/.test(k.reason)));
  assert.ok(plan.keep.some((k) => k.snap_id === 'NEWCUT' && /a run may still be making it/.test(k.reason)));
  const named = planPrune(sets, { scope: {}, snapIds: ['OLD1'] }, NOW);
  assert.deepEqual(
    named.delete.map((d) => d.snap_id),
    ['OLD1'],
  );
  assert.equal(
    planPrune(sets, { scope: {}, keep: 0 }, NOW).delete.some((d) => d.snap_id === 'OLD1'),
    false,
  );
});

test('orphans: incomplete sets quiet for longer than the grace period, never a complete or expired set, never a young one', () => {
  const images = [
    ...sno('DONE', '2026-11-01T00:00:00Z'),
    ...sno('EXP', '2026-10-01T00:00:00Z', { controller: { extra: { hotstack_revivable_until: '2026-11-01T00:00:00Z' } } }),
    // A run killed before tagging: images with the snap_id property only.
    image('KILLED', '2026-11-24T00:00:00Z', { name: 'controller', tags: [] }),
    ...sno('CUT', '2026-11-20T00:00:00Z').slice(1),
    ...sno('YOUNG', '2026-11-25T11:50:00Z', { master0: { status: 'saving', marked: false } }),
  ];
  const sets = groupSets(images, NOW);
  assert.deepEqual(
    sets
      .filter((set) => isOrphan(set, NOW, 3600))
      .map((set) => set.snap_id)
      .sort(),
    ['CUT', 'KILLED'],
  );
  const plan = planPrune(sets, { scope: {}, orphans: true, orphanGraceSeconds: 3600 }, NOW);
  assert.deepEqual(plan.delete.map((d) => d.snap_id).sort(), ['CUT', 'KILLED']);
  assert.ok(plan.delete.every((d) => /^orphan/.test(d.reason)));
});
