// Leases and deletion marks, decided from image records: parsing, expiry, copies Nova made from
// another set, the restore's and the deleter's verdicts after the re-read, and what a prune keeps.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HotstackError } from '../../../lib/errors.ts';
import type { Image } from '../../../lib/openstack/glance.ts';
import { inheritedKeys } from '../../../lib/snapset/data.ts';
import {
  checkHolder,
  DELETING_PROPERTY,
  deleteVerdict,
  leaseValue,
  leaseVerdict,
  markValue,
  parseMarkValue,
  setDeletionMark,
  setLeases,
  staleKeys,
} from '../../../lib/snapset/lease.ts';
import { planPrune, setsToClean } from '../../../lib/snapset/prune.ts';
import { chooseSet, groupSets } from '../../../lib/snapset/sets.ts';

const NOW = new Date('2026-12-06T12:00:00Z');
const LATER = '2026-12-06T13:00:00Z';
const EARLIER = '2026-12-06T11:00:00Z';

function image(snapId: string, name: string, extra: Record<string, unknown> = {}, created = '2026-12-01T00:00:00Z'): Image {
  return {
    id: `img-${snapId}-${name}`,
    name: `hotstack-${name}-snapshot-${snapId}`,
    status: 'active',
    tags: [
      'hotstack',
      'hotstack-snapset',
      `name=${name}`,
      `snap_id=${snapId}`,
      `role=${name === 'controller' ? 'controller' : 'ocp_master'}`,
      'mac_address=fa:16:3e:00:00:01',
    ],
    created_at: created,
    size: 1,
    hotstack_snap_id: snapId,
    hotstack_name: name,
    hotstack_snapset_size: '2',
    ...extra,
  };
}
const set = (snapId: string, extra: Record<string, unknown> = {}, created?: string) => [
  image(snapId, 'controller', extra, created),
  image(snapId, 'master0', extra, created),
];

test('holder: a stack name is a safe property key; anything else is refused naming the option', () => {
  assert.equal(checkHolder('ci-job_4711.a'), 'ci-job_4711.a');
  for (const bad of ['', 'a/b', 'has space', '-lead', 'x'.repeat(201), 3])
    assert.throws(
      () => checkHolder(bad),
      (error: unknown) => error instanceof HotstackError && /^holder: /.test(error.message),
    );
});

test('leases: one per holder, the latest expiry among the images, expired ones flagged; copies from another set ignored', () => {
  const images = [
    image('S1', 'controller', { hotstack_lease_a: leaseValue(new Date(LATER), 'S1'), hotstack_lease_b: `${EARLIER} snap_id=S1` }),
    image('S1', 'master0', {
      hotstack_lease_a: `2026-12-06T12:30:00Z snap_id=S1`,
      hotstack_lease_old: `${LATER} snap_id=OTHER`, // Nova's copy from the set the server booted from
      hotstack_lease_bad: 'soon',
    }),
  ];
  assert.deepEqual(setLeases(images, 'S1', NOW), [
    { holder: 'a', expires: '2026-12-06T13:00:00Z', expired: false },
    { holder: 'b', expires: EARLIER, expired: true },
  ]);
  assert.deepEqual(staleKeys(images[1]!, 'S1', NOW), ['hotstack_lease_bad', 'hotstack_lease_old']);
  assert.deepEqual(staleKeys(images[0]!, 'S1', NOW), ['hotstack_lease_b']);
});

test("deletion mark: parsed with its deleter and decide_by; stale after 10 minutes; another set's mark is not this one's", () => {
  const value = markValue(
    new Date('2026-12-06T11:59:58Z'),
    new Date('2026-12-06T12:00:01Z'),
    'S1',
    'hotstack_snapset_prune (ci@r1, pid 4)',
  );
  assert.deepEqual(parseMarkValue(value), {
    since: '2026-12-06T11:59:58Z',
    snapId: 'S1',
    decideBy: '2026-12-06T12:00:01Z',
    by: 'hotstack_snapset_prune (ci@r1, pid 4)',
  });
  assert.equal(setDeletionMark(set('S1', { [DELETING_PROPERTY]: value }), 'S1', NOW)?.stale, false);
  assert.equal(setDeletionMark(set('S1', { [DELETING_PROPERTY]: `2026-12-06T11:49:00Z snap_id=S1 by x` }), 'S1', NOW)?.stale, true);
  assert.equal(setDeletionMark(set('S1', { [DELETING_PROPERTY]: value.replace('S1', 'S0') }), 'S1', NOW), null);
  assert.deepEqual(staleKeys(image('S1', 'c', { [DELETING_PROPERTY]: `2026-12-06T11:49:00Z snap_id=S1 by x` }), 'S1', NOW), [
    DELETING_PROPERTY,
  ]);
});

const ids = ['img-S1-controller', 'img-S1-master0'];
const mine = { hotstack_lease_me: `${LATER} snap_id=S1` };

test('restore verdict: held when its lease is on every image and nobody marked the set', () => {
  assert.deepEqual(leaseVerdict(ids, set('S1', mine), 'S1', 'me', mine.hotstack_lease_me, NOW), { kind: 'held' });
});

test('restore verdict: its lease lost on one image (a write at the same moment) → write it again there', () => {
  const images = [image('S1', 'controller', mine), image('S1', 'master0')];
  assert.deepEqual(leaseVerdict(ids, images, 'S1', 'me', mine.hotstack_lease_me, NOW), { kind: 'rewrite', imageIds: ['img-S1-master0'] });
});

test('restore verdict: a lease already past its expiry at the re-read is still the lease written (held, not a lost write); another value of the holder is a lost write', () => {
  const short = { hotstack_lease_me: `2026-12-06T11:59:59Z snap_id=S1` };
  assert.deepEqual(leaseVerdict(ids, set('S1', short), 'S1', 'me', short.hotstack_lease_me, NOW), { kind: 'held' });
  const older = leaseVerdict(ids, set('S1', short), 'S1', 'me', mine.hotstack_lease_me, NOW);
  assert.deepEqual(older, { kind: 'rewrite', imageIds: ids });
});

test('restore verdict: an image gone or not active → refused, naming it', () => {
  const gone = leaseVerdict(ids, [image('S1', 'controller', mine)], 'S1', 'me', mine.hotstack_lease_me, NOW);
  assert.equal(gone.kind, 'refused');
  assert.match((gone as { reason: string }).reason, /image img-S1-master0 gone/);
  const queued = leaseVerdict(
    ids,
    [image('S1', 'controller', mine), { ...image('S1', 'master0', mine), status: 'pending_delete' }],
    'S1',
    'me',
    mine.hotstack_lease_me,
    NOW,
  );
  assert.equal(queued.kind, 'refused');
});

test('restore verdict: a deleter that has not decided yet → wait (it will see the lease); one that decided before → refused, naming it', () => {
  const undecided = markValue(new Date('2026-12-06T11:59:59Z'), new Date('2026-12-06T12:00:02Z'), 'S1', 'prune-A');
  const verdict = leaseVerdict(ids, set('S1', { ...mine, [DELETING_PROPERTY]: undecided }), 'S1', 'me', mine.hotstack_lease_me, NOW);
  assert.equal(verdict.kind, 'wait');
  const decided = markValue(new Date('2026-12-06T11:59:50Z'), new Date('2026-12-06T11:59:53Z'), 'S1', 'prune-B');
  const refused = leaseVerdict(ids, set('S1', { ...mine, [DELETING_PROPERTY]: decided }), 'S1', 'me', mine.hotstack_lease_me, NOW);
  assert.equal(refused.kind, 'refused');
  assert.match((refused as { reason: string }).reason, /set S1 is being deleted by prune-B \(marked 2026-12-06T11:59:50Z\)/);
  // A stale mark (its deleter died) is ignored.
  const stale = `2026-12-06T11:40:00Z snap_id=S1 decide_by=2026-12-06T11:40:03Z by dead`;
  assert.deepEqual(leaseVerdict(ids, set('S1', { ...mine, [DELETING_PROPERTY]: stale }), 'S1', 'me', mine.hotstack_lease_me, NOW), {
    kind: 'held',
  });
});

test('deleter verdict: an unexpired lease keeps the set; an expired one does not; a lost mark is written again', () => {
  const mark = markValue(NOW, NOW, 'S1', 'p');
  assert.equal(deleteVerdict(set('S1', { [DELETING_PROPERTY]: mark, ...mine }), 'S1', mark, NOW).kind, 'keep');
  assert.deepEqual(deleteVerdict(set('S1', { [DELETING_PROPERTY]: mark, hotstack_lease_x: `${EARLIER} snap_id=S1` }), 'S1', mark, NOW), {
    kind: 'delete',
  });
  assert.deepEqual(deleteVerdict([image('S1', 'controller', { [DELETING_PROPERTY]: mark }), image('S1', 'master0')], 'S1', mark, NOW), {
    kind: 'remark',
    imageIds: ['img-S1-master0'],
  });
  // Another deleter's mark over ours: ours was lost, mark again.
  assert.equal(deleteVerdict(set('S1', { [DELETING_PROPERTY]: markValue(NOW, NOW, 'S1', 'q') }), 'S1', mark, NOW).kind, 'remark');
});

test('a restore passes a set a deleter marked over, saying who deletes it', () => {
  const mark = markValue(new Date('2026-12-06T11:59:59Z'), new Date('2026-12-06T12:00:02Z'), 'NEW', 'prune-A');
  const sets = groupSets(
    [...set('OLD', {}, '2026-12-01T00:00:00Z'), ...set('NEW', { [DELETING_PROPERTY]: mark }, '2026-12-02T00:00:00Z')],
    NOW,
  );
  const choice = chooseSet(sets);
  assert.equal(choice.chosen?.snap_id, 'OLD');
  assert.match(choice.passed_over[0]!.reasons.join(), /being deleted by prune-A/);
});

const days = (n: number) => `2026-12-0${n}T00:00:00Z`;
const leasedTo = (snapId: string) => ({ hotstack_lease_me: `${LATER} snap_id=${snapId}` });

test('prune: a named leased set is refused with holder and expiry; force deletes it', () => {
  const sets = groupSets(set('S1', mine), NOW);
  const refused = planPrune(sets, { scope: {}, snapIds: ['S1'] }, NOW);
  assert.deepEqual(refused.delete, []);
  assert.match(refused.refused[0]!.reason, /leased by me until 2026-12-06T13:00:00Z/);
  const forced = planPrune(sets, { scope: {}, snapIds: ['S1'], force: true }, NOW);
  assert.equal(forced.delete[0]!.snap_id, 'S1');
  assert.match(forced.delete[0]!.reason, /forced although leased by me/);
  // An expired lease does not block.
  const expired = planPrune(groupSets(set('S1', { hotstack_lease_me: `${EARLIER} snap_id=S1` }), NOW), { scope: {}, snapIds: ['S1'] }, NOW);
  assert.equal(expired.delete.length, 1);
});

test('prune keep/older_than: a leased set is kept and counts among the sets kept', () => {
  const images = [...set('A', {}, days(4)), ...set('B', {}, days(3)), ...set('C', leasedTo('C'), days(2)), ...set('D', {}, days(1))];
  const sets = groupSets(images, NOW);
  const keep2 = planPrune(sets, { scope: { namePrefix: '' }, keep: 2 }, NOW);
  assert.deepEqual(
    keep2.delete.map((d) => d.snap_id),
    ['D'],
  );
  assert.match(keep2.keep.find((d) => d.snap_id === 'C')!.reason, /leased by me/);
  // The leased set counts: with it newest but one, keep 2 keeps A and C and deletes B and D.
  const leasedSecond = groupSets([...set('A', {}, days(4)), ...set('B', leasedTo('B'), days(3)), ...set('C', {}, days(2))], NOW);
  assert.deepEqual(
    planPrune(leasedSecond, { scope: { namePrefix: '' }, keep: 2 }, NOW).delete.map((d) => d.snap_id),
    ['C'],
  );
  const old = planPrune(sets, { scope: { namePrefix: '' }, olderThanSeconds: 3600 }, NOW);
  assert.deepEqual(old.delete.map((d) => d.snap_id).sort(), ['B', 'D']);
});

test('a new set made from a restored deployment drops the hotstack_* properties Nova copied, keeps its own', () => {
  const copied = {
    id: 'x',
    hotstack_snap_id: 'NEW',
    hotstack_name: 'controller',
    hotstack_snapset_size: '2',
    hotstack_lease_ci: `${LATER} snap_id=OLD`,
    hotstack_deleting: 'x',
    hotstack_revivable_until: '2027-01-01T00:00:00Z',
    hotstack_other: 'y',
    os_distro: 'fedora',
  };
  assert.deepEqual(inheritedKeys(copied, { hotstack_snap_id: 'NEW', hotstack_name: 'controller', hotstack_snapset_size: '2' }), [
    'hotstack_deleting',
    'hotstack_lease_ci',
    'hotstack_other',
    'hotstack_revivable_until',
  ]);
  assert.deepEqual(
    inheritedKeys(copied, {
      hotstack_snap_id: 'NEW',
      hotstack_name: 'c',
      hotstack_snapset_size: '2',
      hotstack_revivable_until: 'z',
      hotstack_other: 'y',
    }),
    ['hotstack_deleting', 'hotstack_lease_ci'],
  );
});

test("a prune cleans the sets of its scope that carry expired leases or a dead deleter's mark; named sets only touch themselves", () => {
  const sets = groupSets(
    [
      ...set('A', { hotstack_lease_x: `${EARLIER} snap_id=A` }, days(1)),
      ...set('B', { [DELETING_PROPERTY]: '2026-12-06T11:00:00Z snap_id=B by dead' }, days(2)),
      ...set('C', { hotstack_lease_x: `${LATER} snap_id=C` }, days(3)),
    ],
    NOW,
  );
  assert.deepEqual(
    setsToClean(sets, { scope: { namePrefix: '' }, keep: 5 }).map((d) => d.snap_id),
    ['B', 'A'],
  );
  assert.deepEqual(
    setsToClean(sets, { scope: { namePrefix: '' }, keep: 5 }, ['A']).map((d) => d.snap_id),
    ['B'],
  );
  assert.deepEqual(setsToClean(sets, { scope: {}, snapIds: ['A'] }), []);
});
