// The HTTP layer: what a cloud error says, when a request is repeated, and HttpClient against a
// real local HTTP server (127.0.0.1, a free port) that counts what it receives.

import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { inspect } from 'node:util';
import {
  cloudMessageOf,
  HttpClient,
  isTransient,
  mayHaveLanded,
  OpenStackHttpError,
  retryDelayMs,
  shouldRetry,
} from '../../../lib/openstack/http.ts';

// ------------------------------------------------------------------------------------------------
// cloudMessageOf

test('cloudMessageOf: Nova wraps the message in a fault-named object', () => {
  const body = JSON.stringify({ itemNotFound: { message: 'Instance 42 could not be found.', code: 404 } });
  assert.equal(cloudMessageOf(body), 'Instance 42 could not be found.');
  const conflict = JSON.stringify({
    conflictingRequest: { code: 409, message: "Cannot 'createImage' instance while it is in task_state image_snapshot" },
  });
  assert.equal(cloudMessageOf(conflict), "Cannot 'createImage' instance while it is in task_state image_snapshot");
});

test('cloudMessageOf: Keystone puts message, code and title under error', () => {
  const body = JSON.stringify({
    error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
  });
  assert.equal(cloudMessageOf(body), 'The request you have made requires authentication.');
});

test('cloudMessageOf: Heat prefers error.message over the generic explanation', () => {
  const body = JSON.stringify({
    explanation: 'The resource could not be found.',
    code: 404,
    error: { message: 'The Stack (missing) could not be found.', traceback: null, type: 'EntityNotFound' },
    title: 'Not Found',
  });
  assert.equal(cloudMessageOf(body), 'The Stack (missing) could not be found.');
  // Without an inner message the explanation is what there is.
  assert.equal(cloudMessageOf(JSON.stringify({ explanation: 'Only the explanation.', code: 400, error: {} })), 'Only the explanation.');
});

test('cloudMessageOf: Glance HTML pages become their text on one line, without the head', () => {
  const html =
    '<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  No image found with ID abc<br /><br />\n\n\n </body>\n</html>';
  assert.equal(cloudMessageOf(html), '404 Not Found No image found with ID abc');
});

test('cloudMessageOf: plain text is squeezed to one line, long text cut, empty body empty', () => {
  assert.equal(cloudMessageOf('  Service\n  Unavailable \n'), 'Service Unavailable');
  assert.equal(cloudMessageOf(''), '');
  assert.equal(cloudMessageOf('   \n '), '');
  const long = cloudMessageOf('x'.repeat(1000));
  assert.equal(long.length, 400);
  assert.ok(long.endsWith('...'));
  // JSON without any message: its text is what is shown.
  assert.equal(cloudMessageOf('{"code": 500}'), '{"code": 500}');
});

// ------------------------------------------------------------------------------------------------
// Retry policy

test('shouldRetry: GET, PUT, DELETE, HEAD are retried on 500, 502, 503, 504', () => {
  for (const method of ['GET', 'PUT', 'DELETE', 'HEAD', 'get'] as const) {
    for (const status of [500, 502, 503, 504]) assert.equal(shouldRetry({ method }, { status }), true, `${method} ${status}`);
    for (const status of [400, 401, 403, 404, 409, 413, 501])
      assert.equal(shouldRetry({ method }, { status }), false, `${method} ${status}`);
  }
});

test('shouldRetry: idempotent requests are retried on connection errors, not on other errors', () => {
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT']) assert.equal(shouldRetry({ method: 'GET' }, { code }), true, code);
  assert.equal(shouldRetry({ method: 'GET' }, { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), false);
  assert.equal(shouldRetry({ method: 'GET' }, {}), false);
});

test('shouldRetry: POST and PATCH are never retried unless marked idempotent', () => {
  for (const method of ['POST', 'PATCH'] as const) {
    for (const failure of [{ status: 500 }, { status: 503 }, { code: 'ECONNRESET' }, { code: 'ECONNREFUSED' }]) {
      assert.equal(shouldRetry({ method }, failure), false, `${method} ${JSON.stringify(failure)}`);
      assert.equal(shouldRetry({ method, idempotent: true }, failure), true, `${method} idempotent ${JSON.stringify(failure)}`);
    }
    assert.equal(shouldRetry({ method, idempotent: true }, { status: 400 }), false);
  }
  // idempotent: false switches retries off for a GET too.
  assert.equal(shouldRetry({ method: 'GET', idempotent: false }, { status: 503 }), false);
});

test('retryDelayMs doubles from the base delay and is capped', () => {
  const policy = { retries: 10, baseDelayMs: 500, maxDelayMs: 8_000 };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 9].map((attempt) => retryDelayMs(policy, attempt)),
    [500, 1000, 2000, 4000, 8000, 8000, 8000],
  );
});

// ------------------------------------------------------------------------------------------------
// HttpClient against a local server

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Server {
  base: string;
  seen: Seen[];
}

type Handler = (request: Seen, response: http.ServerResponse, index: number) => void;

async function serve(t: { after: (fn: () => void | Promise<void>) => void }, handler: Handler): Promise<Server> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(request);
      handler(request, res, seen.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function reply(res: http.ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  res.writeHead(status, { 'Content-Type': contentType });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

const TOKEN = 'gAAAAAB-super-secret-token-value';
const fastRetry = { retries: 3, baseDelayMs: 5, maxDelayMs: 20 };

async function rejection(promise: Promise<unknown>): Promise<OpenStackHttpError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof OpenStackHttpError, `expected OpenStackHttpError, got ${inspect(error)}`);
    return error;
  }
  assert.fail('expected the request to fail');
}

function assertNoToken(error: Error): void {
  for (const text of [error.message, String(error), inspect(error), JSON.stringify(error)]) {
    assert.ok(!text.includes(TOKEN), `the token leaked: ${text}`);
  }
}

test('HttpClient: a 2xx answer is returned with status, headers, text and parsed JSON; headers are sent', async (t) => {
  const server = await serve(t, (_req, res) => reply(res, 200, { servers: [{ id: 'a' }] }));
  const client = new HttpClient({ retry: fastRetry });
  const response = await client.request({ method: 'GET', url: `${server.base}/v2.1/servers`, headers: { 'X-Auth-Token': TOKEN } });
  assert.equal(response.status, 200);
  assert.deepEqual(response.body, { servers: [{ id: 'a' }] });
  assert.equal(response.text, '{"servers":[{"id":"a"}]}');
  assert.match(String(response.headers['content-type']), /application\/json/);
  assert.equal(server.seen.length, 1);
  assert.equal(server.seen[0]?.headers['x-auth-token'], TOKEN);
  assert.equal(server.seen[0]?.headers.accept, 'application/json');
  assert.equal(client.requestCount, 1);
});

test('HttpClient: a JSON request body is sent as JSON; a non-JSON answer has no parsed body', async (t) => {
  const server = await serve(t, (_req, res) => reply(res, 202, 'accepted', 'text/plain'));
  const client = new HttpClient({ retry: fastRetry });
  const response = await client.request({ method: 'POST', url: `${server.base}/action`, json: { createImage: { name: 'x' } } });
  assert.equal(response.status, 202);
  assert.equal(response.text, 'accepted');
  assert.equal(response.body, undefined);
  assert.deepEqual(JSON.parse(server.seen[0]?.body ?? ''), { createImage: { name: 'x' } });
  assert.match(String(server.seen[0]?.headers['content-type']), /application\/json/);
});

test('HttpClient: a GET answered 503 is retried until it succeeds, every attempt counted', async (t) => {
  const server = await serve(t, (_req, res, index) =>
    index < 2 ? reply(res, 503, { error: { message: 'busy' } }) : reply(res, 200, { ok: true }),
  );
  const client = new HttpClient({ retry: fastRetry });
  const response = await client.request({ method: 'GET', url: `${server.base}/ping` });
  assert.equal(response.status, 200);
  assert.deepEqual(response.body, { ok: true });
  assert.equal(server.seen.length, 3);
  assert.equal(client.requestCount, 3);
});

test('HttpClient: PUT and DELETE are retried on 502/504; after `retries` the last error is thrown', async (t) => {
  const server = await serve(t, (req, res) => reply(res, req.method === 'PUT' ? 502 : 504, 'gateway trouble', 'text/plain'));
  const client = new HttpClient({ retry: { ...fastRetry, retries: 2 } });
  const put = await rejection(client.request({ method: 'PUT', url: `${server.base}/v2/images/1/tags/x`, service: 'image' }));
  assert.equal(put.status, 502);
  assert.equal(server.seen.length, 3, '1 attempt + 2 retries');
  const del = await rejection(client.request({ method: 'DELETE', url: `${server.base}/v2/images/1` }));
  assert.equal(del.status, 504);
  assert.equal(server.seen.length, 6);
  assert.equal(client.requestCount, 6);
});

test('HttpClient: a POST answered 503 is sent exactly once', async (t) => {
  const server = await serve(t, (_req, res) => reply(res, 503, { error: { message: 'Service Unavailable' } }));
  const client = new HttpClient({ retry: fastRetry });
  const error = await rejection(client.request({ method: 'POST', url: `${server.base}/servers/1/action`, json: { createImage: {} } }));
  assert.equal(error.status, 503);
  assert.equal(server.seen.length, 1);
  assert.equal(client.requestCount, 1);
});

test('HttpClient: a POST marked idempotent is retried on 503', async (t) => {
  const server = await serve(t, (_req, res, index) => (index === 0 ? reply(res, 503, {}) : reply(res, 201, { token: {} })));
  const client = new HttpClient({ retry: fastRetry });
  const response = await client.request({ method: 'POST', url: `${server.base}/v3/auth/tokens`, json: {}, idempotent: true });
  assert.equal(response.status, 201);
  assert.equal(server.seen.length, 2);
});

test('HttpClient: a 4xx is never retried, and okStatuses are answers instead of errors', async (t) => {
  const server = await serve(t, (_req, res) => reply(res, 404, { itemNotFound: { message: 'Image not found.', code: 404 } }));
  const client = new HttpClient({ retry: fastRetry });
  const error = await rejection(client.request({ method: 'GET', url: `${server.base}/v2/images/abc` }));
  assert.equal(error.status, 404);
  assert.equal(server.seen.length, 1);
  const answer = await client.request({ method: 'GET', url: `${server.base}/v2/images/abc`, okStatuses: [404] });
  assert.equal(answer.status, 404);
  assert.deepEqual(answer.body, { itemNotFound: { message: 'Image not found.', code: 404 } });
  assert.equal(server.seen.length, 2);
});

test("HttpClient: the error says method, service, path, status and the cloud's message, never the token", async (t) => {
  const server = await serve(t, (_req, res) =>
    reply(res, 409, { conflictingRequest: { code: 409, message: 'Instance is in task_state image_uploading' } }),
  );
  const client = new HttpClient({ retry: fastRetry });
  const error = await rejection(
    client.request({
      method: 'POST',
      url: `${server.base}/v2.1/servers/abc/action?x=1`,
      service: 'compute',
      headers: { 'X-Auth-Token': TOKEN },
    }),
  );
  assert.equal(error.message, 'POST compute /v2.1/servers/abc/action?x=1 failed: HTTP 409: Instance is in task_state image_uploading');
  assert.equal(error.method, 'POST');
  assert.equal(error.path, '/v2.1/servers/abc/action?x=1');
  assert.equal(error.service, 'compute');
  assert.equal(error.status, 409);
  assert.equal(error.cloudMessage, 'Instance is in task_state image_uploading');
  assert.equal(server.seen[0]?.headers['x-auth-token'], TOKEN, 'the token was really sent');
  assertNoToken(error);
});

test('HttpClient: the error after retries of a 500 also carries no header', async (t) => {
  const server = await serve(t, (_req, res) =>
    reply(res, 500, '<html><head><title>500</title></head><body>Internal Server Error</body></html>', 'text/html'),
  );
  const client = new HttpClient({ retry: { ...fastRetry, retries: 1 } });
  const error = await rejection(client.request({ method: 'GET', url: `${server.base}/v1/stacks`, headers: { 'X-Auth-Token': TOKEN } }));
  assert.equal(server.seen.length, 2);
  assert.equal(error.message, 'GET /v1/stacks failed: HTTP 500: Internal Server Error');
  assertNoToken(error);
});

test('HttpClient: a request that gets no answer in time fails with a code, and a GET is retried', async (t) => {
  const server = await serve(t, () => {
    // never answers
  });
  const client = new HttpClient({ timeoutMs: 100, retry: { ...fastRetry, retries: 1 } });
  const started = Date.now();
  const error = await rejection(client.request({ method: 'GET', url: `${server.base}/slow`, headers: { 'X-Auth-Token': TOKEN } }));
  assert.equal(error.status, undefined);
  assert.equal(error.code, 'ETIMEDOUT');
  assert.match(error.message, /^GET \/slow failed: ETIMEDOUT/);
  assert.equal(server.seen.length, 2, 'a timed-out GET is repeated once');
  assert.ok(Date.now() - started < 5_000);
  assertNoToken(error);
  const post = await rejection(client.request({ method: 'POST', url: `${server.base}/slow`, json: {} }));
  assert.equal(post.code, 'ETIMEDOUT');
  assert.equal(server.seen.length, 3, 'a timed-out POST is not repeated');
});

test('HttpClient: a refused connection is retried for a GET and not for a POST', async () => {
  // A port that was free a moment ago: nothing listens on it.
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const client = new HttpClient({ retry: { ...fastRetry, retries: 2 } });
  const get = await rejection(client.request({ method: 'GET', url: `http://127.0.0.1:${port}/x` }));
  assert.equal(get.code, 'ECONNREFUSED');
  assert.equal(get.status, undefined);
  assert.equal(client.requestCount, 3);
  const post = await rejection(client.request({ method: 'POST', url: `http://127.0.0.1:${port}/x`, json: {} }));
  assert.equal(post.code, 'ECONNREFUSED');
  assert.equal(client.requestCount, 4);
});

test('HttpClient: a connection reset is retried for a GET', async (t) => {
  const server = await serve(t, (_req, res, index) => {
    if (index === 0) res.socket?.destroy();
    else reply(res, 200, { ok: 1 });
  });
  const client = new HttpClient({ retry: fastRetry });
  const response = await client.request({ method: 'GET', url: `${server.base}/flaky` });
  assert.equal(response.status, 200);
  assert.equal(server.seen.length, 2);
});

test('isTransient: 500/502/503/504 and connection errors, nothing else', () => {
  for (const status of [500, 502, 503, 504]) assert.equal(isTransient({ status }), true, String(status));
  for (const status of [400, 401, 403, 404, 409, 413, 501]) assert.equal(isTransient({ status }), false, String(status));
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']) assert.equal(isTransient({ code }), true, code);
  assert.equal(isTransient({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), false, 'a TLS error does not go away');
  assert.equal(isTransient(new OpenStackHttpError({ method: 'GET', url: 'http://x/images', status: 503, cloudMessage: '' })), true);
  assert.equal(isTransient(new Error('anything')), false);
});

test('mayHaveLanded: a request whose answer was lost, or a 5xx, may have been acted on; a 4xx or a refused connection was not', () => {
  const error = (init: { status?: number; code?: string }) =>
    new OpenStackHttpError({ method: 'POST', url: 'http://x/servers/s/action', cloudMessage: '', ...init });
  assert.equal(mayHaveLanded(error({ code: 'ECONNRESET' })), true);
  assert.equal(mayHaveLanded(error({ code: 'ETIMEDOUT' })), true);
  assert.equal(mayHaveLanded(error({ status: 500 })), true);
  assert.equal(mayHaveLanded(error({ status: 503 })), true);
  assert.equal(mayHaveLanded(error({ status: 409 })), false);
  assert.equal(mayHaveLanded(error({ status: 404 })), false);
  assert.equal(mayHaveLanded(error({ code: 'ECONNREFUSED' })), false);
  assert.equal(mayHaveLanded(new Error('unknown')), true, 'an unknown failure is not proof of nothing');
});
