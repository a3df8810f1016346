// createSnapset: one Glance image per SHUTOFF instance, made in parallel, tagged, and marked as a
// complete set only when every image is active and tagged. On failure or interrupt the images of
// this run are removed — those whose ids are known, those found by the run's `hotstack_snap_id`,
// and, when a request may have landed unseen, those that appear during a grace period — so that no
// half-made set is left behind, and servers left busy are named.
import fastq from 'fastq';
import { HotstackError, messageOf } from '../errors.ts';
import type { Glance, Image } from '../openstack/glance.ts';
import { isTransient, mayHaveLanded, OpenStackHttpError } from '../openstack/http.ts';
import { type Nova, type Server, taskState } from '../openstack/nova.ts';
import { abortReason, sleep } from '../poll.ts';
import { imageName, imageProperties, imageTags, newSnapId, SNAP_ID_PROPERTY, SNAPSET_TAG, type SnapsetInstance } from './data.ts';
import { DEFAULT_SETTLE_LIMITS, isSettled } from './settle.ts';
import {
  DEFAULT_WATCH_LIMITS,
  judgeImage,
  judgeWithServer,
  outageTooLong,
  type WatchedImage,
  type WatchLimits,
  watchSchedule,
} from './watch.ts';

/** The clients a SnapSet needs (a Connection has them). */
export interface SnapsetClients {
  nova: Nova;
  glance: Glance;
}

export interface CreateSnapsetOptions {
  /** Seconds each image may take from createImage to active. */
  timeoutSeconds: number;
  /** Images created at once; default all. */
  concurrency?: number | undefined;
  /** Leave the images of a failed run in place (never marked as a set). */
  keepPartial?: boolean | undefined;
  /** Extra `hotstack_*` properties put on every image (with createImage, like the set's own). */
  properties?: Record<string, string> | undefined;
  /** First poll interval; it stays this short for the first seconds, then grows. */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** How long Glance may stay unreachable while we wait before the run gives up. */
  unreachableGraceMs?: number;
  /** Stops the run: no new snapshot starts, the run's images are removed, a SnapsetError says so. */
  signal?: AbortSignal | undefined;
  /** After a failure or interrupt, how long createImage calls still in flight may take to answer. */
  inFlightWaitMs?: number;
  /**
   * After a failure, how long to keep looking for images of the run that appear late (a request
   * that landed although its answer was lost) and for the servers' tasks to end.
   */
  settleGraceMs?: number;
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
  images: {
    name: string;
    image_name: string;
    server_id: string;
    role: string;
    mac_address: string;
    tags: string[];
    properties: Record<string, string>;
  }[];
}

/** A server the run leaves busy with a task, and how to clear it. */
export interface StuckServer {
  name: string;
  uuid: string;
  task_state: string;
  how_to_clear: string;
}

/**
 * A failed run: the message names the instance; the details (result keys) say what became of the
 * images: `removed_images`, `kept_images`, and `stuck_servers` left in a task state.
 */
export class SnapsetError extends HotstackError {
  readonly snapId: string | undefined;
  readonly removed: string[];
  readonly kept: string[];
  readonly stuck: StuckServer[];
  constructor(
    message: string,
    info: { snapId?: string; removed?: string[]; kept?: string[]; stuck?: StuckServer[]; cause?: unknown } = {},
  ) {
    const removed = info.removed ?? [];
    const kept = info.kept ?? [];
    const stuck = info.stuck ?? [];
    super(message, {
      details: {
        changed: kept.length > 0,
        ...(info.snapId ? { snap_id: info.snapId } : {}),
        removed_images: removed,
        ...(kept.length ? { kept_images: kept } : {}),
        ...(stuck.length ? { stuck_servers: stuck } : {}),
      },
      ...(info.cause !== undefined ? { cause: info.cause } : {}),
    });
    this.snapId = info.snapId;
    this.removed = removed;
    this.kept = kept;
    this.stuck = stuck;
  }
}

/**
 * Servers of the set, by uuid. From a few instances on, one paginated listing of the project's
 * servers answers for all of them; ids it does not hold (another project's, unknown) are then
 * asked one by one, which is also how an unknown uuid is told apart.
 */
async function fetchServers(nova: Nova, uuids: string[]): Promise<Map<string, Server | undefined>> {
  const found = new Map<string, Server | undefined>();
  if (uuids.length >= 3) {
    const wanted = new Set(uuids);
    for (const server of await nova.listServers({ limit: '1000' })) if (wanted.has(server.id)) found.set(server.id, server);
  }
  const missing = uuids.filter((uuid) => !found.has(uuid));
  const fetched = await Promise.all(missing.map((uuid) => nova.getServer(uuid)));
  missing.forEach((uuid, index) => {
    found.set(uuid, fetched[index]);
  });
  return found;
}

/** Refuses unless every server exists and is SHUTOFF with no task running; names each offender. */
export async function checkServersStopped(clients: Pick<SnapsetClients, 'nova'>, instances: SnapsetInstance[]): Promise<void> {
  const servers = await fetchServers(
    clients.nova,
    instances.map((instance) => instance.uuid),
  );
  const problems: string[] = [];
  for (const instance of instances) {
    const server = servers.get(instance.uuid);
    if (!server) problems.push(`instance ${instance.name} (uuid ${instance.uuid}) does not exist`);
    else if (server.status !== 'SHUTOFF')
      problems.push(`instance ${instance.name} (uuid ${instance.uuid}) is ${server.status}, not SHUTOFF`);
    else if (taskState(server))
      problems.push(`instance ${instance.name} (uuid ${instance.uuid}) is SHUTOFF but busy with task ${taskState(server)}`);
  }
  if (problems.length) {
    throw new SnapsetError(`refusing to create a SnapSet, nothing was created: ${problems.join('; ')}`);
  }
}

export function planSnapset(instances: SnapsetInstance[], snapId: string, extra: Record<string, string> = {}): SnapsetPlan {
  return {
    snapId,
    images: instances.map((instance) => ({
      name: instance.name,
      image_name: imageName(instance, snapId),
      server_id: instance.uuid,
      role: instance.role,
      mac_address: instance.macAddress,
      tags: [...imageTags(instance, snapId), SNAPSET_TAG],
      properties: imageProperties(instance, snapId, instances.length, extra),
    })),
  };
}

interface Pending extends WatchedImage {
  instance: SnapsetInstance;
  settle: { resolve: (image: Image) => void; reject: (error: Error) => void };
}

interface WatchOptions extends WatchLimits {
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  unreachableGraceMs: number;
}

/**
 * Watches all pending images with one Glance listing per poll (`id=in:…`), however many there are;
 * what each answer means is decided by judgeImage/judgeWithServer (watch.ts).
 */
class ImageWatcher {
  readonly #clients: SnapsetClients;
  readonly #options: WatchOptions;
  readonly #pending = new Map<string, Pending>();
  #running = false;
  #stopped = false;
  #wake = new AbortController();

  constructor(clients: SnapsetClients, options: WatchOptions) {
    this.#clients = clients;
    this.#options = options;
  }

  waitForActive(instance: SnapsetInstance, imageId: string, startedAt: number): Promise<Image> {
    return new Promise((resolve, reject) => {
      if (this.#stopped) return reject(new Error('the run is being abandoned'));
      this.#pending.set(imageId, { instance, imageId, startedAt, serverCheckedAt: startedAt, settle: { resolve, reject } });
      if (!this.#running) void this.#loop();
    });
  }

  stop(reason: Error): void {
    this.#stopped = true;
    for (const pending of this.#pending.values()) pending.settle.reject(reason);
    this.#pending.clear();
    this.#wake.abort();
  }

  async #loop(): Promise<void> {
    this.#running = true;
    const loopStart = Date.now();
    const schedule = watchSchedule({ fastMs: this.#options.pollIntervalMs, maxMs: this.#options.maxPollIntervalMs });
    let unreachableSince: number | undefined;
    let interval: number | undefined;
    try {
      while (this.#pending.size > 0 && !this.#stopped) {
        interval = schedule(interval, Date.now() - loopStart);
        await sleep(interval, this.#wake.signal).catch(() => {});
        if (this.#stopped || this.#pending.size === 0) break;
        // Only the images asked about are judged: one added while the request ran is not missing.
        const asked = [...this.#pending.values()];
        let images: Image[];
        try {
          images = await this.#clients.glance.listImages({ ids: asked.map((pending) => pending.imageId) });
          unreachableSince = undefined;
        } catch (error) {
          if (!isTransient(error)) throw error;
          unreachableSince ??= Date.now();
          if (outageTooLong(unreachableSince, Date.now(), this.#options.unreachableGraceMs)) throw error;
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
    const now = Date.now();
    let verdict = judgeImage(image, pending, now, this.#options);
    if (verdict.kind === 'waiting' && verdict.askNova) {
      pending.serverCheckedAt = now;
      const server = await this.#clients.nova.getServer(pending.instance.uuid);
      const again = server && taskState(server) ? image : await this.#clients.glance.getImage(pending.imageId);
      verdict = judgeWithServer(server, again, pending.imageId);
    }
    if (verdict.kind === 'waiting') return;
    this.#pending.delete(pending.imageId);
    if (verdict.kind === 'active') pending.settle.resolve(verdict.image);
    else
      pending.settle.reject(
        new SnapsetError(`snapshot of instance ${pending.instance.name} (uuid ${pending.instance.uuid}) failed: ${verdict.why}`),
      );
  }
}

/** Validated instances in, a complete tagged SnapSet out — or an error and no partial set. */
export async function createSnapset(
  clients: SnapsetClients,
  instances: SnapsetInstance[],
  options: CreateSnapsetOptions,
): Promise<SnapsetOutcome> {
  const log = options.log ?? (() => {});
  const signal = options.signal ?? new AbortController().signal;
  if (signal.aborted) throw new SnapsetError(`${abortReason(signal).message}; nothing was created`);
  await checkServersStopped(clients, instances);
  const snapId = options.snapId ?? newSnapId();
  log(`all ${instances.length} server(s) SHUTOFF; creating set ${snapId}`);

  const watcher = new ImageWatcher(clients, {
    timeoutMs: options.timeoutSeconds * 1000,
    ...DEFAULT_WATCH_LIMITS,
    pollIntervalMs: options.pollIntervalMs ?? 400,
    maxPollIntervalMs: options.maxPollIntervalMs ?? 3_000,
    unreachableGraceMs: options.unreachableGraceMs ?? 120_000,
  });
  const run: RunState = { snapId, created: [], inFlight: 0, doubtSince: undefined, touched: new Set() };
  const done: SnapsetImage[] = [];
  let firstError: Error | undefined;
  const fail = (error: Error) => {
    if (firstError) return;
    firstError = error;
    watcher.stop(error);
  };
  const onAbort = () => fail(abortReason(signal));
  signal.addEventListener('abort', onAbort, { once: true });

  const snapshotOne = async (instance: SnapsetInstance): Promise<void> => {
    const name = imageName(instance, snapId);
    const startedAt = Date.now();
    let imageId: string;
    run.inFlight++;
    try {
      run.touched.add(instance.uuid);
      imageId = await clients.nova.createImage(
        instance.uuid,
        name,
        imageProperties(instance, snapId, instances.length, options.properties),
      );
    } catch (error) {
      // A request that got no clear answer may still have made an image: the rollback looks for it.
      if (mayHaveLanded(error)) run.doubtSince = Date.now();
      else run.touched.delete(instance.uuid); // refused (4xx): any task on the server is someone else's
      throw new SnapsetError(`cannot snapshot instance ${instance.name} (uuid ${instance.uuid}): ${describeCreateImageError(error)}`, {
        cause: error,
      });
    } finally {
      run.inFlight--;
    }
    run.created.push(imageId);
    if (firstError) return; // the run failed or was interrupted meanwhile: this image goes with the rollback
    log(`instance ${instance.name}: image ${name} (${imageId}) requested`);
    await watcher.waitForActive(instance, imageId, startedAt);
    const secondsToActive = (Date.now() - startedAt) / 1000;
    await clients.glance.replaceTags(imageId, imageTags(instance, snapId));
    log(`instance ${instance.name}: image ${imageId} active after ${secondsToActive.toFixed(1)}s and tagged`);
    done.push({
      name: instance.name,
      image_id: imageId,
      image_name: name,
      role: instance.role,
      mac_address: instance.macAddress,
      seconds_to_active: secondsToActive,
    });
  };

  // The first failure is recorded inside the worker, before the queue hands out the next task, so
  // that no snapshot starts after it (nor after an interrupt).
  const worker = async (instance: SnapsetInstance): Promise<void> => {
    if (firstError) return;
    try {
      await snapshotOne(instance);
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)));
    }
  };
  const queue = fastq.promise(worker, Math.max(1, options.concurrency ?? instances.length));
  const allSettled = Promise.all(instances.map((instance) => queue.push(instance)));
  // An interrupt does not wait for createImage calls in flight: the rollback starts at once.
  await Promise.race([
    allSettled,
    new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }))),
  ]);

  // From here the set is made: an interrupt during its (short) marking lets the marking finish.
  signal.removeEventListener('abort', onAbort);
  if (!firstError && signal.aborted) fail(abortReason(signal));
  if (!firstError) {
    log(`every image active and tagged; marking the set ${SNAPSET_TAG}`);
    try {
      // The set is complete: only now does it become visible as one (`--tag hotstack-snapset`).
      await Promise.all(done.map((image) => clients.glance.addTag(image.image_id, SNAPSET_TAG)));
    } catch (error) {
      fail(new SnapsetError(`marking the set ${snapId} complete failed: ${messageOf(error)}`, { cause: error }));
    }
  }
  if (firstError) {
    queue.kill();
    throw await rollback(clients, instances, run, allSettled, firstError, options, log);
  }

  const byName = new Map(done.map((image) => [image.name, image]));
  const ordered = instances.map((instance) => byName.get(instance.name) as SnapsetImage);
  const snapset: Record<string, unknown> = { snap_id: snapId };
  for (const image of ordered) snapset[image.name] = { image_id: image.image_id, role: image.role, mac_address: image.mac_address };
  return { snapId, snapset, images: ordered };
}

function describeCreateImageError(error: unknown): string {
  const message = messageOf(error);
  // Two snapshot requests racing inside nova-api: the loser gets a 500 rather than a 409.
  if (error instanceof OpenStackHttpError && error.status === 500 && /UnexpectedTaskStateError/.test(error.cloudMessage)) {
    return `another task (a second snapshot?) started on the server at the same moment; Nova said: ${message}`;
  }
  return message;
}

/** What the rollback needs to know of a run. */
interface RunState {
  snapId: string;
  /** Image ids createImage returned. */
  created: string[];
  /** createImage calls sent and not answered yet. */
  inFlight: number;
  /** When a createImage last failed in a way that may have made an image anyway. */
  doubtSince: number | undefined;
  /** Servers this run may have started a snapshot on. */
  touched: Set<string>;
}

/**
 * The images of a run: those whose ids we know, plus any Nova created without telling us (a
 * createImage that failed after Glance had the record, a lost answer), found by property.
 */
async function imagesOfRun(glance: Glance, known: string[], snapId: string): Promise<string[]> {
  const ids = new Set(known);
  try {
    for (const image of await glance.listImages({ properties: { [SNAP_ID_PROPERTY]: snapId } })) ids.add(image.id);
  } catch {
    // Best effort: the known ids are still removed.
  }
  return [...ids];
}

/**
 * How a server left busy by a snapshot is put back. The task normally ends by itself once Nova
 * finds the image deleted (a large disk may take minutes to copy first); a task that stays, because
 * nova-api or nova-compute died mid-way, is cleared by an admin with Nova's reset-state.
 */
function howToClear(uuid: string): string {
  return (
    `wait: the task ends by itself once Nova finds the image deleted; if it stays (nova-api or nova-compute died mid-task), reset it as an admin: ` +
    `openstack server set --state active ${uuid} && openstack server stop ${uuid} (nova reset-state --active ${uuid} does the same reset)`
  );
}

/**
 * Removes the images of a failed run (or, with keepPartial, says they stay) and builds the error.
 * Order matters when the process may be killed soon after an interrupt: known images go first, then
 * createImage calls in flight get a bounded wait, then late images are looked for while a request
 * may have landed or a server is still busy, and servers still busy at the end are named.
 */
async function rollback(
  clients: SnapsetClients,
  instances: SnapsetInstance[],
  run: RunState,
  allSettled: Promise<unknown>,
  cause: Error,
  options: CreateSnapsetOptions,
  log: (m: string) => void,
): Promise<SnapsetError> {
  const { snapId } = run;
  const keepPartial = options.keepPartial ?? false;
  const removed: string[] = [];
  const failedToRemove = new Map<string, string>();
  const sweep = async () => {
    const ids = await imagesOfRun(clients.glance, run.created, snapId);
    if (keepPartial) return ids;
    await Promise.all(
      ids
        .filter((id) => !removed.includes(id))
        .map(async (id) => {
          try {
            await clients.glance.deleteImage(id);
            removed.push(id);
            failedToRemove.delete(id);
          } catch (error) {
            failedToRemove.set(id, messageOf(error));
          }
        }),
    );
    return ids;
  };

  let ids = await sweep();
  log(
    `rollback of set ${snapId} (${cause.message}): ${keepPartial ? `keeping ${ids.length}` : `removed ${removed.length}`} image(s) at once`,
  );
  if (run.inFlight > 0) {
    log(`waiting up to ${(options.inFlightWaitMs ?? 20_000) / 1000}s for ${run.inFlight} createImage call(s) in flight`);
    const stillOpen = await Promise.race([allSettled.then(() => false), sleep(options.inFlightWaitMs ?? 20_000).then(() => true)]);
    if (stillOpen) run.doubtSince = Date.now();
    ids = await sweep();
  }

  // Settle: keep looking while a request may have landed unseen or a server of the run is busy.
  const limits = { ...DEFAULT_SETTLE_LIMITS, ...(options.settleGraceMs !== undefined ? { graceMs: options.settleGraceMs } : {}) };
  const graceMs = limits.graceMs;
  const started = Date.now();
  // With keep_partial the snapshots go on by design: their servers are not waited for.
  const touched = keepPartial ? [] : instances.filter((instance) => run.touched.has(instance.uuid));
  let busy: { instance: SnapsetInstance; server: Server }[] = [];
  let serversUnknown = false;
  for (;;) {
    const servers =
      touched.length === 0
        ? new Map<string, Server | undefined>()
        : await fetchServers(
            clients.nova,
            touched.map((instance) => instance.uuid),
          ).catch(() => undefined);
    serversUnknown = servers === undefined;
    busy =
      servers === undefined
        ? []
        : touched.flatMap((instance) => {
            const server = servers.get(instance.uuid);
            return server && taskState(server) ? [{ instance, server }] : [];
          });
    const now = Date.now();
    const state = {
      elapsedMs: now - started,
      sinceDoubtMs: run.doubtSince === undefined ? undefined : now - run.doubtSince,
      busyServers: servers === undefined ? undefined : busy.length,
    };
    if (isSettled(state, limits)) break;
    await sleep(1_000);
    ids = await sweep();
  }
  ids = await sweep();

  const stuck: StuckServer[] = busy.map(({ instance, server }) => ({
    name: instance.name,
    uuid: instance.uuid,
    task_state: taskState(server) ?? '',
    how_to_clear: howToClear(instance.uuid),
  }));
  let stuckText = stuck.length
    ? `; server(s) still busy after ${Math.round(graceMs / 1000)}s: ${stuck.map((s) => `${s.name} (uuid ${s.uuid}) in task ${s.task_state}`).join(', ')}` +
      ` — a new SnapSet of them is refused until that ends; ${stuck.length === 1 ? howToClear(stuck[0]!.uuid) : 'see stuck_servers for how to clear each'}`
    : '';
  if (serversUnknown) {
    stuckText += `; Nova could not be asked whether the servers are still busy: see the task_state of ${touched.map((instance) => instance.name).join(', ')} (openstack server show)`;
  }

  if (keepPartial) {
    return new SnapsetError(
      `${cause.message}; keep_partial is set: the ${ids.length} image(s) of set ${snapId} stay, never marked ${SNAPSET_TAG}${stuckText}`,
      { snapId, kept: ids, stuck, cause },
    );
  }
  log(`rollback of set ${snapId}: removed ${removed.length} image(s)`);
  const lookedLate = run.doubtSince !== undefined ? `, late ones included (looked for ${Math.round((Date.now() - started) / 1000)}s)` : '';
  const what =
    removed.length === 0 && failedToRemove.size === 0
      ? `no image of this run was found${lookedLate}`
      : `removed the ${removed.length} image(s) this run had created${removed.length ? `: ${removed.join(', ')}` : ''}${lookedLate}`;
  const leftBehind = [...failedToRemove].map(([id, why]) => `${id} (${why})`);
  const left = leftBehind.length
    ? `; could NOT remove ${leftBehind.join(', ')}: delete them by hand (they carry ${SNAP_ID_PROPERTY}=${snapId} and are not marked ${SNAPSET_TAG})`
    : '';
  return new SnapsetError(`${cause.message}; ${what}${left}${stuckText}`, {
    snapId,
    removed,
    kept: [...failedToRemove.keys()],
    stuck,
    cause,
  });
}
