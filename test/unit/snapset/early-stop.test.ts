// Lookups that read no more than they need (issue 20: fast with hundreds of sets): a listing page
// by page with the filters kept on every page, the sets known whole after a newest-first read
// stopped early, the newest usable set found from the first pages with the same answer as a read
// of everything, and a pinned set fetched by its snap_id alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planScaleSets, scenarioTopology } from '../../../bench/scale-sets.ts';
import { type Image, type ImageFilters, imageQuery, pageQuery } from '../../../lib/openstack/glance.ts';
import { knownSets, loadSetsUntil } from '../../../lib/snapset/catalog.ts';
import { lookupSets, newestSets } from '../../../lib/snapset/lookup.ts';
import { chooseSet, groupSets, inScope } from '../../../lib/snapset/sets.ts';
import { listedScaleSets } from '../../helpers/scale-listed.ts';

const NOW = new Date('2026-12-06T12:00:00Z');

/** Planned sets as Glance lists them, newest first: set i created i seconds after the first. */
function listed(prefix: string, count: number): Image[] {
  return listedScaleSets(prefix, count, NOW).sort(
    (a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id.localeCompare(a.id),
  );
}

/** The shape of a connection the catalog uses, over a fixed list of images; counts the pages asked. */
function fakeConnection(images: Image[]) {
  const calls = { pages: 0, lists: [] as ImageFilters[] };
  const matches = (image: Image, filters: ImageFilters) =>
    (filters.tags ?? []).every((tag) => image.tags.includes(tag)) &&
    Object.entries(filters.properties ?? {}).every(([key, value]) => image[key] === value);
  const conn = {
    cloud: { name: 'fake' },
    session: { token: async () => ({}), projectId: 'project' },
    glance: {
      async *imagePages(filters: ImageFilters, sizes: readonly number[]) {
        const all = images.filter((image) => matches(image, filters));
        for (let at = 0, page = 0; at < all.length; page++) {
          const size = sizes[Math.min(page, sizes.length - 1)]!;
          calls.pages++;
          yield all.slice(at, at + size);
          at += size;
        }
      },
      async listImages(filters: ImageFilters) {
        calls.lists.push(filters);
        return images.filter((image) => matches(image, filters));
      },
    },
  };
  return { conn: conn as unknown as Parameters<typeof lookupSets>[0], calls };
}

test("a listing keeps every filter on every page (Glance's own next link keeps one tag= of two)", () => {
  const query = imageQuery({ owner: 'p', tags: ['hotstack', 'role=controller'] })!;
  assert.equal(query, 'tag=hotstack&tag=role%3Dcontroller&owner=p');
  assert.equal(pageQuery(query, 25, 'id-9'), 'tag=hotstack&tag=role%3Dcontroller&owner=p&limit=25&marker=id-9');
  assert.equal(pageQuery(query, 1000), 'tag=hotstack&tag=role%3Dcontroller&owner=p&limit=1000');
  assert.equal(imageQuery({ ids: [] }), undefined, 'an empty id list matches nothing: no request');
  assert.equal(imageQuery({ ids: ['a', 'b'] }), 'id=in%3Aa%2Cb');
});

test('after a read stopped early, only sets first created after the last image read are known whole', () => {
  const images = listed('k-', 10);
  const sets = groupSets(images, NOW);
  const boundary = images[5]!.created_at;
  const known = knownSets(groupSets(images.slice(0, 6), NOW), boundary);
  assert.ok(known.length > 0);
  for (const set of known) {
    assert.ok(Date.parse(set.created_at) > Date.parse(boundary));
    assert.deepEqual(
      set,
      sets.find((whole) => whole.snap_id === set.snap_id),
      `${set.snap_id} is whole`,
    );
  }
  assert.deepEqual(knownSets(sets, undefined), []);
});

test('the newest usable set of a scenario is found from the first page, with the answer of a read of everything', async () => {
  const images = listed('e-', 200);
  const { conn, calls } = fakeConnection(images);
  const topology = scenarioTopology('e-', 'sno');
  const result = await lookupSets(conn, { scope: { topology }, choose: true, now: NOW });
  const everything = chooseSet(
    groupSets(images, NOW).filter((set) => inScope(set, { topology })),
    { topology },
  );
  assert.ok(everything.chosen);
  assert.equal(result.choice?.chosen?.snap_id, everything.chosen.snap_id);
  assert.deepEqual(result.choice?.passed_over, everything.passed_over);
  assert.equal(calls.pages, 1, 'one page of 100 images settles it');
  assert.deepEqual(
    result.sets.map((set) => set.snap_id),
    [...everything.passed_over.map((p) => p.snap_id), everything.chosen.snap_id],
    'the sets looked at: the newer ones passed over and the chosen one',
  );
});

test('a set cut by a page boundary is read whole before it can be chosen', async () => {
  // Pages of 3 images: the newest compact set (4 images) straddles the first boundary.
  const images = listed('c-', 20);
  const { conn, calls } = fakeConnection(images);
  const topology = scenarioTopology('c-', 'compact');
  const all = groupSets(images, NOW).filter((set) => inScope(set, { topology }));
  let rounds = 0;
  const read = await loadSetsUntil(
    conn,
    (known) => {
      rounds++;
      return !!chooseSet(
        known.filter((set) => inScope(set, { topology })),
        { topology },
      ).chosen;
    },
    NOW,
    [3],
  );
  const chosen = chooseSet(
    read.sets.filter((set) => inScope(set, { topology })),
    { topology },
  ).chosen!;
  assert.equal(chosen.snap_id, chooseSet(all, { topology }).chosen!.snap_id);
  assert.equal(chosen.image_count, 4);
  assert.equal(calls.pages, rounds);
  assert.ok(calls.pages < Math.ceil(images.length / 3), 'it stopped before the end');
});

test('when no set counts everything is read and every set of the scope returned; a pinned set costs two listings', async () => {
  const images = listed('n-', 40);
  const { conn, calls } = fakeConnection(images);
  const none = await lookupSets(conn, { scope: { topology: { nothing: 'controller' } }, choose: true, now: NOW });
  assert.equal(none.choice?.chosen, undefined);
  assert.equal(calls.pages, 1, 'the one page held everything (100 images)');

  const planned = planScaleSets(40, 'n-', NOW);
  const pinnedId = planned.filter((set) => set.kind === 'usable')[3]!.snapId;
  const before = calls.pages;
  const pinned = await lookupSets(conn, { scope: {}, choose: false, snapId: pinnedId, now: NOW });
  assert.equal(pinned.choice?.chosen?.snap_id, pinnedId);
  assert.deepEqual(
    pinned.sets.map((set) => set.snap_id),
    [pinnedId],
  );
  assert.equal(calls.pages, before, 'no listing of the project');
  assert.deepEqual(
    calls.lists.map((filters) => ({ ...filters })),
    [
      { owner: 'project', tags: [`snap_id=${pinnedId}`] },
      { owner: 'project', properties: { hotstack_snap_id: pinnedId } },
    ],
  );
  const killed = planned.find((set) => set.kind === 'killed')!.snapId;
  const untagged = await lookupSets(conn, { scope: {}, choose: true, snapId: killed, now: NOW });
  assert.equal(untagged.sets[0]?.image_count, 3, 'images with the property only are part of the set');
  const missing = await lookupSets(conn, { scope: {}, choose: true, snapId: 'NOSUCHID', now: NOW });
  assert.match(missing.choice!.explanation, /no SnapSet NOSUCHID among the project's images/);
});

test('the newest N sets of a scope (list --limit): the first N of a read of everything, from the first page; more says what was left', async () => {
  const images = listed('l-', 200);
  const { conn, calls } = fakeConnection(images);
  const topology = scenarioTopology('l-', 'sno');
  const everything = groupSets(images, NOW).filter((set) => inScope(set, { topology }));
  const newest = await newestSets(conn, { topology }, 5, NOW);
  assert.deepEqual(
    newest.sets.map((set) => set.snap_id),
    everything.slice(0, 5).map((set) => set.snap_id),
  );
  assert.deepEqual(newest.sets, everything.slice(0, 5), 'each set whole, judged as a full read judges it');
  assert.equal(newest.more, true);
  assert.equal(calls.pages, 1, 'one page of 100 images holds the 5 newest');
  const all = await newestSets(fakeConnection(images).conn, { topology }, 10_000, NOW);
  assert.deepEqual(all.sets, everything, 'a limit above the count: every set, all pages read');
  assert.equal(all.more, false);
});
