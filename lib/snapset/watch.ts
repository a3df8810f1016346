// The image watcher's decisions, as pure functions: what one Glance answer (and, now and then, one
// Nova answer) means for a snapshot being waited for. lib/snapset/image-watcher.ts does the I/O around them.
import { DEAD_IMAGE_STATUSES, type Image } from '../openstack/glance.ts';
import { type Server, taskState } from '../openstack/nova.ts';
import { backoffSchedule, type PollSchedule } from '../poll.ts';

/** A snapshot being waited for. */
export interface WatchedImage {
  imageId: string;
  /** When createImage was sent (ms since the epoch). */
  startedAt: number;
  /** When Nova was last asked whether the snapshot still runs. */
  serverCheckedAt: number;
}

export interface WatchLimits {
  /** How long an image may take from createImage to active. */
  timeoutMs: number;
  /** Ask Nova only about snapshots older than this (a quick one never costs a Nova request)... */
  novaCheckAfterMs: number;
  /** ...and at most this often per snapshot. */
  novaCheckEveryMs: number;
}

export const DEFAULT_WATCH_LIMITS: Omit<WatchLimits, 'timeoutMs'> = { novaCheckAfterMs: 15_000, novaCheckEveryMs: 10_000 };

export type ImageVerdict =
  | { kind: 'active'; image: Image }
  | { kind: 'failed'; why: string }
  /** Still on its way; `askNova` when it is time to ask Nova whether the snapshot still runs. */
  | { kind: 'waiting'; askNova: boolean };

/**
 * What Glance's answer (the image, or undefined when the listing did not have it) says about a
 * snapshot at time `now`. Glance has no `error` status: a failed snapshot shows as a dead status or
 * as the image gone (Nova purges it), so both fail at once instead of waiting for the timeout.
 */
export function judgeImage(image: Image | undefined, watched: WatchedImage, now: number, limits: WatchLimits): ImageVerdict {
  const { imageId } = watched;
  if (!image) {
    return {
      kind: 'failed',
      why: `its image ${imageId} disappeared from Glance (Nova removes the image of a failed snapshot; see the server's fault and the nova-compute log)`,
    };
  }
  if (image.status === 'active') return { kind: 'active', image };
  if (DEAD_IMAGE_STATUSES.has(image.status)) return { kind: 'failed', why: `its image ${imageId} went ${image.status}` };
  if (now - watched.startedAt > limits.timeoutMs) {
    return {
      kind: 'failed',
      why: `its image ${imageId} was not active after ${Math.round(limits.timeoutMs / 1000)}s (last status ${image.status})`,
    };
  }
  const askNova = now - watched.startedAt > limits.novaCheckAfterMs && now - watched.serverCheckedAt > limits.novaCheckEveryMs;
  return { kind: 'waiting', askNova };
}

/**
 * Nova's side, for an image that stays queued or saving: a snapshot Nova gave up on can leave its
 * image so forever (when Glance was away, Nova could not delete it). Once the server has no task,
 * the snapshot is over: the image (read again after Nova's answer) is active or it never will be.
 */
export function judgeWithServer(server: Server | undefined, imageAgain: Image | undefined, imageId: string): ImageVerdict {
  if (server && taskState(server)) return { kind: 'waiting', askNova: false };
  if (imageAgain?.status === 'active') return { kind: 'active', image: imageAgain };
  const fault = server?.fault?.message ? ` (server fault: ${server.fault.message})` : '';
  return { kind: 'failed', why: `Nova finished the snapshot but its image ${imageId} is ${imageAgain?.status ?? 'gone'}${fault}` };
}

/**
 * The watcher's poll schedule: every 0.4 s for the first 6 s, so that a quick snapshot is noticed
 * within half a second of going active, then 1.2 times further apart per poll up to 3 s, for
 * uploads of large disks that take minutes.
 */
export function watchSchedule(options: { fastMs?: number; maxMs?: number } = {}): PollSchedule {
  return backoffSchedule({ fastMs: options.fastMs ?? 400, fastForMs: 6_000, maxMs: options.maxMs ?? 3_000, factor: 1.2 });
}

/** Whether an outage of the image service (since `since`) has lasted longer than the run tolerates. */
export function outageTooLong(since: number | undefined, now: number, graceMs: number): boolean {
  return since !== undefined && now - since > graceMs;
}
