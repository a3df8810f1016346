// hotstack_prepare's wait_cert_rotation in check mode: it reads the decision once and reports what a
// real run would do, as the step outcome (the documented `would wait`), not only in its msg.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterError } from '../../../lib/cluster/errors.ts';
import type { PrepareDecision } from '../../../lib/revive/certs.ts';
import { checkModeRotation } from '../../../lib/revive/rotation.ts';

const WAITING: PrepareDecision = {
  rotated: false,
  waitUntil: new Date('2026-12-07T14:43:41.000Z'),
  reason: 'csr-signer is still the bootstrap signer',
};

test('check mode: a wait still ahead is the outcome `would wait`, until when in the msg', () => {
  assert.deepEqual(checkModeRotation(WAITING, false), { outcome: 'would wait', msg: 'would wait until 2026-12-07T14:43:41Z' });
});

test('check mode: rotated is ok; with force_cert_rotation a rotation still ahead would change', () => {
  assert.deepEqual(checkModeRotation({ rotated: true, waitUntil: null, reason: 'rotated' }, false), { outcome: 'ok' });
  assert.deepEqual(checkModeRotation({ rotated: true, waitUntil: null, reason: 'rotated' }, true), { outcome: 'ok' });
  const forced = checkModeRotation(WAITING, true);
  assert.equal(forced.outcome, 'would change');
  assert.match(forced.msg ?? '', /^would force the rotation now \(csr-signer is still the bootstrap signer\)$/);
});

test('check mode: an expired bootstrap signer fails as the real run does (waiting cannot help)', () => {
  const expired: PrepareDecision = { rotated: false, waitUntil: null, reason: 'csr-signer is the bootstrap signer and expired' };
  assert.throws(
    () => checkModeRotation(expired, false),
    (error: Error) => error instanceof ClusterError && /expired; set force_cert_rotation: true/.test(error.message),
  );
  assert.equal(checkModeRotation(expired, true).outcome, 'would change');
});
