// A small fake of the one thing the steps use of ClusterClient — `request` (and `get`, `watch` on top
// of it) — answering from a table the test writes, and remembering each call. Not an API server:
// each test says what the few requests its step sends get back.
import type { ClusterClient, RequestOptions, WatchEnd } from '../../../lib/cluster/client.ts';
import { ClusterError } from '../../../lib/cluster/errors.ts';
import type { RunOptions } from '../../../lib/revive/run.ts';
import type { StepContext, StepRecord } from '../../../lib/revive/steps/step.ts';
import { RunTally } from '../../../lib/revive/tally.ts';

/** What a route answers: a body, or a ClusterError to throw (as the client throws them). */
export type Answer = object | ClusterError;
export type Route = (method: string, path: string, options: RequestOptions) => Answer | Promise<Answer>;

export interface FakeCluster {
  client: ClusterClient;
  calls: string[];
}

export const httpError = (status: number, message = `HTTP ${status}`) =>
  new ClusterError(message, { status, retryable: status === 404 || status === 429 || status >= 500 });

/**
 * `routes` maps "METHOD path" (exact, or a path prefix ending in *) to its answer; the first that
 * matches answers. An unrouted request is a 404. `watch` answers a watch (default: closes when aborted).
 */
export function fakeCluster(
  routes: Record<string, Answer | Route>,
  watch?: (
    path: string,
    handlers: { onOpen: () => void; onEvent: (type: string, object: Record<string, unknown>) => void },
    signal: AbortSignal,
  ) => Promise<WatchEnd>,
): FakeCluster {
  const calls: string[] = [];
  const answer = async (method: string, path: string, options: RequestOptions) => {
    calls.push(`${method} ${path}`);
    const key = Object.keys(routes).find(
      (k) => k === `${method} ${path}` || (k.endsWith('*') && `${method} ${path}`.startsWith(k.slice(0, -1))),
    );
    if (key === undefined) throw httpError(404, `${options.what}: not found`);
    const route = routes[key];
    const value = typeof route === 'function' ? await (route as Route)(method, path, options) : route;
    if (value instanceof ClusterError) throw value;
    return structuredClone(value);
  };
  const fake = {
    server: 'https://fake.invalid:6443',
    requestCount: 0,
    request: (method: string, path: string, options: RequestOptions) => answer(method, path, options),
    get: (path: string, what: string, signal?: AbortSignal) => answer('GET', path, { what, ...(signal ? { signal } : {}) }),
    watch: async (
      path: string,
      _params: unknown,
      handlers: { onOpen: () => void; onEvent: (type: string, object: Record<string, unknown>) => void },
      signal: AbortSignal,
    ): Promise<WatchEnd> => {
      calls.push(`WATCH ${path}`);
      if (watch) return watch(path, handlers, signal);
      handlers.onOpen();
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      return { kind: 'closed', resourceVersion: '1' };
    },
  };
  // The steps' functions take a ClusterClient; this object has the part of it they call.
  return { client: fake as unknown as ClusterClient, calls };
}

/** The context a step runs with, as the run loop builds it; options default to a plain run. */
export function stepContext(
  client: ClusterClient,
  options: Partial<RunOptions> = {},
  extra: Partial<Pick<StepContext, 'signal' | 'deadline' | 'periodMs'>> = {},
): StepContext & { lines: string[] } {
  const lines: string[] = [];
  const signal = extra.signal ?? new AbortController().signal;
  return {
    client,
    options: {
      steps: [],
      checkMode: false,
      signal,
      log: () => {},
      csrWindowMs: 3_600_000,
      forceCertRotation: false,
      rotationMarginMs: 0,
      ...options,
    },
    signal,
    log: (line) => lines.push(line),
    deadline: extra.deadline ?? Date.now() + 60_000,
    runStarted: Date.now(),
    tally: new RunTally(),
    ...(extra.periodMs !== undefined ? { periodMs: extra.periodMs } : {}),
    lines,
  };
}

export const record = (step: string): StepRecord => ({ step, outcome: 'not run' });

export const readyNode = (name: string, cordoned = false) => ({
  metadata: { name },
  ...(cordoned ? { spec: { unschedulable: true } } : {}),
  status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date().toISOString() }] },
});
