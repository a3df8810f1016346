// createSnapset: one Glance image per SHUTOFF instance, made in parallel, tagged, and marked as a
// complete set only when every image is active and tagged. This file is the request phase and the
// orchestration; the images are waited for by image-watcher.ts, and on failure or interrupt
// rollback.ts removes the images of this run, so that no half-made set is left behind, and names
// the servers left busy.
import fastq from 'fastq';
import { messageOf } from '../errors.ts';
import type { Glance } from '../openstack/glance.ts';
import { mayHaveLanded } from '../openstack/http.ts';
import { isSnapshotRace, type Nova, taskState } from '../openstack/nova.ts';
import { abortReason } from '../poll.ts';
import { imageName, imageProperties, imageTags, newSnapId, SNAPSET_TAG, type SnapsetInstance } from './data.ts';
import { SnapsetError } from './errors.ts';
import { ImageWatcher } from './image-watcher.ts';
import { type RunState, rollback } from './rollback.ts';
import { serversByUuid } from './servers.ts';
import { tagImage } from './tag-image.ts';
import { DEFAULT_WATCH_LIMITS } from './watch.ts';

export { SnapsetError, type StuckServer } from './errors.ts';

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

/** Refuses unless every server exists and is SHUTOFF with no task running; names each offender. */
export async function checkServersStopped(clients: Pick<SnapsetClients, 'nova'>, instances: SnapsetInstance[]): Promise<void> {
  const servers = await serversByUuid(
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
      // Two snapshot requests racing inside nova-api: the loser gets a 500 rather than a 409.
      const race = isSnapshotRace(error) ? 'another task (a second snapshot?) started on the server at the same moment; Nova said: ' : '';
      throw new SnapsetError(`cannot snapshot instance ${instance.name} (uuid ${instance.uuid}): ${race}${messageOf(error)}`, {
        cause: error,
      });
    } finally {
      run.inFlight--;
    }
    run.created.push(imageId);
    if (firstError) return; // the run failed or was interrupted meanwhile: this image goes with the rollback
    log(`instance ${instance.name}: image ${name} (${imageId}) requested`);
    const active = await watcher.waitForActive(instance, imageId, startedAt);
    const secondsToActive = (Date.now() - startedAt) / 1000;
    await tagImage(
      clients.glance,
      imageId,
      active,
      instance,
      snapId,
      imageProperties(instance, snapId, instances.length, options.properties),
      log,
    );
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
