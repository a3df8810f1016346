// HTTP for the OpenStack client, over got: timeouts on every request, retries with backoff only
// where repeating a request cannot do harm, and errors that say method, path, status and what the
// cloud said — never a header, so never a token.
import { readFileSync } from 'node:fs';
import { got, type Method, RequestError } from 'got';
import { HotstackError } from '../errors.ts';
import { sleep } from '../poll.ts';
import { CloudConfigError } from './config/errors.ts';

export interface TlsOptions {
  verify: boolean;
  /** Path of a CA bundle file (clouds.yaml `cacert`). */
  cacert?: string;
  /** Client certificate and key files (clouds.yaml `cert`/`key`). */
  cert?: string;
  key?: string;
}

export interface RetryPolicy {
  /** Attempts after the first one. */
  retries: number;
  /** First delay; doubled on each retry, capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface HttpClientOptions {
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  tls?: TlsOptions;
}

export interface HttpRequest {
  method: Method;
  url: string;
  /** The service the URL belongs to, for error messages (e.g. "compute"). */
  service?: string;
  headers?: Record<string, string>;
  json?: unknown;
  body?: string | Buffer;
  /** Retry this non-idempotent request too (only for requests known to be safe to repeat). */
  idempotent?: boolean;
  /** Statuses that are answers, not errors (e.g. 404 for a lookup). Others ≥ 400 throw. */
  okStatuses?: number[];
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed JSON body, when the body is JSON. */
  body: unknown;
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const TRANSIENT_STATUSES = new Set([500, 502, 503, 504]);
const TRANSIENT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);
/** Connection errors that happen before a request is sent: the cloud cannot have acted on it. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** What a failed attempt looked like: an HTTP status, or a connection-level error code, or neither. */
export interface Failure {
  status?: number | undefined;
  code?: string | undefined;
}

/**
 * The one definition of a transient failure: the service is away or overloaded (HTTP 500, 502, 503,
 * 504) or the connection failed (refused, reset, timed out, no route, name not resolved). Asking
 * again later may succeed. The HTTP retries and every wait that tolerates an outage use it.
 */
export function isTransient(failure: Failure | unknown): boolean {
  const { status, code } = failureOf(failure);
  if (status !== undefined) return TRANSIENT_STATUSES.has(status);
  return code !== undefined && TRANSIENT_ERROR_CODES.has(code);
}

/**
 * Whether the cloud may have acted on a request that failed: no answer after the request left (reset,
 * timeout, an unknown error) or a 5xx. A 4xx answer, or a connection that was never made, says no.
 * A caller that created something must then look for it before saying nothing was made.
 */
export function mayHaveLanded(failure: Failure | unknown): boolean {
  const { status, code } = failureOf(failure);
  if (status !== undefined) return status >= 500;
  return !(code !== undefined && NEVER_SENT_CODES.has(code));
}

function failureOf(failure: Failure | unknown): Failure {
  if (failure instanceof OpenStackHttpError) return { status: failure.status, code: failure.code };
  if (failure && typeof failure === 'object' && !(failure instanceof Error)) return failure as Failure;
  return {};
}

/** An HTTP failure against the cloud: says what was asked, where, and what the cloud answered. */
export class OpenStackHttpError extends HotstackError {
  readonly method: string;
  readonly path: string;
  readonly service: string | undefined;
  /** HTTP status, or undefined when no answer came (connection error, timeout). */
  readonly status: number | undefined;
  readonly cloudMessage: string;
  readonly code: string | undefined;

  constructor(init: {
    method: string;
    url: string;
    service?: string | undefined;
    status?: number | undefined;
    cloudMessage: string;
    code?: string | undefined;
    cause?: unknown;
  }) {
    const path = pathOf(init.url);
    const where = `${init.method} ${init.service ? `${init.service} ` : ''}${path}`;
    const what = init.status !== undefined ? `HTTP ${init.status}` : (init.code ?? 'no answer');
    super(`${where} failed: ${what}${init.cloudMessage ? `: ${init.cloudMessage}` : ''}`, {
      details: { status: init.status ?? null },
      ...(init.cause !== undefined ? { cause: init.cause } : {}),
    });
    this.method = init.method;
    this.path = path;
    this.service = init.service;
    this.status = init.status;
    this.cloudMessage = init.cloudMessage;
    this.code = init.code;
  }
}

function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return url;
  }
}

/** What the cloud said, from any of the error body shapes Nova, Glance, Keystone and Heat use. */
export function cloudMessageOf(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  try {
    const found = findMessage(JSON.parse(trimmed));
    if (found) return squeeze(found);
  } catch {
    // not JSON: Glance and the WSGI layers answer with HTML or plain text
  }
  return squeeze(trimmed.replace(/<head>[\s\S]*?<\/head>/i, '').replace(/<[^>]+>/g, ' '));
}

function findMessage(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  for (const key of ['message', 'explanation', 'title', 'detail']) {
    if (typeof record[key] === 'string' && record[key]) {
      // Heat: {"explanation": "...", "error": {"message": "..."}} — the inner message is the useful one
      if (key === 'explanation') return findMessage(record.error) ?? record[key];
      return record[key];
    }
  }
  for (const inner of Object.values(record)) {
    const found = findMessage(inner);
    if (found) return found;
  }
  return undefined;
}

function squeeze(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 400 ? `${oneLine.slice(0, 397)}...` : oneLine;
}

export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
}

/** Whether a failed attempt may be repeated: idempotent requests on a transient failure. */
export function shouldRetry(request: Pick<HttpRequest, 'method' | 'idempotent'>, failure: Failure): boolean {
  const idempotent = request.idempotent ?? IDEMPOTENT_METHODS.has(request.method.toUpperCase());
  return idempotent && isTransient(failure);
}

export class HttpClient {
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  #https: Record<string, unknown>;
  /** Requests sent, retries included (the benchmark reports it). */
  requestCount = 0;
  /** The same, per service type of the catalog (`identity`, `image`, `compute`, …). */
  requestsByService: Record<string, number> = {};

  constructor(options: HttpClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.retry = { retries: 3, baseDelayMs: 500, maxDelayMs: 8_000, ...options.retry };
    this.#https = httpsOptions(options.tls ?? { verify: true });
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      let failure: Failure & { message: string };
      try {
        const response = await this.#send(request);
        if (response.status < 400 || request.okStatuses?.includes(response.status)) return response;
        failure = { status: response.status, message: cloudMessageOf(response.text) };
      } catch (error) {
        const code = error instanceof RequestError ? error.code : undefined;
        // got's error is not kept as `cause`: it holds the request options, token included.
        failure = { code, message: error instanceof Error ? error.message : String(error) };
      }
      if (attempt >= this.retry.retries || !shouldRetry(request, failure)) {
        throw new OpenStackHttpError({
          method: request.method,
          url: request.url,
          service: request.service,
          status: failure.status,
          code: failure.code,
          cloudMessage: failure.message,
        });
      }
      await sleep(retryDelayMs(this.retry, attempt));
    }
  }

  async #send(request: HttpRequest): Promise<HttpResponse> {
    this.requestCount++;
    const service = request.service ?? 'other';
    this.requestsByService[service] = (this.requestsByService[service] ?? 0) + 1;
    const response = await got(request.url, {
      method: request.method,
      headers: { Accept: 'application/json', 'User-Agent': 'hotstack-snapset', ...request.headers },
      ...(request.json !== undefined ? { json: request.json } : {}),
      ...(request.body !== undefined ? { body: request.body } : {}),
      throwHttpErrors: false,
      followRedirect: true,
      methodRewriting: false,
      retry: { limit: 0 },
      timeout: { request: this.timeoutMs },
      https: this.#https,
      responseType: 'text',
    });
    const text = response.body;
    let body: unknown;
    if (text && /json/i.test(String(response.headers['content-type'] ?? ''))) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    return { status: response.statusCode, headers: response.headers, text, body };
  }
}

function httpsOptions(tls: TlsOptions): Record<string, unknown> {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new CloudConfigError(`cannot read the ${what} file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        cause: error,
      });
    }
  };
  const https: Record<string, unknown> = { rejectUnauthorized: tls.verify };
  if (tls.verify && tls.cacert) https.certificateAuthority = read(tls.cacert, 'cacert');
  if (tls.cert) https.certificate = read(tls.cert, 'cert');
  if (tls.key) https.key = read(tls.key, 'key');
  return https;
}
