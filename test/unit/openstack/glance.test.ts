// Glance's listing against a small fake of the two Session calls it uses: the filters it sends, its
// pages, and when it sends nothing at all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Glance, type Image } from '../../../lib/openstack/glance.ts';
import type { Session } from '../../../lib/openstack/session.ts';

function fakeGlance(pages: Image[][]) {
  const paths: string[] = [];
  const session = {
    endpoint: async () => 'http://127.0.0.1:9292',
    request: async (_service: string, options: { path: string }) => {
      paths.push(options.path);
      const images = pages[paths.length - 1] ?? [];
      return { status: 200, body: { images, ...(paths.length < pages.length ? { next: '/v2/images?marker=x' } : {}) } };
    },
  } as unknown as Session;
  return { glance: new Glance(session), paths };
}

const image = (id: string): Image => ({ id, name: id, status: 'active', tags: [], created_at: '2026-12-06T00:00:00Z' });

test('a listing without filters asks Glance for every image (an empty query is not "nothing to ask")', async () => {
  const { glance, paths } = fakeGlance([[image('a'), image('b')]]);
  assert.deepEqual(
    (await glance.listImages({})).map((i) => i.id),
    ['a', 'b'],
  );
  assert.deepEqual(paths, ['http://127.0.0.1:9292/v2/images?limit=1000']);
});

test('every page is asked with the same filters and the last image of the page before as marker', async () => {
  const { glance, paths } = fakeGlance([[image('a'), image('b')], [image('c')]]);
  assert.deepEqual(
    (await glance.listImages({ tags: ['hotstack', 'role=controller'] })).map((i) => i.id),
    ['a', 'b', 'c'],
  );
  assert.equal(paths.length, 2);
  assert.match(paths[1]!, /tag=hotstack&tag=role%3Dcontroller&limit=1000&marker=b$/);
});

test('an empty id list matches nothing: no request', async () => {
  const { glance, paths } = fakeGlance([[image('a')]]);
  assert.deepEqual(await glance.listImages({ ids: [] }), []);
  assert.deepEqual(paths, []);
});
