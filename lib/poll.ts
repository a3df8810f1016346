// Waiting, once: an abortable sleep and pollUntil (probe, then wait, until done, a deadline or an
// abort). Used by the OpenStack client's waits, the SnapSet image watcher and the cluster modules,
// so that every wait in the project stops promptly when the run is interrupted.
import { setTimeout as delay } from 'node:timers/promises';
import { AbortedError, TimeoutError } from './errors.ts';

/** Why `signal` was aborted, as an error to throw (its reason when that is an Error already). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason;
  return new AbortedError(typeof reason === 'string' ? reason : 'aborted');
}

/** Sleeps `ms`; rejects at once with the abort reason when `signal` fires (or has fired). */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw abortReason(signal);
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) throw abortReason(signal);
    throw error;
  }
}

/** Delay before the next probe, from the previous delay (undefined before the first) and the time waited so far. */
export type PollSchedule = (previousMs: number | undefined, elapsedMs: number) => number;

/** A fixed interval. */
export const every =
  (ms: number): PollSchedule =>
  () =>
    ms;

/**
 * `fastMs` for the first `fastForMs`, so that a quick change is seen quickly, then each delay
 * `factor` times the previous one, up to `maxMs`, for waits of minutes (the image watcher's).
 */
export function backoffSchedule(options: { fastMs: number; fastForMs: number; maxMs: number; factor?: number }): PollSchedule {
  const factor = options.factor ?? 1.2;
  return (previousMs, elapsedMs) => {
    if (previousMs === undefined || elapsedMs <= options.fastForMs) return options.fastMs;
    return Math.min(options.maxMs, Math.max(options.fastMs, Math.round(previousMs * factor)));
  };
}

export interface PollOptions {
  /** Give up after this long; the TimeoutError says `what` and how long. */
  timeoutMs: number;
  /** Delay between probes: a number of ms or a schedule. */
  interval: number | PollSchedule;
  signal?: AbortSignal;
  /** What is waited for, for the timeout message ("server 1234 to be SHUTOFF"). */
  what: string;
  /** Adds the last state seen to the timeout message. */
  lastSeen?: () => string | undefined;
  now?: () => number;
}

/**
 * Calls `probe` until it returns a value other than undefined, and returns that. A probe that throws
 * ends the wait with its error; the deadline ends it with a TimeoutError; `signal` with its reason.
 */
export async function pollUntil<T>(probe: (attempt: number) => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const started = now();
  const schedule = typeof options.interval === 'number' ? every(options.interval) : options.interval;
  let previous: number | undefined;
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) throw abortReason(options.signal);
    const value = await probe(attempt);
    if (value !== undefined) return value;
    const elapsed = now() - started;
    if (elapsed >= options.timeoutMs) {
      const last = options.lastSeen?.();
      throw new TimeoutError(
        `timed out after ${Math.round(options.timeoutMs / 1000)}s waiting for ${options.what}${last ? ` (last seen: ${last})` : ''}`,
      );
    }
    previous = schedule(previous, elapsed);
    await sleep(Math.min(previous, Math.max(0, options.timeoutMs - elapsed)), options.signal);
  }
}
