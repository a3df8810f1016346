// The servers of a deployment seen together: states from one listing, and the wait for a status.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Connection } from '../../../lib/openstack/connect.ts';
import { notYet, statesOf, WaitError, waitForStatus } from '../../../lib/snapset/servers.ts';

const instances = [
  { name: 'controller', uuid: 'u1', role: 'controller', macAddress: 'fa:16:9e:81:f6:05' },
  { name: 'master0', uuid: 'u2', role: 'ocp_master', macAddress: 'fa:16:9e:81:f6:10' },
];

test('one listing gives every instance its state; one the listing lacks is MISSING; a task keeps it not-yet', () => {
  const states = statesOf(instances, [{ id: 'u1', status: 'SHUTOFF', 'OS-EXT-STS:task_state': 'image_snapshot_pending' } as any]);
  assert.equal(states.controller!.status, 'SHUTOFF');
  assert.equal(states.controller!.task_state, 'image_snapshot_pending');
  assert.equal(states.master0!.status, 'MISSING');
  assert.deepEqual(notYet(states, 'SHUTOFF'), ['controller', 'master0']);
});

/** Our own Connection narrowed to the one call the wait makes; the listing is scripted per poll. */
function connListing(listings: Array<Array<{ id: string; status: string }>>): { conn: Connection; calls: () => number } {
  let calls = 0;
  const nova = {
    listServers: async () => listings[Math.min(calls++, listings.length - 1)],
    getServer: async () => undefined,
  };
  return { conn: { nova } as unknown as Connection, calls: () => calls };
}

test('the wait lists the servers once per poll, whatever their number, and ends when all are SHUTOFF', async () => {
  const { conn, calls } = connListing([
    [
      { id: 'u1', status: 'ACTIVE' },
      { id: 'u2', status: 'ACTIVE' },
    ],
    [
      { id: 'u1', status: 'SHUTOFF' },
      { id: 'u2', status: 'ACTIVE' },
    ],
    [
      { id: 'u1', status: 'SHUTOFF' },
      { id: 'u2', status: 'SHUTOFF' },
    ],
  ]);
  const { polls } = await waitForStatus(conn, instances, 'SHUTOFF', { timeoutSeconds: 10, intervalMs: 5 });
  assert.equal(polls, 3);
  assert.equal(calls(), 3);
});

test('an instance in ERROR ends the wait at once, naming it', async () => {
  const { conn } = connListing([
    [
      { id: 'u1', status: 'SHUTOFF' },
      { id: 'u2', status: 'ERROR' },
    ],
  ]);
  await assert.rejects(waitForStatus(conn, instances, 'SHUTOFF', { timeoutSeconds: 10, intervalMs: 5 }), (error: unknown) => {
    assert.ok(error instanceof WaitError);
    assert.match(error.message, /will never be SHUTOFF: master0 \(u2\) ERROR/);
    assert.deepEqual(error.details.not_ready, ['master0'], 'its result keys: servers and not_ready');
    assert.equal((error.details.servers as Record<string, { status: string }>).master0?.status, 'ERROR');
    return true;
  });
});

test('an interrupt (ctx.signal) ends the wait at once instead of at the next poll', async () => {
  const { conn } = connListing([
    [
      { id: 'u1', status: 'ACTIVE' },
      { id: 'u2', status: 'ACTIVE' },
    ],
  ]);
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('interrupted by SIGINT')), 100);
  const started = Date.now();
  await assert.rejects(
    waitForStatus(conn, instances, 'SHUTOFF', { timeoutSeconds: 600, intervalMs: 60_000, signal: controller.signal }),
    /interrupted by SIGINT/,
  );
  assert.ok(Date.now() - started < 5000);
});
