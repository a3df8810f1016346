// A failed API request or wait names its cause — connection refused, a TLS error, no answer — never
// undici's bare "fetch failed". Real sockets on loopback only: a closed port, a plain-HTTP server
// asked for TLS, a TLS server whose certificate names another host or comes from an unknown CA, a
// server that accepts and never answers.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { createCertificate, type KeyPair } from '../../../labs/clusterlab/x509.ts';
import { ClusterClient } from '../../../lib/cluster/client.ts';
import { ClusterError, transportError } from '../../../lib/cluster/errors.ts';
import { loadKubeconfig } from '../../../lib/cluster/kubeconfig.ts';
import { waitApi } from '../../../lib/revive/api-waits.ts';

const servers: Server[] = [];
const sockets = new Set<Socket>();
const listen = async (server: Server): Promise<string> => {
  servers.push(server);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
let ca: KeyPair;
let closedUrl: string;
let plainUrl: string;
let otherNameUrl: string;
let silentUrl: string;

before(async () => {
  const probe = createNetServer();
  closedUrl = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  servers.splice(servers.indexOf(probe), 1);
  plainUrl = await listen(createServer((_req, res) => res.end('ok')));
  const now = Date.now();
  ca = await createCertificate({
    subject: { cn: 'transport-test-ca' },
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 3_600_000),
    kind: 'ca',
  });
  const cert = await createCertificate({
    subject: { cn: 'elsewhere' },
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 3_600_000),
    kind: 'server',
    sans: { dnsNames: ['elsewhere.invalid'] },
    issuer: ca,
  });
  otherNameUrl = await listen(createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => res.end('ok')));
  silentUrl = await listen(createNetServer(() => {}));
});
after(() => {
  for (const server of servers) server.close();
  for (const socket of sockets) socket.destroy();
});

function client(server: string, caPem?: string): ClusterClient {
  const cluster = { server, ...(caPem ? { 'certificate-authority-data': Buffer.from(caPem).toString('base64') } : {}) };
  return new ClusterClient(
    loadKubeconfig({
      kubeconfig: {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster }],
        users: [{ name: 'u', user: { token: 'transport-test-token-0123456789' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      },
    }),
  );
}

async function failure(server: string, caPem?: string): Promise<ClusterError> {
  const error = await client(server, caPem)
    .request('GET', '/readyz', { what: 'probe', timeoutMs: 5_000 })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.ok(error instanceof ClusterError, String(error));
  assert.doesNotMatch(error.message, /fetch failed/);
  return error;
}

test('a closed port: connection refused, retryable', async () => {
  const error = await failure(closedUrl);
  assert.equal(error.message, `probe: cannot reach the API server ${closedUrl}: connection refused (ECONNREFUSED)`);
  assert.equal(error.retryable, true);
});

test('TLS asked of a plain-HTTP server: said so, not retried', async () => {
  const error = await failure(plainUrl);
  assert.match(
    error.message,
    /: TLS: the server did not answer in TLS \(a plain-HTTP port, or the wrong port or scheme in the server URL\?\) \(ERR_SSL_WRONG_VERSION_NUMBER\)$/,
  );
  assert.equal(error.retryable, false);
});

test('a certificate for another host, and one from an unknown CA', async () => {
  assert.match(
    (await failure(otherNameUrl, ca.certPem)).message,
    /TLS: the API server's certificate does not name this host \(ERR_TLS_CERT_ALTNAME_INVALID\)$/,
  );
  assert.match(
    (await failure(otherNameUrl)).message,
    /TLS: the API server's certificate cannot be verified \(certificate-authority\) \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/,
  );
});

test('the API wait ends naming the last cause, also when it ends with a request in flight', async () => {
  const refused = await waitApi(client(closedUrl), { signal: AbortSignal.timeout(1_500), log: () => {}, intervalMs: 200 }).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.match(
    String(refused?.message),
    new RegExp(`\\(last: API readiness \\(/readyz\\): cannot reach the API server ${closedUrl}: connection refused \\(ECONNREFUSED\\)\\)$`),
  );
  const silent = await waitApi(client(silentUrl), { signal: AbortSignal.timeout(1_500), log: () => {} }).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.match(
    String(silent?.message),
    new RegExp(`\\(last: API readiness \\(/readyz\\): interrupted after \\d+s without an answer from ${silentUrl}\\)$`),
  );
});

test('transportError: an unknown cause is named by the innermost message, not "fetch failed"', () => {
  const bare = new TypeError('fetch failed', { cause: new Error('bad port') });
  assert.equal(transportError(bare, 'https://h:1', 'probe').message, 'probe: https://h:1: bad port');
  const ssl = Object.assign(new Error('40BD:error:0A000126:SSL routines:ssl3_read_bytes:unexpected eof while reading:x.c:1:\n'), {
    code: 'ERR_SSL_UNEXPECTED_EOF_WHILE_READING',
  });
  assert.equal(
    transportError(new TypeError('fetch failed', { cause: ssl }), 'https://h', 'probe').message,
    'probe: https://h: TLS: unexpected eof while reading (ERR_SSL_UNEXPECTED_EOF_WHILE_READING)',
  );
  const reset = Object.assign(new Error('Client network socket disconnected before secure TLS connection was established'), {
    code: 'ECONNRESET',
  });
  assert.match(
    transportError(new TypeError('fetch failed', { cause: reset }), 'https://h', 'probe').message,
    /connection reset during the TLS handshake \(ECONNRESET\)$/,
  );
});
