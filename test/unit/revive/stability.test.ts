// Stability as oc adm wait-for-stable-cluster defines it (facts §2.1), as a state machine fed by events and the clock.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadFixture } from '../../../labs/clusterlab/openshift-fixtures.ts';
import { type ClusterOperatorLike, StabilityTracker, unstableReason } from '../../../lib/revive/stability.ts';

function fixture(name: string): ClusterOperatorLike[] {
  return loadFixture<{ items: ClusterOperatorLike[] }>(name).items;
}

function op(name: string, available: string | null, progressing: string | null, degraded: string | null): ClusterOperatorLike {
  const conditions = [];
  if (available !== null) conditions.push({ type: 'Available', status: available });
  if (progressing !== null) conditions.push({ type: 'Progressing', status: progressing });
  if (degraded !== null) conditions.push({ type: 'Degraded', status: degraded });
  return { metadata: { name }, status: { conditions } };
}
const stable = (name: string) => op(name, 'True', 'False', 'False');

test("reasons in oc's words; a missing condition is unstable; Unknown is unstable", () => {
  assert.equal(unstableReason(stable('a')), null);
  assert.equal(unstableReason(op('a', 'False', 'True', 'True')), 'unavailable and progressing and degraded');
  assert.equal(unstableReason(op('a', 'True', 'Unknown', 'False')), 'progressing');
  assert.equal(unstableReason(op('a', 'True', null, 'False')), 'progressing (no Progressing condition)');
  assert.equal(
    unstableReason({ metadata: { name: 'x' } }),
    'unavailable (no Available condition) and progressing (no Progressing condition) and degraded (no Degraded condition)',
  );
});

test('real cluster fixtures: healthy is stable, degraded/progressing are not', () => {
  assert.ok(fixture('clusteroperators-healthy.json').every((o) => unstableReason(o) === null));
  for (const name of ['clusteroperators-degraded.json', 'clusteroperators-progressing.json', 'clusteroperators-sno-upgrading.json']) {
    assert.ok(
      fixture(name).some((o) => unstableReason(o) !== null),
      name,
    );
  }
});

test('stable for strictly longer than the period, not at exactly the period', () => {
  const t = new StabilityTracker(60_000);
  t.list([stable('a'), stable('b')], 1000);
  assert.equal(t.status(1000).stableSince, 1000);
  assert.equal(t.status(61_000).done, false, 'exactly the period is not enough (strict >)');
  assert.equal(t.status(61_001).done, true);
  assert.equal(t.status(1000).doneAt, 61_001);
});

test('a flapping operator resets the timer; it restarts when it is stable again', () => {
  const t = new StabilityTracker(10_000);
  t.list([stable('a'), stable('b')], 0);
  const went = t.event('MODIFIED', op('b', 'True', 'True', 'False'), 8000);
  assert.deepEqual(went, [{ kind: 'unstable', operator: 'b', reason: 'progressing', first: false }]);
  assert.equal(t.status(8000).stableSince, null);
  assert.deepEqual(t.status(9000).unstable, [{ name: 'b', reason: 'progressing', forMs: 1000 }]);
  const back = t.event('MODIFIED', stable('b'), 9000);
  assert.deepEqual(back, [{ kind: 'stabilized', operator: 'b', afterMs: 1000 }, { kind: 'all-stable' }]);
  assert.equal(t.status(19_000).done, false);
  assert.equal(t.status(19_001).done, true);
  assert.deepEqual(t.heldBack(20_000), [{ name: 'b', unstableMs: 1000, lastReason: 'progressing' }]);
});

test('an API error resets the timer and is not fatal; the next good read starts it again', () => {
  const t = new StabilityTracker(5000);
  t.list([stable('a')], 0);
  assert.deepEqual(t.error('connection refused', 4000), [{ kind: 'reset', cause: 'connection refused' }]);
  assert.equal(t.status(9000).done, false);
  // Events that arrive before a resync do not start the timer (oc's timer starts at a good list).
  t.event('MODIFIED', stable('a'), 5000);
  assert.equal(t.status(5000).stableSince, null);
  t.resumed(6000);
  assert.equal(t.status(6000).stableSince, 6000);
  assert.equal(t.status(11_001).done, true);
});

test('a relist drops deleted operators and picks up new unstable ones', () => {
  const t = new StabilityTracker(5000);
  t.list([stable('a'), op('b', 'False', 'False', 'False')], 0);
  assert.equal(t.status(0).stableSince, null);
  const transitions = t.list([stable('a'), stable('c')], 1000);
  assert.deepEqual(
    transitions.map((x) => x.kind),
    ['removed', 'all-stable'],
  );
  assert.equal(t.status(1000).operators, 2);
  t.event('ADDED', op('d', 'True', 'False', null), 2000);
  assert.equal(t.status(2000).stableSince, null);
  t.event('DELETED', op('d', 'True', 'False', null), 3000);
  assert.equal(t.status(3000).stableSince, 3000);
});

test('heldBack ranks operators by total unstable time across flaps', () => {
  const t = new StabilityTracker(1000);
  t.list([op('slow', 'False', 'True', 'False'), op('flaky', 'True', 'True', 'False'), stable('ok')], 0);
  t.event('MODIFIED', stable('flaky'), 2000);
  t.event('MODIFIED', op('flaky', 'True', 'False', 'True'), 3000);
  t.event('MODIFIED', stable('flaky'), 4000);
  t.event('MODIFIED', stable('slow'), 10_000);
  assert.deepEqual(t.heldBack(12_000), [
    { name: 'slow', unstableMs: 10_000, lastReason: 'unavailable and progressing' },
    { name: 'flaky', unstableMs: 3000, lastReason: 'degraded' },
  ]);
});
