// The Glance side of SnapSet lookup and pruning: one paginated listing of the project's own images
// (never another project's public or shared ones), judged by sets.ts; deletion of whole sets.
import { HotstackError } from '../errors.ts';
import type { Connection } from '../openstack/connect.ts';
import type { Image } from '../openstack/glance.ts';
import { SNAP_ID_PROPERTY } from './data.ts';
import { groupSets, type SnapsetSummary } from './sets.ts';

type CatalogConnection = Pick<Connection, 'session' | 'cloud' | 'glance'>;

/** The token's project: only its own images are looked at. */
async function projectOf(conn: CatalogConnection): Promise<string> {
  await conn.session.token();
  const owner = conn.session.projectId;
  if (!owner)
    throw new HotstackError(
      `cloud '${conn.cloud.name}' gave a token without a project: SnapSets are looked for among a project's own images, so use project-scoped credentials`,
    );
  return owner;
}

/** Every SnapSet among the images the token's project owns, newest first, judged at `now`. */
export async function loadSets(conn: CatalogConnection, now = new Date()): Promise<SnapsetSummary[]> {
  return groupSets(await conn.glance.listImages({ owner: await projectOf(conn) }), now);
}

/**
 * Page sizes of a newest-first read that may stop early: a small first page (the newest sets are
 * usually the ones wanted), then Glance's largest. Glance's cost is per image listed (each image's
 * properties × tags rows), so a page of 100 answers in a fraction of a 1000-image page.
 */
export const EARLY_STOP_PAGES = [100, 400, 1000] as const;

/**
 * The project's SnapSets read newest first, a page at a time, until `enough` says the sets known
 * so far answer the question (or every image is read). Known sets are whole: a set counts as known
 * once every image as new as its first one has been read, so no set that is newer than a known one
 * can still be missing or cut by the page boundary. Returns the known sets (newest first) and
 * whether the whole project was read.
 */
export async function loadSetsUntil(
  conn: CatalogConnection,
  enough: (known: SnapsetSummary[]) => boolean,
  now = new Date(),
  pageSizes: readonly number[] = EARLY_STOP_PAGES,
): Promise<{ sets: SnapsetSummary[]; complete: boolean }> {
  const images: Image[] = [];
  for await (const page of conn.glance.imagePages({ owner: await projectOf(conn) }, pageSizes)) {
    images.push(...page);
    const known = knownSets(groupSets(images, now), page.at(-1)?.created_at);
    if (enough(known)) return { sets: known, complete: false };
  }
  return { sets: groupSets(images, now), complete: true };
}

/**
 * Pure: the sets that are whole among those grouped from a newest-first read that reached images
 * created at `boundary`: those created after it (every image of theirs is at least as new as their
 * first, so all were read). Without a boundary (nothing read) none is known.
 */
export function knownSets(sets: SnapsetSummary[], boundary: string | undefined): SnapsetSummary[] {
  if (boundary === undefined) return [];
  const edge = Date.parse(boundary);
  return sets.filter((set) => Date.parse(set.created_at) > edge);
}

/**
 * One set by snap_id, whatever its images' status: the images tagged `snap_id=<id>` and those
 * carrying the property only (a run of this project tags its images once they are active) — two
 * requests, however many sets the project holds. Undefined when no image names it.
 */
export async function loadSet(conn: CatalogConnection, snapId: string, now = new Date()): Promise<SnapsetSummary | undefined> {
  const owner = await projectOf(conn);
  const [tagged, untagged] = await Promise.all([
    conn.glance.listImages({ owner, tags: [`snap_id=${snapId}`] }),
    conn.glance.listImages({ owner, properties: { [SNAP_ID_PROPERTY]: snapId } }),
  ]);
  const byId = new Map([...tagged, ...untagged].map((image) => [image.id, image]));
  return groupSets([...byId.values()], now).find((set) => set.snap_id === snapId);
}

export interface DeleteOutcome {
  removed: string[];
  failed: { image_id: string; error: string }[];
}

/** Deletes the given images (a set's, or several sets'); `progress` is told after each one. */
export async function deleteImages(
  conn: Pick<Connection, 'glance'>,
  imageIds: string[],
  progress?: (done: number, total: number) => void,
): Promise<DeleteOutcome> {
  const outcome: DeleteOutcome = { removed: [], failed: [] };
  let done = 0;
  // A few at a time: Glance deletes are quick, and a shared cloud should not see a burst.
  const queue = [...imageIds];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        await conn.glance.deleteImage(id);
        outcome.removed.push(id);
      } catch (error) {
        outcome.failed.push({ image_id: id, error: error instanceof Error ? error.message : String(error) });
      }
      progress?.(++done, imageIds.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, imageIds.length) }, worker));
  return outcome;
}
