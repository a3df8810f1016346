// A thin JSON client for the Kubernetes API on @kubernetes/client-node's KubeConfig (which does the
// hard parts: TLS, client certificates, tokens, exec plugins). Requests carry a timeout and an
// AbortSignal; failures become ClusterErrors that name the verb, the object, the server and, for a
// 403, the permission the API says is missing. Watches are streamed here too, so the stability wait
// controls reconnection itself.
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext } from '@kubernetes/client-node';
import { ClusterError, transportError } from './errors.ts';
import type { LoadedKubeconfig } from './kubeconfig.ts';

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** What the call does, for messages: "list nodes", "patch node master-0". */
  what: string;
}

export interface KubeStatus {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
}

export type WatchEnd =
  | { kind: 'closed'; resourceVersion: string }
  | { kind: 'expired' }
  | { kind: 'error'; error: ClusterError; resourceVersion: string };

const http = new IsomorphicFetchHttpLibrary();
const METHODS: Record<string, HttpMethod> = {
  GET: HttpMethod.GET,
  POST: HttpMethod.POST,
  PUT: HttpMethod.PUT,
  PATCH: HttpMethod.PATCH,
  DELETE: HttpMethod.DELETE,
};

function statusMessage(status: number, text: string): { message: string; reason?: string } {
  try {
    const parsed = JSON.parse(text) as KubeStatus;
    if (parsed && typeof parsed.message === 'string')
      return { message: parsed.message, ...(parsed.reason ? { reason: parsed.reason } : {}) };
  } catch {
    // not a Status object
  }
  return { message: text.trim().slice(0, 300) || `HTTP ${status}` };
}

export class ClusterClient {
  readonly server: string;
  readonly #config: LoadedKubeconfig;
  /** Requests sent, for the result's stats. */
  requestCount = 0;

  constructor(config: LoadedKubeconfig) {
    this.#config = config;
    this.server = config.server.replace(/\/+$/, '');
  }

  /** Credentials and TLS applied once a minute, not per request: one connection pool, not one per call. */
  #auth: { at: number; headers: Record<string, string>; dispatcher: ReturnType<RequestContext['getDispatcher']> } | undefined;

  async #context(method: string, path: string, signal: AbortSignal): Promise<RequestContext> {
    const ctx = new RequestContext(this.server + path, METHODS[method] as HttpMethod);
    if (!this.#auth || Date.now() - this.#auth.at > 60_000) {
      const probe = new RequestContext(this.server, HttpMethod.GET);
      await this.#config.kc.applySecurityAuthentication(probe);
      this.#auth = { at: Date.now(), headers: probe.getHeaders(), dispatcher: probe.getDispatcher() };
    }
    for (const [key, value] of Object.entries(this.#auth.headers)) ctx.setHeaderParam(key, value);
    if (this.#auth.dispatcher) ctx.setDispatcher(this.#auth.dispatcher);
    ctx.setHeaderParam('Accept', 'application/json');
    ctx.setSignal(signal);
    return ctx;
  }

  /** One API call; returns the parsed JSON body, or throws a ClusterError. */
  async request<T = Record<string, unknown>>(method: string, path: string, options: RequestOptions): Promise<T> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let status: number;
    let text: string;
    const sentAt = Date.now();
    try {
      const ctx = await this.#context(method, path, signal);
      if (options.body !== undefined) {
        ctx.setHeaderParam('Content-Type', options.contentType ?? 'application/json');
        ctx.setBody(JSON.stringify(options.body));
      }
      this.requestCount++;
      const response = await http.send(ctx).toPromise();
      status = response.httpStatusCode;
      text = await response.body.text();
    } catch (error) {
      if (options.signal?.aborted) {
        const waited = Math.round((Date.now() - sentAt) / 1000);
        throw new ClusterError(`${options.what}: interrupted after ${waited}s without an answer from ${this.server}`, { cause: error });
      }
      if (timeout.aborted)
        throw new ClusterError(
          `${options.what}: no answer from the API server ${this.server} within ${Math.round((options.timeoutMs ?? 30_000) / 1000)}s`,
          { retryable: true },
        );
      throw transportError(error, this.server, options.what);
    }
    if (status >= 200 && status < 300) {
      try {
        return (text ? JSON.parse(text) : {}) as T;
      } catch {
        // Health endpoints answer plain text ("ok").
        return { text } as T;
      }
    }
    throw this.httpError(status, text, options.what);
  }

  httpError(status: number, text: string, what: string): ClusterError {
    const { message } = statusMessage(status, text);
    if (status === 401) {
      return new ClusterError(
        `${what}: the API server ${this.server} rejected the credentials of ${this.#config.origin} (401 Unauthorized)`,
        { status },
      );
    }
    if (status === 403) return new ClusterError(`${what}: permission denied (403): ${message}`, { status });
    return new ClusterError(`${what}: ${this.server} answered ${status}: ${message}`, {
      status,
      retryable: status === 404 || status === 429 || status >= 500,
    });
  }

  get<T = Record<string, unknown>>(path: string, what: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { what, ...(signal ? { signal } : {}) });
  }

  /**
   * Streams a watch from `resourceVersion` until the server closes it, the signal aborts, nothing
   * arrives for `idleMs`, or it fails. `onOpen` runs once the API has answered 200. A 410 Gone (the
   * version is too old) ends it as `expired`: the caller lists again.
   */
  async watch(
    path: string,
    params: { resourceVersion?: string; timeoutSeconds: number; fieldSelector?: string; labelSelector?: string },
    handlers: { onOpen: () => void; onEvent: (type: string, object: Record<string, unknown>) => void },
    signal: AbortSignal,
    what: string,
  ): Promise<WatchEnd> {
    const query = new URLSearchParams({ watch: 'true', allowWatchBookmarks: 'true', timeoutSeconds: String(params.timeoutSeconds) });
    if (params.resourceVersion) query.set('resourceVersion', params.resourceVersion);
    if (params.fieldSelector) query.set('fieldSelector', params.fieldSelector);
    if (params.labelSelector) query.set('labelSelector', params.labelSelector);
    const local = new AbortController();
    const abort = () => local.abort();
    signal.addEventListener('abort', abort, { once: true });
    let resourceVersion = params.resourceVersion ?? '';
    const idleMs = (params.timeoutSeconds + 10) * 1000;
    let idle: NodeJS.Timeout | undefined;
    let idleFired = false;
    let lines: ReturnType<typeof createInterface> | undefined;
    const kick = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        idleFired = true;
        local.abort();
      }, idleMs);
    };
    try {
      kick();
      const ctx = await this.#context('GET', `${path}?${query}`, local.signal);
      this.requestCount++;
      const response = await http.send(ctx).toPromise();
      if (response.httpStatusCode === 410) return { kind: 'expired' };
      if (response.httpStatusCode !== 200) {
        return { kind: 'error', error: this.httpError(response.httpStatusCode, await response.body.text(), what), resourceVersion };
      }
      handlers.onOpen();
      kick();
      const input = Readable.fromWeb(response.body.stream() as never);
      // Aborting the stream (our own finally, the run's signal) makes it emit an error: it is the end, not a crash.
      input.on('error', () => undefined);
      lines = createInterface({ input, crlfDelay: Infinity });
      lines.on('error', () => undefined);
      for await (const line of lines) {
        kick();
        if (!line.trim()) continue;
        let event: { type?: string; object?: Record<string, unknown> };
        try {
          event = JSON.parse(line) as typeof event;
        } catch {
          continue;
        }
        const object = event.object ?? {};
        const rv = (object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
        if (event.type === 'ERROR') {
          const status = object as KubeStatus;
          if (status.code === 410) return { kind: 'expired' };
          return {
            kind: 'error',
            error: new ClusterError(`${what}: watch error ${status.code ?? ''}: ${status.message ?? ''}`, { retryable: true }),
            resourceVersion,
          };
        }
        if (rv) resourceVersion = rv;
        if (event.type !== 'BOOKMARK') handlers.onEvent(event.type ?? '', object);
      }
      if (idleFired)
        return { kind: 'error', error: new ClusterError(`${what}: the watch went silent`, { retryable: true }), resourceVersion };
      return { kind: 'closed', resourceVersion };
    } catch (error) {
      if (signal.aborted) return { kind: 'closed', resourceVersion };
      if (idleFired)
        return { kind: 'error', error: new ClusterError(`${what}: the watch went silent`, { retryable: true }), resourceVersion };
      return { kind: 'error', error: transportError(error, this.server, what), resourceVersion };
    } finally {
      clearTimeout(idle);
      signal.removeEventListener('abort', abort);
      lines?.close();
      local.abort();
    }
  }
}
