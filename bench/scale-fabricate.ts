// The cloud side of the scale benchmark's fixtures: the planned images (scale-sets.ts) created in
// Glance with bounded concurrency, each recorded the moment Glance names it, and removed again —
// by the ids recorded and by a sweep of the project's images named for the run, so that nothing
// survives a failure or an interrupt half-way. Every lookup is scoped to the run's prefix.
import type { Connection } from '../lib/openstack/connect.ts';
import type { PlannedImage } from './scale-sets.ts';

/** Runs `work` on every item, at most `concurrency` at once; stops handing out items once `stop()` says so. */
export async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>, stop = () => false) {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

export interface Fabrication {
  /** Ids of every image created (also those created before a failure). */
  created: string[];
  seconds: number;
}

/**
 * Creates the images: a record with its tags and properties in one POST, then its one byte (the
 * image turns active) unless the plan leaves it queued. `created` fills as Glance answers, so the
 * caller can clean up after a throw.
 */
export async function fabricate(
  conn: Pick<Connection, 'glance'>,
  images: readonly PlannedImage[],
  options: { concurrency: number; created: string[]; stop?: () => boolean; progress?: (done: number, total: number) => void },
): Promise<Fabrication> {
  const started = performance.now();
  let done = 0;
  await inPool(
    images,
    options.concurrency,
    async (planned) => {
      const fields = {
        name: planned.name,
        disk_format: 'raw',
        container_format: 'bare',
        visibility: 'private',
        tags: planned.tags,
        ...planned.properties,
      };
      const image = await conn.glance.createImageRecord(fields);
      options.created.push(image.id);
      if (planned.upload) await conn.glance.uploadData(image.id, Buffer.from([0]));
      options.progress?.(++done, images.length);
    },
    options.stop,
  );
  return { created: options.created, seconds: (performance.now() - started) / 1000 };
}

/** The project's images whose name marks them as the run's (instance names, hence image names, carry the prefix). */
export async function runImages(conn: Pick<Connection, 'glance' | 'session'>, runPrefix: string): Promise<string[]> {
  await conn.session.token();
  const owner = conn.session.projectId;
  const images = await conn.glance.listImages(owner ? { owner } : {});
  return images
    .filter((image) => (image.name ?? '').startsWith(runPrefix) || (image.name ?? '').startsWith(`hotstack-${runPrefix}`))
    .map((image) => image.id);
}

/**
 * Deletes the images created and any other image named for the run (a create whose answer was
 * lost), a few at a time; returns how many are left (0 when all went).
 */
export async function removeRun(
  conn: Pick<Connection, 'glance' | 'session'>,
  runPrefix: string,
  created: readonly string[],
  concurrency = 12,
): Promise<{ deleted: number; left: string[]; seconds: number }> {
  const started = performance.now();
  let deleted = 0;
  const remove = async (ids: readonly string[]) =>
    inPool(ids, concurrency, async (id) => {
      if (await conn.glance.deleteImage(id).catch(() => false)) deleted++;
    });
  await remove(created);
  await remove(await runImages(conn, runPrefix));
  const left = await runImages(conn, runPrefix);
  return { deleted, left, seconds: (performance.now() - started) / 1000 };
}
