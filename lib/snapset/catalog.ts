// The Glance side of SnapSet lookup and pruning: one paginated listing of the project's own images
// (never another project's public or shared ones), judged by sets.ts; deletion of whole sets.
import { HotstackError } from '../errors.ts';
import type { Connection } from '../openstack/connect.ts';
import { groupSets, type SnapsetSummary } from './sets.ts';

/** Every SnapSet among the images the token's project owns, newest first, judged at `now`. */
export async function loadSets(conn: Pick<Connection, 'session' | 'cloud' | 'glance'>, now = new Date()): Promise<SnapsetSummary[]> {
  await conn.session.token();
  const owner = conn.session.projectId;
  if (!owner)
    throw new HotstackError(
      `cloud '${conn.cloud.name}' gave a token without a project: SnapSets are looked for among a project's own images, so use project-scoped credentials`,
    );
  return groupSets(await conn.glance.listImages({ owner }), now);
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
