// Waits until every ClusterOperator has been stable for strictly longer than a period, like
// `oc adm wait-for-stable-cluster`, but driven by a watch: a change is seen within a second, and the
// wait ends within milliseconds of stable+period instead of at the next 10 s poll. A watch that the
// server closes is resumed from its resourceVersion (nothing missed, timer kept); a failed call
// resets the timer, as oc does for a failed list, and is retried, not fatal. 401/403 are fatal.
import type { ClusterClient } from '../cluster/client.ts';
import { ClusterError, WaitAborted } from '../cluster/errors.ts';
import { abortError, sleep } from '../cluster/time.ts';
import { formatPeriod } from './period.ts';
import { type ClusterOperatorLike, type HeldBack, StabilityTracker, type Transition } from './stability.ts';

const CLUSTEROPERATORS = '/apis/config.openshift.io/v1/clusteroperators';

export interface StableWaitResult {
  /** When the last operator became stable (ISO). */
  stableSince: string;
  heldBack: HeldBack[];
  apiErrors: number;
  watchReconnects: number;
}

export interface StableWaitOptions {
  periodMs: number;
  signal: AbortSignal;
  log: (message: string) => void;
  /** How often, while waiting, to log who is still unstable (no flooding: transitions are logged as they happen). */
  summaryEveryMs?: number;
  /** Check mode: read once and report, do not wait. */
  once?: boolean;
  /** Only ClusterOperators with these labels count (default: all, as oc). */
  selector?: string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function describe(transition: Transition): string | undefined {
  switch (transition.kind) {
    case 'unstable':
      return `clusteroperators/${transition.operator} ${transition.first ? 'is' : 'became'} ${transition.reason}`;
    case 'changed':
      return `clusteroperators/${transition.operator} is now ${transition.reason}`;
    case 'stabilized':
      return `clusteroperators/${transition.operator} stabilized after ${formatPeriod(transition.afterMs)}`;
    case 'removed':
      return `clusteroperators/${transition.operator} was deleted`;
    case 'all-stable':
      return 'all clusteroperators are stable';
    case 'reset':
      return `stable timer reset: ${transition.cause}`;
  }
}

export function summarise(unstable: { name: string; reason: string; forMs: number }[], limit = 4): string {
  const shown = unstable.slice(0, limit).map((u) => `${u.name} (${u.reason}, ${formatPeriod(u.forMs)})`);
  const more = unstable.length > limit ? ` and ${unstable.length - limit} more` : '';
  return `${unstable.length} unstable: ${shown.join(', ')}${more}`;
}

/** Is the API server still starting (/readyz not ok, or not reachable)? */
async function apiStarting(client: ClusterClient, signal: AbortSignal): Promise<boolean> {
  try {
    await client.request('GET', '/readyz', { what: 'API readiness (/readyz)', signal, timeoutMs: 5000 });
    return false;
  } catch (error) {
    return !(error instanceof ClusterError && (error.status === 401 || error.status === 403));
  }
}

export class StabilityTimeout extends ClusterError {
  readonly heldBack: HeldBack[];
  constructor(message: string, heldBack: HeldBack[]) {
    super(message);
    this.name = 'StabilityTimeout';
    this.heldBack = heldBack;
  }
}

/** What the list/watch loop counts, for the result and the messages. */
interface LoopState {
  apiErrors: number;
  reconnects: number;
  lastError: string | undefined;
}

type Finish = (outcome: { ok: true } | { ok: false; error: Error }) => void;

/**
 * Lists the ClusterOperators, then follows them with watches resumed from the last version, until
 * `stop` aborts; feeds the tracker through `emit`. A failed call resets the timer and is retried with
 * backoff; 401/403 end the wait through `finish` (after 30 s when the API is still starting).
 */
async function followOperators(
  client: ClusterClient,
  options: StableWaitOptions,
  tracker: StabilityTracker,
  emit: (transitions: Transition[]) => void,
  finish: Finish,
  stop: AbortSignal,
  state: LoopState,
): Promise<void> {
  const log = options.log;
  let resourceVersion: string | undefined;
  let backoff = 200;
  let goodReads = 0;
  let authErrorSince: number | undefined;
  while (!stop.aborted) {
    try {
      if (resourceVersion === undefined) {
        const query = options.selector ? `?labelSelector=${encodeURIComponent(options.selector)}` : '';
        const list = await client.request<{ items?: ClusterOperatorLike[]; metadata?: { resourceVersion?: string } }>(
          'GET',
          CLUSTEROPERATORS + query,
          {
            what: 'list clusteroperators (config.openshift.io/v1)',
            signal: stop,
          },
        );
        emit(tracker.list(list.items ?? [], Date.now()));
        if ((list.items ?? []).length === 0 && tracker.status(Date.now()).operators === 0)
          log('warning: the cluster has no clusteroperators at all (stable by definition, as oc says)');
        resourceVersion = list.metadata?.resourceVersion ?? '';
        state.lastError = undefined;
        goodReads++;
        authErrorSince = undefined;
        backoff = 200;
        if (options.once) return finish({ ok: true });
      }
      // Server-side timeouts of about a minute (random, to spread reconnects): a connection that died
      // silently (a proxy that lost its upstream) is noticed by the idle timer within ~80 s.
      const end = await client.watch(
        CLUSTEROPERATORS,
        {
          resourceVersion,
          timeoutSeconds: 50 + Math.floor(Math.random() * 20),
          ...(options.selector ? { labelSelector: options.selector } : {}),
        },
        {
          onOpen: () => {
            emit(tracker.resumed(Date.now()));
            backoff = 200;
            goodReads++;
            authErrorSince = undefined;
          },
          onEvent: (type, object) => emit(tracker.event(type, object as ClusterOperatorLike, Date.now())),
        },
        stop,
        'watch clusteroperators',
      );
      if (stop.aborted) return;
      if (end.kind === 'closed') {
        resourceVersion = end.resourceVersion;
        continue;
      }
      state.reconnects++;
      if (end.kind === 'expired') {
        resourceVersion = undefined;
        continue;
      }
      throw end.error;
    } catch (error) {
      if (stop.aborted) return;
      const clusterError = error instanceof ClusterError ? error : new ClusterError(String(error), { retryable: true });
      if (clusterError.status === 401 || clusterError.status === 403) {
        // A missing permission is fatal. But an API server that is still starting (its /readyz not
        // ok) denies requests until its authorizer has synced: that, or a denial after reads that
        // worked, is retried for up to 30 s.
        authErrorSince ??= Date.now();
        const starting = await apiStarting(client, stop);
        if ((!starting && goodReads === 0) || Date.now() - authErrorSince > 30_000) return finish({ ok: false, error: clusterError });
      }
      state.apiErrors++;
      state.lastError = clusterError.message;
      // oc prints "failed to list clusteroperators: <err>" and resets its timer; so do we.
      emit(tracker.error(clusterError.message, Date.now()));
      if (state.apiErrors === 1 || state.apiErrors % 10 === 0) log(`API error (retrying, not fatal): ${clusterError.message}`);
      try {
        await sleep(backoff, stop);
      } catch {
        return;
      }
      backoff = Math.min(backoff * 2, 2000);
      // Resume from the last version when we have one: the events in between are replayed.
    }
  }
}

/** The wait's end as a result, or the StabilityTimeout that says who was still unstable. */
function endOfWait(
  outcome: { ok: true } | { ok: false; error: Error },
  tracker: StabilityTracker,
  options: StableWaitOptions,
  started: number,
  state: LoopState,
): StableWaitResult {
  const now = Date.now();
  const status = tracker.status(now);
  const heldBack = tracker.heldBack(now);
  if (outcome.ok) {
    if (options.once && !status.done) {
      throw new StabilityTimeout(
        status.unstable.length > 0
          ? `not stable now: ${summarise(status.unstable)}`
          : `stable now, but not yet for ${formatPeriod(options.periodMs)}`,
        heldBack,
      );
    }
    if (!options.once)
      options.log(
        `all clusteroperators stable for more than ${formatPeriod(options.periodMs)} (since ${iso(status.stableSince ?? now)}, waited ${formatPeriod(now - started)})`,
      );
    return { stableSince: iso(status.stableSince ?? now), heldBack, apiErrors: state.apiErrors, watchReconnects: state.reconnects };
  }
  if (outcome.error instanceof WaitAborted) {
    const why =
      status.unstable.length > 0
        ? summarise(status.unstable)
        : status.stableSince !== null
          ? `stable for only ${formatPeriod(now - status.stableSince)}`
          : (state.lastError ?? 'no successful read of the clusteroperators');
    throw new StabilityTimeout(`cluster not stable for ${formatPeriod(options.periodMs)}: ${outcome.error.message} (${why})`, heldBack);
  }
  throw outcome.error;
}

export async function waitStable(client: ClusterClient, options: StableWaitOptions): Promise<StableWaitResult> {
  const tracker = new StabilityTracker(options.periodMs);
  const started = Date.now();
  const log = options.log;
  const state: LoopState = { apiErrors: 0, reconnects: 0, lastError: undefined };
  const emit = (transitions: Transition[]) => {
    for (const t of transitions) {
      const line = describe(t);
      if (line) log(line);
    }
    schedule();
  };

  // The wait ends by `finish` only: from the timer at stable+period, a fatal error, or the signal.
  let finish!: Finish;
  const finished = new Promise<{ ok: true } | { ok: false; error: Error }>((resolve) => (finish = resolve));
  const stop = new AbortController();
  let doneTimer: NodeJS.Timeout | undefined;
  function schedule(): void {
    clearTimeout(doneTimer);
    const status = tracker.status(Date.now());
    if (status.done) {
      finish({ ok: true });
      return;
    }
    if (status.doneAt !== null) doneTimer = setTimeout(schedule, Math.max(1, status.doneAt - Date.now()));
  }
  const onAbort = () => finish({ ok: false, error: abortError(options.signal) });
  if (options.signal.aborted) onAbort();
  options.signal.addEventListener('abort', onAbort, { once: true });
  const summary = setInterval(() => {
    const status = tracker.status(Date.now());
    if (status.unstable.length > 0) log(`still waiting: ${summarise(status.unstable)}`);
    else if (status.stableSince !== null)
      log(`stable for ${formatPeriod(Date.now() - status.stableSince)} of the ${formatPeriod(options.periodMs)} needed`);
    else if (state.lastError) log(`still waiting: ${state.lastError}`);
  }, options.summaryEveryMs ?? 30_000);

  const running = followOperators(client, options, tracker, emit, finish, stop.signal, state);
  const outcome = await finished;
  stop.abort();
  clearTimeout(doneTimer);
  clearInterval(summary);
  options.signal.removeEventListener('abort', onAbort);
  await running.catch(() => undefined);
  return endOfWait(outcome, tracker, options, started, state);
}
