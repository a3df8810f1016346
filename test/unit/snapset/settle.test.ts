// When a failed run's rollback may stop looking for late images and busy servers.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SETTLE_LIMITS, isSettled } from '../../../lib/snapset/settle.ts';

const limits = DEFAULT_SETTLE_LIMITS;

test('nothing busy and no doubtful request: settled at once', () => {
  assert.equal(isSettled({ elapsedMs: 0, sinceDoubtMs: undefined, busyServers: 0 }, limits), true);
});

test('a server still busy keeps the rollback watching, up to the grace period', () => {
  assert.equal(isSettled({ elapsedMs: 5_000, sinceDoubtMs: undefined, busyServers: 1 }, limits), false);
  assert.equal(isSettled({ elapsedMs: 29_999, sinceDoubtMs: undefined, busyServers: 2 }, limits), false);
  assert.equal(isSettled({ elapsedMs: 30_000, sinceDoubtMs: undefined, busyServers: 2 }, limits), true);
});

test('after a request that may have landed, late images are looked for at least 10 s', () => {
  assert.equal(isSettled({ elapsedMs: 1_000, sinceDoubtMs: 1_000, busyServers: 0 }, limits), false);
  assert.equal(isSettled({ elapsedMs: 9_000, sinceDoubtMs: 9_999, busyServers: 0 }, limits), false);
  assert.equal(isSettled({ elapsedMs: 10_000, sinceDoubtMs: 10_000, busyServers: 0 }, limits), true);
  assert.equal(isSettled({ elapsedMs: 2_000, sinceDoubtMs: 10_000, busyServers: 1 }, limits), false, 'and still while a server is busy');
});

test('Nova unreachable (busy unknown): keep watching until the grace period ends', () => {
  assert.equal(isSettled({ elapsedMs: 20_000, sinceDoubtMs: undefined, busyServers: undefined }, limits), false);
  assert.equal(isSettled({ elapsedMs: 30_000, sinceDoubtMs: undefined, busyServers: undefined }, limits), true);
});

test('a grace shorter than the late-image time bounds both', () => {
  const short = { graceMs: 3_000, lateImageMs: 10_000 };
  assert.equal(isSettled({ elapsedMs: 2_999, sinceDoubtMs: 2_999, busyServers: 0 }, short), false);
  assert.equal(isSettled({ elapsedMs: 3_000, sinceDoubtMs: 3_000, busyServers: 0 }, short), true);
});
