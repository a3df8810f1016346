// createSnapset: one Glance image per SHUTOFF instance, made in parallel, tagged, and marked as a
// complete set only when every image is active and tagged. On failure the images of this run are
// removed, so that no set ever looks complete without being so.
import fastq from 'fastq';
import { DEAD_IMAGE_STATUSES, type Image } from '../openstack/glance.ts';
import { OpenStackHttpError } from '../openstack/http.ts';
import { taskState, type Server } from '../openstack/nova.ts';
import type { Connection } from '../openstack/connect.ts';
import { SNAP_ID_PROPERTY, SNAPSET_TAG, imageName, imageTags, newSnapId, type SnapsetInstance } from './data.ts';

export interface CreateSnapsetOptions {
  /** Seconds each image may take from createImage to active. */
  timeoutSeconds: number;
  /** Images created at once; default all. */
  concurrency?: number;
  /** Leave the images of a failed run in place (never marked as a set). */
  keepPartial?: boolean;
  /** Check only: validate and inspect the servers, create nothing. */
  checkMode?: boolean;
  /** First poll interval; it stays this short for the first seconds, then grows. */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** How long Glance may stay unreachable while we wait before the run gives up. */
  unreachableGraceMs?: number;
  log?: (message: string) => void;
  snapId?: string;
}

export interface SnapsetImage {
  name: string;
  image_id: string;
  image_name: string;
  role: string;
  mac_address: string;
  /** createImage sent → active, as seen by our polls. */
  seconds_to_active: number;
}

export interface SnapsetOutcome {
  snapId: string;
  /** `snapset` as Hotstack returns it: {snap_id, <name>: {image_id, role, mac_address}}. */
  snapset: Record<string, unknown>;
  images: SnapsetImage[];
}

export interface SnapsetPlan {
  snapId: string;
  images: { name: string; image_name: string; server_id: string; role: string; mac_address: string; tags: string[] }[];
}

/** A failed run: the message names the instance; `removed`/`kept` say what became of the images. */
export class SnapsetError extends Error {
  readonly snapId: string | undefined;
  readonly removed: string[];
  readonly kept: string[];
  constructor(message: string, details: { snapId?: string; removed?: string[]; kept?: string[] } = {}) {
    super(message);
    this.name = 'SnapsetError';
    this.snapId = details.snapId;
    this.removed = details.removed ?? [];
    this.kept = details.kept ?? [];
  }
}

/**
 * Servers of the set, by uuid. From a few instances on, one paginated listing of the project's
 * servers answers for all of them; ids it does not hold (another project's, unknown) are then
 * asked one by one, which is also how an unknown uuid is told apart.
 */
export async function fetchServers(conn: Connection, uuids: string[]): Promise<Map<string, Server | undefined>> {
  const found = new Map<string, Server | undefined>();
  if (uuids.length >= 3) {
    const wanted = new Set(uuids);
    for (const server of await conn.nova.listServers({ limit: '1000' })) if (wanted.has(server.id)) found.set(server.id, server);
  }
  const missing = uuids.filter((uuid) => !found.has(uuid));
  const fetched = await Promise.all(missing.map((uuid) => conn.nova.getServer(uuid)));
  missing.forEach((uuid, index) => found.set(uuid, fetched[index]));
  return found;
}

/** Refuses unless every server exists and is SHUTOFF with no task running; names each offender. */
export async function checkServersStopped(conn: Connection, instances: SnapsetInstance[]): Promise<void> {
  const servers = await fetchServers(conn, instances.map((instance) => instance.uuid));
  const problems: string[] = [];
  for (const instance of instances) {
    const server = servers.get(instance.uuid);
    if (!server) problems.push(`instance ${instance.name} (uuid ${instance.uuid}) does not exist`);
    else if (server.status !== 'SHUTOFF') problems.push(`instance ${instance.name} (uuid ${instance.uuid}) is ${server.status}, not SHUTOFF`);
    else if (taskState(server)) problems.push(`instance ${instance.name} (uuid ${instance.uuid}) is SHUTOFF but busy with task ${taskState(server)}`);
  }
  if (problems.length) {
    throw new SnapsetError(`refusing to create a SnapSet, nothing was created: ${problems.join('; ')}`);
  }
}

export function planSnapset(instances: SnapsetInstance[], snapId: string): SnapsetPlan {
  return {
    snapId,
    images: instances.map((instance) => ({
      name: instance.name,
      image_name: imageName(instance, snapId),
      server_id: instance.uuid,
      role: instance.role,
      mac_address: instance.macAddress,
      tags: [...imageTags(instance, snapId), SNAPSET_TAG],
    })),
  };
}

interface Pending {
  instance: SnapsetInstance;
  imageId: string;
  startedAt: number;
  settle: { resolve: (image: Image) => void; reject: (error: Error) => void };
  /** When Nova was last asked whether this snapshot is still running. */
  serverCheckedAt: number;
}

type WatchOptions = Required<Pick<CreateSnapsetOptions, 'timeoutSeconds' | 'pollIntervalMs' | 'maxPollIntervalMs' | 'unreachableGraceMs'>>;

/**
 * Watches all pending images with one Glance listing per poll (`id=in:…`), however many there are.
 * An image is failed as soon as Glance says it cannot become active (killed, deleted, gone: Nova
 * purges the image of a failed snapshot), or when Nova has finished the snapshot without it.
 */
class ImageWatcher {
  readonly #conn: Connection;
  readonly #options: WatchOptions;
  readonly #pending = new Map<string, Pending>();
  #running = false;
  #stopped = false;
  #wake: (() => void) | undefined;

  constructor(conn: Connection, options: WatchOptions) {
    this.#conn = conn;
    this.#options = options;
  }

  waitForActive(instance: SnapsetInstance, imageId: string, startedAt: number): Promise<Image> {
    return new Promise((resolve, reject) => {
      if (this.#stopped) return reject(new Error('the run is being abandoned'));
      this.#pending.set(imageId, { instance, imageId, startedAt, settle: { resolve, reject }, serverCheckedAt: startedAt });
      if (!this.#running) void this.#loop();
      this.#wake?.();
    });
  }

  stop(reason: Error): void {
    this.#stopped = true;
    for (const pending of this.#pending.values()) pending.settle.reject(reason);
    this.#pending.clear();
    this.#wake?.();
  }

  async #loop(): Promise<void> {
    this.#running = true;
    const loopStart = Date.now();
    let unreachableSince: number | undefined;
    let interval = this.#options.pollIntervalMs;
    try {
      while (this.#pending.size > 0 && !this.#stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, interval);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
        if (this.#stopped || this.#pending.size === 0) break;
        // Polls every 0.4 s for the first seconds, so that a quick snapshot is noticed within 0.5 s
        // of going active; then further apart, for uploads of large disks that take minutes.
        if (Date.now() - loopStart > 6_000) interval = Math.min(this.#options.maxPollIntervalMs, Math.round(interval * 1.2));
        let images: Image[];
        // Only the images asked about are judged: one added while the request ran is not missing.
        const asked = [...this.#pending.values()];
        try {
          images = await this.#conn.glance.listImages({ ids: asked.map((pending) => pending.imageId) });
          unreachableSince = undefined;
        } catch (error) {
          if (!(error instanceof OpenStackHttpError) || (error.status !== undefined && error.status < 500)) throw error;
          unreachableSince ??= Date.now();
          if (Date.now() - unreachableSince > this.#options.unreachableGraceMs) throw error;
          continue;
        }
        const byId = new Map(images.map((image) => [image.id, image]));
        for (const pending of asked) if (this.#pending.has(pending.imageId)) await this.#judge(pending, byId.get(pending.imageId));
      }
    } catch (error) {
      this.stop(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.#running = false;
    }
  }

  async #judge(pending: Pending, image: Image | undefined): Promise<void> {
    const { instance, imageId } = pending;
    const fail = (why: string) => {
      this.#pending.delete(imageId);
      pending.settle.reject(new SnapsetError(`snapshot of instance ${instance.name} (uuid ${instance.uuid}) failed: ${why}`));
    };
    if (!image) return fail(`its image ${imageId} disappeared from Glance (Nova removes the image of a failed snapshot; see the server's fault and the nova-compute log)`);
    if (image.status === 'active') {
      this.#pending.delete(imageId);
      pending.settle.resolve(image);
      return;
    }
    if (DEAD_IMAGE_STATUSES.has(image.status)) return fail(`its image ${imageId} went ${image.status}`);
    const now = Date.now();
    if (now - pending.startedAt > this.#options.timeoutSeconds * 1000) {
      return fail(`its image ${imageId} was not active after ${this.#options.timeoutSeconds}s (last status ${image.status})`);
    }
    // A snapshot that Nova gave up on can leave its image queued or saving forever (when Glance
    // was unreachable, Nova could not delete it). Nova's task state tells: ask now and then.
    if (now - pending.startedAt > 15_000 && now - pending.serverCheckedAt > 10_000) {
      pending.serverCheckedAt = now;
      const server = await this.#conn.nova.getServer(instance.uuid);
      if (server && !taskState(server)) {
        const again = await this.#conn.glance.getImage(imageId);
        if (again?.status === 'active') return this.#judge(pending, again);
        fail(`Nova finished the snapshot but its image ${imageId} is ${again?.status ?? 'gone'}${server.fault?.message ? ` (server fault: ${server.fault.message})` : ''}`);
      }
    }
  }
}

/** Validated instances in, a complete tagged SnapSet out — or an error and no partial set. */
export async function createSnapset(conn: Connection, instances: SnapsetInstance[], options: CreateSnapsetOptions): Promise<SnapsetOutcome> {
  const log = options.log ?? (() => {});
  await checkServersStopped(conn, instances);
  const snapId = options.snapId ?? newSnapId();
  log(`all ${instances.length} server(s) SHUTOFF; creating set ${snapId}`);

  const watcher = new ImageWatcher(conn, {
    timeoutSeconds: options.timeoutSeconds,
    pollIntervalMs: options.pollIntervalMs ?? 400,
    maxPollIntervalMs: options.maxPollIntervalMs ?? 3_000,
    unreachableGraceMs: options.unreachableGraceMs ?? 120_000,
  });
  const created: string[] = [];
  const done: SnapsetImage[] = [];
  let firstError: Error | undefined;

  const snapshotOne = async (instance: SnapsetInstance): Promise<void> => {
    if (firstError) return; // fail fast: no new snapshot once one has failed
    const name = imageName(instance, snapId);
    const startedAt = Date.now();
    let imageId: string;
    try {
      imageId = await conn.nova.createImage(instance.uuid, name, { [SNAP_ID_PROPERTY]: snapId, hotstack_name: instance.name, hotstack_snapset_size: String(instances.length) });
    } catch (error) {
      throw new SnapsetError(`cannot snapshot instance ${instance.name} (uuid ${instance.uuid}): ${describeCreateImageError(error)}`);
    }
    created.push(imageId);
    if (firstError) return; // another snapshot failed meanwhile: this image goes with the rollback
    log(`instance ${instance.name}: image ${name} (${imageId}) requested`);
    await watcher.waitForActive(instance, imageId, startedAt);
    const secondsToActive = (Date.now() - startedAt) / 1000;
    await conn.glance.replaceTags(imageId, imageTags(instance, snapId));
    log(`instance ${instance.name}: image ${imageId} active after ${secondsToActive.toFixed(1)}s and tagged`);
    done.push({ name: instance.name, image_id: imageId, image_name: name, role: instance.role, mac_address: instance.macAddress, seconds_to_active: secondsToActive });
  };

  // The first failure is recorded inside the worker, before the queue hands out the next task, so
  // that no snapshot starts after it.
  const worker = async (instance: SnapsetInstance): Promise<void> => {
    try {
      await snapshotOne(instance);
    } catch (error) {
      if (!firstError) {
        firstError = error instanceof Error ? error : new Error(String(error));
        watcher.stop(firstError);
      }
      throw error;
    }
  };
  const queue = fastq.promise(worker, Math.max(1, options.concurrency ?? instances.length));
  // Failures are in firstError; a rejection here is only the task's own.
  await Promise.all(instances.map((instance) => queue.push(instance).catch(() => {})));

  if (!firstError) {
    log(`every image active and tagged; marking the set ${SNAPSET_TAG}`);
    try {
      // The set is complete: only now does it become visible as one (`--tag hotstack-snapset`).
      await Promise.all(done.map((image) => conn.glance.addTag(image.image_id, SNAPSET_TAG)));
    } catch (error) {
      firstError = new SnapsetError(`marking the set ${snapId} complete failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (firstError) throw await rollback(conn, created, snapId, firstError, options.keepPartial ?? false, log);

  const byName = new Map(done.map((image) => [image.name, image]));
  const ordered = instances.map((instance) => byName.get(instance.name) as SnapsetImage);
  const snapset: Record<string, unknown> = { snap_id: snapId };
  for (const image of ordered) snapset[image.name] = { image_id: image.image_id, role: image.role, mac_address: image.mac_address };
  return { snapId, snapset, images: ordered };
}

function describeCreateImageError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Two snapshot requests racing inside nova-api: the loser gets a 500 rather than a 409.
  if (error instanceof OpenStackHttpError && error.status === 500 && /UnexpectedTaskStateError/.test(error.cloudMessage)) {
    return `another task (a second snapshot?) started on the server at the same moment; Nova said: ${message}`;
  }
  return message;
}

/**
 * The images of a run: those whose ids we know, plus any Nova created without telling us (a
 * createImage that failed after Glance had the record, e.g. the 500 above), found by property.
 */
async function imagesOfRun(conn: Connection, known: string[], snapId: string): Promise<string[]> {
  const ids = new Set(known);
  try {
    for (const image of await conn.glance.listImages({ properties: { [SNAP_ID_PROPERTY]: snapId } })) ids.add(image.id);
  } catch {
    // Best effort: the known ids are still removed.
  }
  return [...ids];
}

/** Removes the images of a failed run (or, with keepPartial, says they stay) and builds the error. */
async function rollback(conn: Connection, knownIds: string[], snapId: string, cause: Error, keepPartial: boolean, log: (m: string) => void): Promise<SnapsetError> {
  const imageIds = await imagesOfRun(conn, knownIds, snapId);
  if (keepPartial) {
    return new SnapsetError(
      `${cause.message}; keep_partial is set: the ${imageIds.length} image(s) of set ${snapId} stay, never marked ${SNAPSET_TAG}`,
      { snapId, kept: imageIds },
    );
  }
  const removed: string[] = [];
  const leftBehind: string[] = [];
  await Promise.all(
    imageIds.map(async (imageId) => {
      try {
        await conn.glance.deleteImage(imageId);
        removed.push(imageId);
      } catch (error) {
        leftBehind.push(`${imageId} (${error instanceof Error ? error.message : String(error)})`);
      }
    }),
  );
  log(`rollback of set ${snapId}: removed ${removed.length} image(s)`);
  const what = imageIds.length === 0
    ? 'no image had been created'
    : `removed the ${removed.length} image(s) this run had created${removed.length ? `: ${removed.join(', ')}` : ''}`;
  const left = leftBehind.length ? `; could NOT remove ${leftBehind.join(', ')}: delete them by hand (they are not marked ${SNAPSET_TAG})` : '';
  return new SnapsetError(`${cause.message}; ${what}${left}`, { snapId, removed, kept: leftBehind });
}
