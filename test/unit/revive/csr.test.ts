// Kubelet CSR validation: only a kubelet's own, well-formed requests for an existing node are approved.
// The PKCS#10 requests are made by openssl, so the parser reads what real tools write.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import {
  CLIENT_SIGNER,
  type CsrLike,
  judgeCsr,
  NODE_BOOTSTRAPPER,
  type NodeLike,
  parseCertificateRequest,
  SERVING_SIGNER,
} from '../../../lib/revive/csr.ts';

function request(subject: string, sans?: string): string {
  const argv = [
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    '/dev/null',
    '-subj',
    subject,
  ];
  if (sans) argv.push('-addext', `subjectAltName=${sans}`);
  return Buffer.from(execFileSync('openssl', argv, { stdio: ['ignore', 'pipe', 'ignore'] })).toString('base64');
}

const NODES = new Map<string, NodeLike>([
  [
    'master-0',
    {
      metadata: { name: 'master-0' },
      status: {
        addresses: [
          { type: 'InternalIP', address: '192.168.32.10' },
          { type: 'Hostname', address: 'master-0' },
          { type: 'InternalIP', address: 'fd00::10' },
        ],
      },
    },
  ],
  ['master-1', { metadata: { name: 'master-1' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.32.11' }] } }],
]);

function csr(signerName: string, username: string, req: string, usages: string[], extra: Partial<CsrLike> = {}): CsrLike {
  return {
    metadata: { name: 'csr-x', creationTimestamp: '2026-11-25T10:00:00Z' },
    spec: { signerName, username, request: req, usages },
    status: {},
    ...extra,
  };
}
const CLIENT_USAGES = ['digital signature', 'client auth'];
const SERVING_USAGES = ['digital signature', 'key encipherment', 'server auth'];
const clientReq = request('/O=system:nodes/CN=system:node:master-0');
const servingReq = request('/O=system:nodes/CN=system:node:master-0', 'DNS:master-0,IP:192.168.32.10,IP:fd00:0:0:0:0:0:0:10');

test('parses subject and SANs of a PKCS#10 request', () => {
  const parsed = parseCertificateRequest(servingReq);
  assert.equal(parsed.commonName, 'system:node:master-0');
  assert.deepEqual(parsed.organizations, ['system:nodes']);
  assert.deepEqual(parsed.dnsNames, ['master-0']);
  assert.deepEqual(parsed.ipAddresses, ['192.168.32.10', 'fd00::10']);
  assert.throws(() => parseCertificateRequest('bm90IGEgY3Ny'), /not a PEM certificate request/);
});

test('approves the kubelet client CSR of the bootstrapper and of the node itself, and the serving CSR', () => {
  assert.deepEqual(judgeCsr(csr(CLIENT_SIGNER, NODE_BOOTSTRAPPER, clientReq, CLIENT_USAGES), { nodes: NODES }), {
    approve: true,
    node: 'master-0',
    signer: CLIENT_SIGNER,
  });
  assert.deepEqual(
    judgeCsr(csr(CLIENT_SIGNER, 'system:node:master-0', clientReq, [...CLIENT_USAGES, 'key encipherment']), { nodes: NODES }),
    {
      approve: true,
      node: 'master-0',
      signer: CLIENT_SIGNER,
    },
  );
  assert.deepEqual(judgeCsr(csr(SERVING_SIGNER, 'system:node:master-0', servingReq, SERVING_USAGES), { nodes: NODES }), {
    approve: true,
    node: 'master-0',
    signer: SERVING_SIGNER,
  });
});

test('forged or foreign CSRs are left alone, each with the reason', () => {
  const cases: [CsrLike, RegExp][] = [
    [
      csr('kubernetes.io/kube-apiserver-client', NODE_BOOTSTRAPPER, clientReq, CLIENT_USAGES),
      /signer kubernetes.io\/kube-apiserver-client is not a kubelet signer/,
    ],
    [csr('example.com/anything', 'system:node:master-0', clientReq, CLIENT_USAGES), /not a kubelet signer/],
    [
      csr(CLIENT_SIGNER, 'system:serviceaccount:default:intruder', clientReq, CLIENT_USAGES),
      /requested by system:serviceaccount:default:intruder, neither/,
    ],
    [
      csr(SERVING_SIGNER, NODE_BOOTSTRAPPER, servingReq, SERVING_USAGES),
      /serving certificate requested by .*node-bootstrapper, not by a node/,
    ],
    [
      csr(CLIENT_SIGNER, NODE_BOOTSTRAPPER, request('/O=system:nodes/CN=system:node:ghost'), CLIENT_USAGES),
      /node ghost is not a node of this cluster/,
    ],
    [csr(CLIENT_SIGNER, 'system:node:master-1', clientReq, CLIENT_USAGES), /requested by node master-1 for the CN of node master-0/],
    [
      csr(CLIENT_SIGNER, NODE_BOOTSTRAPPER, request('/O=system:masters/CN=system:node:master-0'), CLIENT_USAGES),
      /O is \["system:masters"\]/,
    ],
    [
      csr(CLIENT_SIGNER, NODE_BOOTSTRAPPER, request('/O=system:nodes/O=system:masters/CN=system:node:master-0'), CLIENT_USAGES),
      /not exactly \["system:nodes"\]/,
    ],
    [csr(CLIENT_SIGNER, NODE_BOOTSTRAPPER, request('/O=system:nodes/CN=admin'), CLIENT_USAGES), /CN is "admin"/],
    [csr(CLIENT_SIGNER, NODE_BOOTSTRAPPER, clientReq, [...CLIENT_USAGES, 'server auth']), /usages server auth are not allowed/],
    [csr(CLIENT_SIGNER, NODE_BOOTSTRAPPER, clientReq, ['client auth']), /usages lack digital signature/],
    [csr(SERVING_SIGNER, 'system:node:master-0', servingReq, [...SERVING_USAGES, 'client auth']), /usages client auth are not allowed/],
    [
      csr(CLIENT_SIGNER, NODE_BOOTSTRAPPER, request('/O=system:nodes/CN=system:node:master-0', 'DNS:master-0'), CLIENT_USAGES),
      /must not carry DNS or IP/,
    ],
    [
      csr(
        SERVING_SIGNER,
        'system:node:master-0',
        request('/O=system:nodes/CN=system:node:master-0', 'DNS:master-0,DNS:api.example.com'),
        SERVING_USAGES,
      ),
      /serving names api.example.com are not node master-0's/,
    ],
    [
      csr(SERVING_SIGNER, 'system:node:master-0', request('/O=system:nodes/CN=system:node:master-0', 'IP:192.168.32.11'), SERVING_USAGES),
      /serving names 192.168.32.11 are not/,
    ],
    [
      csr(
        SERVING_SIGNER,
        'system:node:master-0',
        request('/O=system:nodes/CN=system:node:master-0', 'DNS:master-0,email:a@b.c'),
        SERVING_USAGES,
      ),
      /carries email:a@b.c/,
    ],
    [
      csr(SERVING_SIGNER, 'system:node:master-0', request('/O=system:nodes/CN=system:node:master-0'), SERVING_USAGES),
      /carries no DNS or IP name/,
    ],
    [csr(CLIENT_SIGNER, NODE_BOOTSTRAPPER, 'Z2FyYmFnZQ==', CLIENT_USAGES), /cannot be parsed/],
    [
      csr(CLIENT_SIGNER, NODE_BOOTSTRAPPER, clientReq, CLIENT_USAGES, { status: { conditions: [{ type: 'Approved', status: 'True' }] } }),
      /not pending/,
    ],
  ];
  for (const [input, expected] of cases) {
    const verdict = judgeCsr(input, { nodes: NODES });
    assert.equal(verdict.approve, false, `${expected}`);
    assert.match((verdict as { reason: string }).reason, expected);
  }
});

test('CSRs older than the run window are stale', () => {
  const verdict = judgeCsr(csr(CLIENT_SIGNER, NODE_BOOTSTRAPPER, clientReq, CLIENT_USAGES), {
    nodes: NODES,
    notBefore: Date.parse('2026-11-25T11:00:00Z'),
  });
  assert.equal(verdict.approve, false);
  assert.match((verdict as { reason: string }).reason, /stale/);
});
