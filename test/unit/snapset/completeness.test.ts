// Telling a complete SnapSet from a cut one, from the images' properties, tags and status alone.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Image } from '../../../lib/openstack/glance.ts';
import { groupBySnapId, setCompleteness, snapIdOf } from '../../../lib/snapset/completeness.ts';

/** An image of set `snapId` as hotstack_snapset leaves it; `over` changes what a fault would. */
function image(
  name: string,
  over: { snapId?: string; size?: string | null; status?: string; marked?: boolean; tags?: string[] } = {},
): Image {
  const snapId = over.snapId ?? 'Set00001';
  const tags = over.tags ?? ['hotstack', `name=${name}`, 'role=r', `snap_id=${snapId}`, 'mac_address=m'];
  return {
    id: `${snapId}-${name}`,
    name: `hotstack-${name}-snapshot-${snapId}`,
    status: over.status ?? 'active',
    tags: over.marked === false ? tags : [...tags, 'hotstack-snapset'],
    created_at: '2026-11-25T00:00:00Z',
    hotstack_snap_id: snapId,
    hotstack_name: name,
    ...(over.size === null ? {} : { hotstack_snapset_size: over.size ?? '3' }),
  };
}

test('three active, marked images of a set of three: complete', () => {
  const result = setCompleteness([image('controller'), image('master0'), image('master1')]);
  assert.deepEqual(result, {
    snapId: 'Set00001',
    complete: true,
    expectedSize: 3,
    members: ['controller', 'master0', 'master1'],
    marked: 3,
    problems: [],
  });
});

test('a set whose final marking was cut: marked images alone do not make it complete', () => {
  const result = setCompleteness([image('controller'), image('master0', { marked: false }), image('master1', { marked: false })]);
  assert.equal(result.complete, false);
  assert.equal(result.marked, 1);
  assert.deepEqual(result.problems, ['2 of 3 image(s) lack the hotstack-snapset mark (the final marking was cut, or the run failed)']);
  // What `--tag hotstack-snapset` shows of it: one image, which says the set has three.
  const seenByTag = setCompleteness([image('controller')]);
  assert.equal(seenByTag.complete, false);
  assert.match(seenByTag.problems.join('; '), /1 of 3 images are there \(the run was cut short/);
});

test('a member missing, one not active, one twice: each is a reason', () => {
  assert.match(setCompleteness([image('controller'), image('master0')]).problems.join(';'), /2 of 3 images are there/);
  assert.match(
    setCompleteness([image('controller'), image('master0'), image('master1', { status: 'saving' })]).problems.join(';'),
    /image hotstack-master1-snapshot-Set00001 is saving/,
  );
  const twice = setCompleteness([image('controller'), image('controller'), image('master1')]);
  assert.equal(twice.complete, false);
  assert.match(twice.problems.join(';'), /instance controller has 2 images/);
});

test('a set made before the size was recorded is never called complete, and says why', () => {
  const result = setCompleteness([image('controller', { size: null }), image('master0', { size: null })]);
  assert.equal(result.complete, false);
  assert.equal(result.expectedSize, undefined);
  assert.deepEqual(result.members, ['controller', 'master0']);
  assert.match(result.problems[0]!, /2 image\(s\) have no hotstack_snapset_size property .*completeness cannot be shown/);
});

test('images that disagree on the size or on the set, or carry a bad size, are not a complete set', () => {
  assert.match(
    setCompleteness([image('a', { size: '2' }), image('b', { size: '3' })]).problems.join(';'),
    /disagree on the set size \(hotstack_snapset_size 2, 3\)/,
  );
  const mixed = setCompleteness([image('a', { size: '2' }), image('b', { size: '2', snapId: 'Other002' })]);
  assert.equal(mixed.snapId, undefined);
  assert.match(mixed.problems.join(';'), /several sets \(Other002, Set00001\)/);
  assert.match(setCompleteness([image('a', { size: 'two' })]).problems.join(';'), /not a positive whole number/);
  assert.match(setCompleteness([image('a', { size: '0' })]).problems.join(';'), /not a positive whole number/);
  assert.deepEqual(setCompleteness([]).complete, false);
});

test('groupBySnapId and snapIdOf: by property, else by the snap_id= tag', () => {
  const tagOnly: Image = { id: 'x', name: 'x', status: 'active', tags: ['snap_id=TagOnly1'], created_at: '' };
  const none: Image = { id: 'y', name: 'y', status: 'active', tags: [], created_at: '' };
  assert.equal(snapIdOf(tagOnly), 'TagOnly1');
  const groups = groupBySnapId([image('a'), tagOnly, image('b'), none, image('a', { snapId: 'Set00002' })]);
  assert.deepEqual([...groups.keys()], ['Set00001', 'TagOnly1', 'Set00002']);
  assert.deepEqual(
    groups.get('Set00001')!.map((i) => i.id),
    ['Set00001-a', 'Set00001-b'],
  );
});
