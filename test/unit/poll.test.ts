// sleep and pollUntil: the project's one way to wait, abortable, with a deadline that says what it waited for.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AbortedError, HotstackError, TimeoutError } from '../../lib/errors.ts';
import { abortReason, backoffSchedule, every, pollUntil, sleep } from '../../lib/poll.ts';

test('sleep waits, and rejects at once with the abort reason when the signal fires', async () => {
  const started = Date.now();
  await sleep(30);
  assert.ok(Date.now() - started >= 25);
  const controller = new AbortController();
  const reason = new AbortedError('interrupted by SIGTERM', { details: { signal: 'SIGTERM' } });
  const waiting = sleep(10_000, controller.signal);
  setTimeout(() => controller.abort(reason), 20);
  const t0 = Date.now();
  await assert.rejects(waiting, (error) => error === reason);
  assert.ok(Date.now() - t0 < 1_000, 'stopped promptly');
  await assert.rejects(sleep(10, controller.signal), (error) => error === reason, 'an aborted signal rejects before sleeping');
});

test('abortReason: an Error reason is kept, anything else becomes an AbortedError', () => {
  const plain = new AbortController();
  plain.abort();
  assert.ok(abortReason(plain.signal) instanceof AbortedError);
  const text = new AbortController();
  text.abort('caller gave up');
  assert.equal(abortReason(text.signal).message, 'caller gave up');
  const own = new AbortController();
  const error = new HotstackError('mine');
  own.abort(error);
  assert.equal(abortReason(own.signal), error);
});

test('pollUntil returns the first defined value and probes no more', async () => {
  let calls = 0;
  const value = await pollUntil(async () => (++calls === 3 ? 'done' : undefined), { timeoutMs: 5_000, interval: 5, what: 'x' });
  assert.equal(value, 'done');
  assert.equal(calls, 3);
  // false and 0 are answers too; only undefined means "not yet".
  assert.equal(await pollUntil(async () => false, { timeoutMs: 100, interval: 5, what: 'x' }), false);
});

test('pollUntil fails with a TimeoutError naming what it waited for and the last state', async () => {
  const started = Date.now();
  await assert.rejects(
    pollUntil(async () => undefined, { timeoutMs: 120, interval: 30, what: 'server s1 to be SHUTOFF', lastSeen: () => 'ACTIVE' }),
    (error) => error instanceof TimeoutError && /waiting for server s1 to be SHUTOFF \(last seen: ACTIVE\)/.test(error.message),
  );
  const took = Date.now() - started;
  assert.ok(took >= 100 && took < 1_000, `ended at the deadline, not after a whole extra interval (${took} ms)`);
});

test("pollUntil ends with the probe's error, and with the abort reason when aborted mid-wait", async () => {
  const boom = new HotstackError('server went ERROR');
  await assert.rejects(
    pollUntil(
      async () => {
        throw boom;
      },
      { timeoutMs: 1_000, interval: 5, what: 'x' },
    ),
    (error) => error === boom,
  );
  const controller = new AbortController();
  let calls = 0;
  setTimeout(() => controller.abort(new AbortedError('interrupted by SIGINT')), 30);
  await assert.rejects(
    pollUntil(
      async () => {
        calls++;
        return undefined;
      },
      { timeoutMs: 60_000, interval: 10_000, signal: controller.signal, what: 'x' },
    ),
    /interrupted by SIGINT/,
  );
  assert.equal(calls, 1, 'the long wait was cut short');
});

test('backoffSchedule: fast for the first seconds, then 1.2 times further apart, capped', () => {
  const schedule = backoffSchedule({ fastMs: 400, fastForMs: 6_000, maxMs: 3_000, factor: 1.2 });
  assert.equal(schedule(undefined, 0), 400);
  assert.equal(schedule(400, 5_999), 400);
  assert.equal(schedule(400, 6_001), 480);
  assert.equal(schedule(480, 7_000), 576);
  assert.equal(schedule(2_900, 60_000), 3_000);
  assert.equal(schedule(3_000, 600_000), 3_000);
  assert.equal(every(250)(undefined, 0), 250);
  assert.equal(every(250)(250, 99_999), 250);
});
