// hotstack_snapset_prune's arguments → the prune policy: what is asked, in which scope, or an error naming the option.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HotstackError } from '../../../lib/errors.ts';
import { prunePolicy } from '../../../modules/hotstack_snapset_prune.ts';

const base = { all_sets: false, orphans: false, orphan_grace: '1h' } as const;

test('keep within a topology scope: the policy carries the count, the parsed topology and the grace in seconds', () => {
  const policy = prunePolicy({ ...base, instances: { controller: 'controller', master0: 'ocp_master' }, keep: 3 } as any);
  assert.equal(policy.keep, 3);
  assert.equal(policy.orphanGraceSeconds, 3600);
  assert.ok(policy.scope.topology, 'topology scope');
  assert.equal(policy.snapIds, undefined);
});

test('older_than is parsed (30d → seconds); name_prefix is a scope', () => {
  const policy = prunePolicy({ ...base, name_prefix: 'hotstack-', older_than: '30d' } as any);
  assert.equal(policy.olderThanSeconds, 30 * 86_400);
  assert.equal(policy.scope.namePrefix, 'hotstack-');
});

test('snap_id needs no scope and deletes exactly those sets', () => {
  const policy = prunePolicy({ ...base, snap_id: ['AbCdEf12'] } as any);
  assert.deepEqual(policy.snapIds, ['AbCdEf12']);
});

for (const [what, args, pattern] of [
  ['nothing asked', { ...base, name_prefix: 'x' }, /nothing to prune: give snap_id, older_than, keep or orphans/],
  ['no scope', { ...base, keep: 2 }, /no scope: give name_prefix or instances/],
  ['snap_id mixed with keep', { ...base, snap_id: ['a'], keep: 1 }, /snap_id deletes exactly the sets named/],
  ['a bad duration', { ...base, all_sets: true, older_than: 'soon' }, /older_than: "soon" is not a duration/],
  ['a bad topology', { ...base, instances: { master0: 3 }, keep: 1 }, /master0: the role must be a string/],
] as const) {
  test(`${what}: a HotstackError (a clean failure of the module) naming the option`, () => {
    assert.throws(
      () => prunePolicy(args as any),
      (error: unknown) => error instanceof HotstackError && pattern.test(error.message),
    );
  });
}
