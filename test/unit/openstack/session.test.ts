// The Keystone v3 session: the token request body for each auth type, then Session against a tiny
// local server that imitates Keystone's token endpoint and one service — enough to watch our client
// choose endpoints, renew tokens and react to 401s. Not an OpenStack test.

import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { CloudConfig } from '../../../lib/openstack/clouds.ts';
import { HttpClient, OpenStackHttpError } from '../../../lib/openstack/http.ts';
import { AuthenticationError, authRequestBody, identityV3Url, Session } from '../../../lib/openstack/session.ts';

// ------------------------------------------------------------------------------------------------
// identityV3Url

test('identityV3Url appends /v3 to a bare auth_url and keeps a /v3 one', () => {
  assert.equal(identityV3Url('https://keystone.example.com:5000'), 'https://keystone.example.com:5000/v3');
  assert.equal(identityV3Url('https://keystone.example.com:5000/'), 'https://keystone.example.com:5000/v3');
  assert.equal(identityV3Url('https://keystone.example.com:5000/v3'), 'https://keystone.example.com:5000/v3');
  assert.equal(identityV3Url('https://keystone.example.com:5000/v3//'), 'https://keystone.example.com:5000/v3');
  assert.equal(identityV3Url('https://cloud.example.com/identity'), 'https://cloud.example.com/identity/v3');
  assert.equal(identityV3Url('https://cloud.example.com/identity/v3'), 'https://cloud.example.com/identity/v3');
});

test('identityV3Url refuses a Keystone v2.0 auth_url', () => {
  assert.throws(
    () => identityV3Url('https://keystone.example.com:5000/v2.0'),
    (error: unknown) => {
      assert.ok(error instanceof AuthenticationError);
      assert.match(error.message, /v2\.0/);
      return true;
    },
  );
  assert.throws(() => identityV3Url('https://keystone.example.com:5000/v2.0/'), AuthenticationError);
});

// ------------------------------------------------------------------------------------------------
// authRequestBody

test('password: user by name and domain, scoped to a project by name and domain', () => {
  const body = authRequestBody({
    authType: 'password',
    auth: {
      username: 'admin',
      password: 'pw',
      user_domain_name: 'Users',
      project_name: 'demo',
      project_domain_id: 'proj-dom',
    },
  });
  assert.deepEqual(body, {
    auth: {
      identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Users' }, password: 'pw' } } },
      scope: { project: { name: 'demo', domain: { id: 'proj-dom' } } },
    },
  });
});

test('a user or project named without its domain is refused before any request, as Keystone refuses what keystoneauth sends', () => {
  for (const authType of ['password', 'v3password'] as const) {
    assert.throws(
      () =>
        authRequestBody({ name: 'c', authType, auth: { username: 'u', password: 'p', project_name: 'demo', user_domain_id: 'default' } }),
      (error: Error) =>
        error instanceof AuthenticationError &&
        /cloud 'c' \(auth_type \w+\) names the project "demo" without its domain: give project_domain_name or project_domain_id/.test(
          error.message,
        ),
    );
    assert.throws(
      () => authRequestBody({ name: 'c', authType, auth: { username: 'u', password: 'p', project_id: 'p-1' } }),
      /names the user "u" without its domain: give user_domain_name or user_domain_id/,
    );
  }
  assert.throws(() => authRequestBody({ authType: 'v3token', auth: { token: 't', project_name: 'demo' } }), /names the project "demo"/);
  // only the generic plugins have default_domain_*: the hint says so
  assert.throws(
    () => authRequestBody({ authType: 'password', auth: { username: 'u', password: 'p', user_domain_id: 'd', project_name: 'x' } }),
    /\(or default_domain_name\/default_domain_id\)/,
  );
  assert.throws(
    () => authRequestBody({ authType: 'v3password', auth: { username: 'u', password: 'p', user_domain_id: 'd', project_name: 'x' } }),
    (error: Error) => !error.message.includes('default_domain'),
  );
});

test('password: domain_* serves both the user and the project', () => {
  const shared = authRequestBody({
    authType: 'password',
    auth: { username: 'u', password: 'p', project_name: 'demo', domain_name: 'Corp' },
  });
  const auth = (shared as { auth: { identity: { password: { user: unknown } }; scope: unknown } }).auth;
  assert.deepEqual(auth.identity.password.user, { name: 'u', domain: { name: 'Corp' }, password: 'p' });
  assert.deepEqual(auth.scope, { project: { name: 'demo', domain: { name: 'Corp' } } });
});

test('password: a user_id needs no domain; a project_id scope needs none either', () => {
  const body = authRequestBody({
    authType: 'password',
    auth: { user_id: 'u-123', password: 'p', project_id: 'p-456', user_domain_name: 'Ignored' },
  });
  assert.deepEqual(body, {
    auth: {
      identity: { methods: ['password'], password: { user: { id: 'u-123', password: 'p' } } },
      scope: { project: { id: 'p-456' } },
    },
  });
});

test('password: a domain scope without a project, and no scope at all', () => {
  const domain = authRequestBody({
    authType: 'password',
    auth: { username: 'u', password: 'p', user_domain_id: 'default', domain_id: 'd-1' },
  });
  assert.deepEqual((domain as { auth: { scope: unknown } }).auth.scope, { domain: { id: 'd-1' } });
  const unscoped = authRequestBody({ authType: 'password', auth: { username: 'u', password: 'p', user_domain_name: 'Default' } });
  assert.ok(!('scope' in (unscoped as { auth: object }).auth));
});

test('token and v3token: the token method with the given scope', () => {
  for (const authType of ['token', 'v3token'] as const) {
    assert.deepEqual(authRequestBody({ authType, auth: { token: 'tok-abc', project_id: 'p-1' } }), {
      auth: { identity: { methods: ['token'], token: { id: 'tok-abc' } }, scope: { project: { id: 'p-1' } } },
    });
  }
});

test('application credential by id: id and secret only, and no scope even when a project is configured', () => {
  const body = authRequestBody({
    authType: 'v3applicationcredential',
    auth: { application_credential_id: 'ac-1', application_credential_secret: 'shh', project_name: 'demo', username: 'u' },
  });
  assert.deepEqual(body, {
    auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ac-1', secret: 'shh' } } },
  });
});

test('application credential by name: name, secret and the user with its domain', () => {
  const body = authRequestBody({
    authType: 'v3applicationcredential',
    auth: { application_credential_name: 'backup', application_credential_secret: 'shh', username: 'u', user_domain_name: 'Users' },
  });
  assert.deepEqual(body, {
    auth: {
      identity: {
        methods: ['application_credential'],
        application_credential: { name: 'backup', secret: 'shh', user: { name: 'u', domain: { name: 'Users' } } },
      },
    },
  });
  const byUserId = authRequestBody({
    authType: 'v3applicationcredential',
    auth: { application_credential_name: 'backup', application_credential_secret: 'shh', user_id: 'u-1' },
  });
  const credential = (byUserId as { auth: { identity: { application_credential: { user: unknown } } } }).auth.identity
    .application_credential;
  assert.deepEqual(credential.user, { id: 'u-1' });
});

// ------------------------------------------------------------------------------------------------
// Session against a fake Keystone

interface FakeCloud {
  base: string;
  /** Bodies of the token requests received. */
  authBodies: unknown[];
  /** Tokens the fake service accepts. */
  valid: Set<string>;
  /** Requests to the service: path and the token they carried. */
  calls: { path: string; token: string | undefined }[];
  /** expires_at of the next token issued, as an offset from now. */
  expiresInMs: number;
  /** Status of the next token requests (201 normally). */
  authStatus: number;
  /** Whether the token answer carries X-Subject-Token. */
  subjectHeader: boolean;
  /** Delay of each token answer, to let concurrent requests pile up. */
  authDelayMs: number;
  /** false: the service answers 401 to every token. */
  acceptTokens: boolean;
}

async function fakeCloud(t: { after: (fn: () => void | Promise<void>) => void }): Promise<FakeCloud> {
  const state: FakeCloud = {
    base: '',
    authBodies: [],
    valid: new Set(),
    calls: [],
    expiresInMs: 3_600_000,
    authStatus: 201,
    subjectHeader: true,
    authDelayMs: 0,
    acceptTokens: true,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '';
      if (req.method === 'POST' && url === '/identity/v3/auth/tokens') {
        state.authBodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        const value = `tok-${state.authBodies.length}`;
        setTimeout(() => {
          if (state.authStatus !== 201) {
            res.writeHead(state.authStatus, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ error: { code: state.authStatus, message: 'The request you have made requires authentication.' } }));
            return;
          }
          state.valid.add(value);
          res.writeHead(201, { 'Content-Type': 'application/json', ...(state.subjectHeader ? { 'X-Subject-Token': value } : {}) });
          res.end(JSON.stringify({ token: tokenBody(state.base, state.expiresInMs) }));
        }, state.authDelayMs);
        return;
      }
      const token = req.headers['x-auth-token'] as string | undefined;
      state.calls.push({ path: url, token });
      if (!state.acceptTokens || !token || !state.valid.has(token)) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 401, message: 'The request you have made requires authentication.' } }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ path: url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return state;
}

function tokenBody(base: string, expiresInMs: number): Record<string, unknown> {
  return {
    expires_at: new Date(Date.now() + expiresInMs).toISOString(),
    project: { id: 'proj-1', name: 'admin' },
    catalog: [
      { type: 'identity', name: 'keystone', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: `${base}/identity` }] },
      {
        type: 'compute',
        name: 'nova',
        endpoints: [
          { interface: 'internal', region_id: 'RegionOne', region: 'RegionOne', url: `${base}/compute-internal/RegionOne` },
          { interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: `${base}/compute/RegionOne` },
          { interface: 'public', region_id: 'RegionTwo', region: 'RegionTwo', url: `${base}/compute/RegionTwo/` },
        ],
      },
      { type: 'image', name: 'glance', endpoints: [{ interface: 'public', region: 'RegionTwo', url: `${base}/image` }] },
    ],
  };
}

function cloudOf(fake: FakeCloud, overrides: Partial<CloudConfig> = {}): CloudConfig {
  return {
    name: 'unit',
    authType: 'password',
    auth: {
      auth_url: `${fake.base}/identity`,
      username: 'admin',
      password: 'admin-password',
      project_name: 'admin',
      user_domain_name: 'Default',
      project_domain_name: 'Default',
    },
    interface: 'public',
    verify: true,
    endpointOverrides: {},
    serviceInterfaces: {},
    apiVersions: {},
    secrets: ['admin-password'],
    sourceFiles: [],
    warnings: [],
    ...overrides,
  };
}

const quickHttp = () => new HttpClient({ timeoutMs: 5_000, retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 10 } });

test('Session authenticates once with the body authRequestBody gives, and sends the subject token', async (t) => {
  const fake = await fakeCloud(t);
  const cloud = cloudOf(fake);
  const session = new Session(cloud, quickHttp());
  const first = await session.request('compute', { method: 'GET', path: '/servers' });
  const second = await session.request('compute', { method: 'GET', path: 'flavors' });
  assert.deepEqual(first.body, { path: '/compute/RegionOne/servers' });
  assert.deepEqual(second.body, { path: '/compute/RegionOne/flavors' });
  assert.equal(fake.authBodies.length, 1);
  assert.equal(session.authentications, 1);
  assert.deepEqual(fake.authBodies[0], authRequestBody(cloud));
  assert.deepEqual(
    fake.calls.map((call) => call.token),
    ['tok-1', 'tok-1'],
  );
  assert.equal(session.projectId, 'proj-1');
});

test("Session endpoints: the cloud's interface, its region, and a trailing slash dropped", async (t) => {
  const fake = await fakeCloud(t);
  assert.equal(await new Session(cloudOf(fake), quickHttp()).endpoint('compute'), `${fake.base}/compute/RegionOne`);
  assert.equal(
    await new Session(cloudOf(fake, { regionName: 'RegionTwo' }), quickHttp()).endpoint('compute'),
    `${fake.base}/compute/RegionTwo`,
  );
  assert.equal(
    await new Session(cloudOf(fake, { interface: 'internal' }), quickHttp()).endpoint('compute'),
    `${fake.base}/compute-internal/RegionOne`,
  );
  // A per-service interface wins, in its legacy "internalURL" spelling too.
  assert.equal(
    await new Session(cloudOf(fake, { serviceInterfaces: { compute: 'internalURL' } }), quickHttp()).endpoint('compute'),
    `${fake.base}/compute-internal/RegionOne`,
  );
  // The older `region` key of an endpoint counts as well as region_id.
  assert.equal(await new Session(cloudOf(fake, { regionName: 'RegionTwo' }), quickHttp()).endpoint('image'), `${fake.base}/image`);
});

test('Session endpoints: a missing service or region is an error naming what the catalog has', async (t) => {
  const fake = await fakeCloud(t);
  const session = new Session(cloudOf(fake, { regionName: 'RegionOne' }), quickHttp());
  await assert.rejects(session.endpoint('orchestration'), (error: Error) => {
    assert.match(error.message, /no public endpoint for service 'orchestration' in region RegionOne/);
    assert.match(error.message, /compute, identity, image/);
    return true;
  });
  await assert.rejects(session.endpoint('image'), /no public endpoint for service 'image' in region RegionOne/);
  await assert.rejects(new Session(cloudOf(fake, { interface: 'admin' }), quickHttp()).endpoint('compute'), /no admin endpoint/);
});

test('Session endpoints: an endpoint override wins, with the project id filled in', async (t) => {
  const fake = await fakeCloud(t);
  const session = new Session(
    cloudOf(fake, { endpointOverrides: { compute: `${fake.base}/override/%(project_id)s/`, image: `${fake.base}/img/%(tenant_id)s` } }),
    quickHttp(),
  );
  assert.equal(await session.endpoint('compute'), `${fake.base}/override/proj-1`);
  assert.equal(await session.endpoint('image'), `${fake.base}/img/proj-1`);
  const response = await session.request('compute', { method: 'GET', path: '/servers' });
  assert.deepEqual(response.body, { path: '/override/proj-1/servers' });
});

test('Session: an absolute URL is requested as it is, with the token', async (t) => {
  const fake = await fakeCloud(t);
  const session = new Session(cloudOf(fake), quickHttp());
  const response = await session.request('image', { method: 'GET', path: `${fake.base}/elsewhere/file` });
  assert.deepEqual(response.body, { path: '/elsewhere/file' });
  assert.equal(fake.calls[0]?.token, 'tok-1');
});

test('Session: a 401 from a service re-authenticates once and repeats the request with the new token', async (t) => {
  const fake = await fakeCloud(t);
  const session = new Session(cloudOf(fake), quickHttp());
  await session.request('compute', { method: 'GET', path: '/servers' });
  fake.valid.clear(); // Keystone revoked tok-1
  const response = await session.request('compute', { method: 'GET', path: '/servers/detail' });
  assert.equal(response.status, 200);
  assert.equal(fake.authBodies.length, 2);
  assert.equal(session.authentications, 2);
  assert.deepEqual(
    fake.calls.map((call) => `${call.path} ${call.token}`),
    ['/compute/RegionOne/servers tok-1', '/compute/RegionOne/servers/detail tok-1', '/compute/RegionOne/servers/detail tok-2'],
  );
});

test('Session: a second 401 after re-authenticating is an error, and no third token is asked for', async (t) => {
  const fake = await fakeCloud(t);
  const session = new Session(cloudOf(fake), quickHttp());
  await session.token();
  fake.acceptTokens = false;
  await assert.rejects(session.request('compute', { method: 'GET', path: '/servers' }), (error: unknown) => {
    assert.ok(error instanceof OpenStackHttpError);
    assert.equal(error.status, 401);
    assert.ok(!error.message.includes('tok-'), 'the token is not in the message');
    return true;
  });
  assert.equal(fake.authBodies.length, 2);
  assert.equal(fake.calls.length, 2);
});

test('Session: concurrent requests that all get a 401 share one re-authentication', async (t) => {
  const fake = await fakeCloud(t);
  const session = new Session(cloudOf(fake), quickHttp());
  await session.token();
  fake.valid.clear();
  fake.authDelayMs = 50;
  const responses = await Promise.all(
    Array.from({ length: 6 }, (_, i) => session.request('compute', { method: 'GET', path: `/servers/${i}` })),
  );
  assert.ok(responses.every((response) => response.status === 200));
  assert.equal(fake.authBodies.length, 2, 'one first authentication + one shared renewal');
  assert.equal(session.authentications, 2);
  assert.equal(fake.calls.filter((call) => call.token === 'tok-1').length, 6, 'all six were refused first');
  assert.equal(fake.calls.filter((call) => call.token === 'tok-2').length, 6, 'and all six repeated with the new token');
});

test('Session: concurrent first requests share one authentication', async (t) => {
  const fake = await fakeCloud(t);
  fake.authDelayMs = 50;
  const session = new Session(cloudOf(fake), quickHttp());
  await Promise.all(Array.from({ length: 5 }, () => session.request('compute', { method: 'GET', path: '/servers' })));
  assert.equal(fake.authBodies.length, 1);
});

test('Session: a token within 2 minutes of expires_at is renewed before it is used', async (t) => {
  const fake = await fakeCloud(t);
  fake.expiresInMs = 90_000; // less than the 2-minute margin
  const session = new Session(cloudOf(fake), quickHttp());
  assert.equal((await session.token()).value, 'tok-1');
  fake.expiresInMs = 3_600_000;
  await session.request('compute', { method: 'GET', path: '/a' });
  assert.equal(fake.authBodies.length, 2);
  assert.deepEqual(
    fake.calls.map((call) => call.token),
    ['tok-2'],
    'the dying token is never sent',
  );
  // The new token is good for an hour: no more renewals.
  await session.request('compute', { method: 'GET', path: '/b' });
  assert.equal(fake.authBodies.length, 2);
  assert.deepEqual(
    fake.calls.map((call) => call.token),
    ['tok-2', 'tok-2'],
  );
});

test('Session: a token with more than 2 minutes left is kept', async (t) => {
  const fake = await fakeCloud(t);
  fake.expiresInMs = 180_000;
  const session = new Session(cloudOf(fake), quickHttp());
  await session.request('compute', { method: 'GET', path: '/a' });
  await session.request('compute', { method: 'GET', path: '/b' });
  assert.equal(fake.authBodies.length, 1);
});

test('Session: refused credentials are an AuthenticationError that names the cloud, not the password', async (t) => {
  const fake = await fakeCloud(t);
  fake.authStatus = 401;
  const session = new Session(cloudOf(fake), quickHttp());
  await assert.rejects(session.request('compute', { method: 'GET', path: '/servers' }), (error: unknown) => {
    assert.ok(error instanceof AuthenticationError, String(error));
    assert.match(error.message, /cloud 'unit'/);
    assert.match(error.message, /401/);
    assert.ok(!error.message.includes('admin-password'));
    return true;
  });
  assert.equal(fake.authBodies.length, 1, 'a 401 on the token request is not retried');
  assert.equal(fake.calls.length, 0);
});

test('Session: a token answer without X-Subject-Token is an AuthenticationError', async (t) => {
  const fake = await fakeCloud(t);
  fake.subjectHeader = false;
  const session = new Session(cloudOf(fake), quickHttp());
  await assert.rejects(session.token(), (error: unknown) => {
    assert.ok(error instanceof AuthenticationError);
    assert.match(error.message, /gave no token/);
    return true;
  });
});

test('Session: a failed authentication does not stick; the next call tries again', async (t) => {
  const fake = await fakeCloud(t);
  fake.authStatus = 401;
  const session = new Session(cloudOf(fake), quickHttp());
  await assert.rejects(session.token(), AuthenticationError);
  fake.authStatus = 201;
  const token = await session.token();
  assert.equal(token.value, 'tok-2');
  assert.equal(fake.authBodies.length, 2);
});
