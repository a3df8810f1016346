// The image watcher's decisions: what a Glance answer, and now and then a Nova answer, mean for a
// snapshot being waited for.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Image } from '../../../lib/openstack/glance.ts';
import type { Server } from '../../../lib/openstack/nova.ts';
import { DEFAULT_WATCH_LIMITS, judgeImage, judgeWithServer, outageTooLong, watchSchedule } from '../../../lib/snapset/watch.ts';

const T0 = 1_000_000;
const LIMITS = { timeoutMs: 60_000, ...DEFAULT_WATCH_LIMITS };
const watched = { imageId: 'img-1', startedAt: T0, serverCheckedAt: T0 };
const image = (status: string): Image => ({
  id: 'img-1',
  name: 'hotstack-c-snapshot-x',
  status,
  tags: [],
  created_at: '2026-11-25T00:00:00Z',
});
const server = (task: string | null, fault?: string): Server => ({
  id: 's1',
  name: 'c',
  status: 'SHUTOFF',
  'OS-EXT-STS:task_state': task,
  ...(fault ? { fault: { message: fault } } : {}),
});

test('an active image is done', () => {
  const verdict = judgeImage(image('active'), watched, T0 + 1_000, LIMITS);
  assert.equal(verdict.kind, 'active');
});

test('a dead status or a missing image fails at once, naming the image', () => {
  for (const status of ['killed', 'deleted', 'pending_delete', 'deactivated']) {
    const verdict = judgeImage(image(status), watched, T0 + 1_000, LIMITS);
    assert.deepEqual(verdict, { kind: 'failed', why: `its image img-1 went ${status}` }, status);
  }
  const gone = judgeImage(undefined, watched, T0 + 1_000, LIMITS);
  assert.equal(gone.kind, 'failed');
  assert.match(gone.kind === 'failed' ? gone.why : '', /img-1 disappeared from Glance/);
});

test('queued or saving: waiting until the timeout, then failed with the last status', () => {
  for (const status of ['queued', 'saving', 'uploading', 'importing']) {
    assert.deepEqual(judgeImage(image(status), watched, T0 + 1_000, LIMITS), { kind: 'waiting', askNova: false }, status);
  }
  assert.equal(judgeImage(image('saving'), watched, T0 + 60_000, LIMITS).kind, 'waiting', 'the limit itself is still allowed');
  assert.deepEqual(judgeImage(image('saving'), watched, T0 + 60_001, LIMITS), {
    kind: 'failed',
    why: 'its image img-1 was not active after 60s (last status saving)',
  });
});

test('Nova is asked only about a snapshot older than 15 s, and at most every 10 s', () => {
  assert.deepEqual(judgeImage(image('queued'), watched, T0 + 15_000, LIMITS), { kind: 'waiting', askNova: false });
  assert.deepEqual(judgeImage(image('queued'), watched, T0 + 15_001, LIMITS), { kind: 'waiting', askNova: true });
  const askedRecently = { ...watched, serverCheckedAt: T0 + 15_001 };
  assert.deepEqual(judgeImage(image('queued'), askedRecently, T0 + 20_000, LIMITS), { kind: 'waiting', askNova: false });
  assert.deepEqual(judgeImage(image('queued'), askedRecently, T0 + 25_002, LIMITS), { kind: 'waiting', askNova: true });
});

test("Nova's answer: still busy → wait; done and the image active → active; done otherwise → failed with the fault", () => {
  assert.deepEqual(judgeWithServer(server('image_uploading'), image('queued'), 'img-1'), { kind: 'waiting', askNova: false });
  assert.equal(judgeWithServer(server(null), image('active'), 'img-1').kind, 'active');
  assert.deepEqual(judgeWithServer(server(null, 'Connection refused'), image('queued'), 'img-1'), {
    kind: 'failed',
    why: 'Nova finished the snapshot but its image img-1 is queued (server fault: Connection refused)',
  });
  assert.deepEqual(judgeWithServer(undefined, undefined, 'img-1'), {
    kind: 'failed',
    why: 'Nova finished the snapshot but its image img-1 is gone',
  });
});

test('the watch schedule polls every 0.4 s for 6 s, then further apart up to 3 s', () => {
  const schedule = watchSchedule();
  const delays: number[] = [];
  let elapsed = 0;
  let previous: number | undefined;
  while (elapsed < 60_000) {
    previous = schedule(previous, elapsed);
    delays.push(previous);
    elapsed += previous;
  }
  assert.ok(
    delays.slice(0, 15).every((ms) => ms === 400),
    'fast at first',
  );
  assert.ok(
    delays.every((ms, i) => i === 0 || ms >= delays[i - 1]!),
    'never faster again',
  );
  assert.equal(delays.at(-1), 3_000);
  // About 35 polls in a minute (a fixed 0.4 s would be 150).
  assert.ok(delays.length < 45, `${delays.length} polls`);
});

test('an image service outage is tolerated for the grace period', () => {
  assert.equal(outageTooLong(undefined, T0, 1_000), false);
  assert.equal(outageTooLong(T0, T0 + 1_000, 1_000), false);
  assert.equal(outageTooLong(T0, T0 + 1_001, 1_000), true);
});
