// The image watcher against a fake of the two calls of each service it makes (Glance: listImages,
// getImage; Nova: listServers, getServer), counting requests: one server listing per round answers
// for every long snapshot, so the Nova requests do not grow with the number of servers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Image } from '../../../lib/openstack/glance.ts';
import type { Server } from '../../../lib/openstack/nova.ts';
import type { SnapsetInstance } from '../../../lib/snapset/data.ts';
import { ImageWatcher, type WatcherClients } from '../../../lib/snapset/image-watcher.ts';

const instance = (i: number): SnapsetInstance => ({
  name: `master${i}`,
  uuid: `server-${i}`,
  role: 'ocp_master',
  macAddress: 'fa:16:3e:00:00:01',
});
const image = (id: string, status: string): Image => ({ id, name: id, status, tags: [], created_at: '2026-12-06T00:00:00Z' });

/**
 * A cloud where snapshot i's image is saving until `activeAt(i)` (ms after the start), its server
 * busy (image_uploading) until then; counts the requests per call.
 */
function fakeCloud(activeAt: (i: number) => number, count: number) {
  const t0 = Date.now();
  const calls = { listImages: 0, getImage: 0, listServers: 0, getServer: 0 };
  const index = (id: string) => Number(id.split('-').pop());
  const statusOf = (i: number) => (Date.now() - t0 >= activeAt(i) ? 'active' : 'saving');
  const server = (i: number): Server => ({
    id: `server-${i}`,
    name: `master${i}`,
    status: 'SHUTOFF',
    'OS-EXT-STS:task_state': statusOf(i) === 'active' ? null : 'image_uploading',
  });
  const clients: WatcherClients = {
    glance: {
      listImages: async (query) => {
        calls.listImages++;
        return (query?.ids ?? []).map((id) => image(id, statusOf(index(id))));
      },
      getImage: async (id) => {
        calls.getImage++;
        return image(id, statusOf(index(id)));
      },
    },
    nova: {
      listServers: async () => {
        calls.listServers++;
        return Array.from({ length: count }, (_, i) => server(i));
      },
      getServer: async (id) => {
        calls.getServer++;
        return server(index(id));
      },
    },
  };
  return { clients, calls };
}

/** The watcher at 1/100 of real time: Nova is asked about a snapshot after 150 ms (15 s), then every 100 ms (10 s). */
const SCALED = {
  timeoutMs: 60_000,
  novaCheckAfterMs: 150,
  novaCheckEveryMs: 100,
  pollIntervalMs: 20,
  maxPollIntervalMs: 20,
  unreachableGraceMs: 1_000,
};

test('30 long snapshots, started over 60 ms: one server listing per round answers for all of them', async () => {
  const N = 30;
  // Active after 0.8 s (80 s in real time), the last a little later than the first.
  const { clients, calls } = fakeCloud((i) => 800 + 5 * i, N);
  const watcher = new ImageWatcher(clients, SCALED);
  const started = Date.now();
  const images = await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, 2 * i));
      return watcher.waitForActive(instance(i), `image-${i}`, Date.now());
    }),
  );
  const wall = Date.now() - started;
  assert.equal(images.length, N);
  assert.ok(images.every((img) => img.status === 'active'));
  // Checks are due from 150 ms on, then every 100 ms: one listing per 100 ms of waiting past that, plus one
  // per round while the later-started snapshots reach 150 ms (started over 60 ms, rounds every 20 ms).
  const bound = Math.ceil((wall - SCALED.novaCheckAfterMs) / SCALED.novaCheckEveryMs) + 1 + Math.ceil(60 / SCALED.pollIntervalMs);
  // One Nova request per round with checks: a listing, or (one snapshot left to check) its server by id.
  const nova = calls.listServers + calls.getServer;
  assert.ok(
    calls.listServers >= 1 && nova <= bound,
    `${calls.listServers} listings, ${calls.getServer} by id in ${wall} ms (bound ${bound})`,
  );
  // The per-image design asked about one getServer per image per 100 ms past 150 ms: ≈ 6 each, 180 in all.
  assert.ok(nova * 10 < N * Math.floor((800 - SCALED.novaCheckAfterMs) / SCALED.novaCheckEveryMs));
  // A snapshot of 30 servers asks Nova: 1 listing to check them, 30 createImage, and the watcher's requests.
  assert.ok(1 + N + nova <= 45, `${1 + N + nova} Nova requests`);
});

test('quick snapshots never cost a Nova request', async () => {
  const { clients, calls } = fakeCloud(() => 60, 5);
  const watcher = new ImageWatcher(clients, SCALED);
  await Promise.all(Array.from({ length: 5 }, (_, i) => watcher.waitForActive(instance(i), `image-${i}`, Date.now())));
  assert.deepEqual([calls.listServers, calls.getServer], [0, 0]);
});

test('one long snapshot: its server is asked by id (one request, as a listing would be)', async () => {
  const { clients, calls } = fakeCloud(() => 400, 1);
  const watcher = new ImageWatcher(clients, SCALED);
  await watcher.waitForActive(instance(0), 'image-0', Date.now());
  assert.equal(calls.listServers, 0);
  assert.ok(calls.getServer >= 1, `${calls.getServer} getServer`);
});

test('a snapshot Nova has finished while its image stays saving fails, naming the instance and the image', async () => {
  const { clients } = fakeCloud(() => Infinity, 3);
  // The servers have no task any more: the snapshot is over, and the image will never be active.
  clients.nova.listServers = async () =>
    [0, 1, 2].map((i) => ({ id: `server-${i}`, name: `m${i}`, status: 'SHUTOFF', fault: { message: 'upload failed' } }));
  const watcher = new ImageWatcher(clients, SCALED);
  const results = await Promise.allSettled([0, 1, 2].map((i) => watcher.waitForActive(instance(i), `image-${i}`, Date.now())));
  for (const [i, result] of results.entries()) {
    assert.equal(result.status, 'rejected');
    assert.match(
      String((result as PromiseRejectedResult).reason.message),
      new RegExp(
        `^snapshot of instance master${i} \\(uuid server-${i}\\) failed: Nova finished the snapshot but its image image-${i} is saving \\(server fault: upload failed\\)$`,
      ),
    );
  }
});
