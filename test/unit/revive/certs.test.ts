// The certificate-aware decision of prepare: rotated → no wait; bootstrap signer → wait until its certificates are dead.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadFixture } from '../../../labs/clusterlab/openshift-fixtures.ts';
import { decidePrepare, type SecretLike, signerInfo, signerValidNow, snapsetProperties } from '../../../lib/revive/certs.ts';

const secrets = loadFixture<{ items: SecretLike[] }>('cert-secrets-metadata.json').items;
const find = (ns: string, name: string) => signerInfo(secrets.find((s) => s.metadata?.namespace === ns && s.metadata?.name === name)!);
const HOUR = 3_600_000;

test('a just-installed cluster (fixture: csr-signer from kubelet-signer) waits until the bootstrap signer is dead, plus the margin', () => {
  const csrSigner = find('openshift-kube-controller-manager-operator', 'csr-signer');
  const apiserverToKubelet = find('openshift-kube-apiserver-operator', 'kube-apiserver-to-kubelet-signer');
  const now = new Date('2021-09-13T16:00:00Z');
  const decision = decidePrepare({ csrSigner, apiserverToKubelet }, now, 10 * 60_000);
  assert.equal(decision.rotated, false);
  assert.equal(decision.waitUntil?.toISOString(), '2021-09-14T14:43:41.000Z');
  assert.match(decision.reason, /still the installer's bootstrap signer \(issuer kubelet-signer, valid until 2021-09-14T14:33:41Z\)/);
  assert.deepEqual(snapsetProperties(decision), {
    hotstack_revivable_without_csr_until: '2021-09-14T14:33:41Z',
    hotstack_revivable_until: '2022-09-13T14:33:42Z',
  });
  // Past the bootstrap signer's end and still on it: never rotated, and waiting cannot help.
  const stuck = decidePrepare({ csrSigner }, new Date('2021-09-14T14:44:00Z'), 10 * 60_000);
  assert.equal(stuck.rotated, false);
  assert.equal(stuck.waitUntil, null);
  assert.match(stuck.reason, /expired at 2021-09-14T14:33:41Z without being rotated/);
});

test('a rotated cluster does not wait; its dates come from the 30-day signer and the 1-year signer', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  const csrSigner = {
    ref: 'ns/csr-signer',
    issuer: 'openshift-kube-controller-manager-operator_csr-signer-signer@1764000000',
    notBefore: new Date(now.getTime() - 2 * HOUR),
    notAfter: new Date(now.getTime() + 30 * 24 * HOUR - 2 * HOUR),
  };
  const decision = decidePrepare({ csrSigner, apiserverToKubelet: { ref: 'x', notAfter: new Date('2027-11-20T00:00:00Z') } }, now, 0);
  assert.equal(decision.rotated, true);
  assert.equal(decision.waitUntil, null);
  assert.equal(decision.revivableWithoutCsrUntil?.toISOString(), csrSigner.notAfter.toISOString());
  assert.equal(decision.revivableUntil?.toISOString(), '2027-11-20T00:00:00.000Z');
});

test('rotated signer but a live bootstrap signer in the bundle: wait until it is dead', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  const csrSigner = {
    ref: 'ns/csr-signer',
    issuer: 'op_csr-signer-signer@1',
    notBefore: new Date(now.getTime() - HOUR),
    notAfter: new Date(now.getTime() + 720 * HOUR),
  };
  const bundle = [
    {
      subjectCN: 'kubelet-signer',
      issuerCN: 'kubelet-signer',
      notBefore: new Date(now.getTime() - 20 * HOUR),
      notAfter: new Date(now.getTime() + 4 * HOUR),
    },
    { subjectCN: 'op_csr-signer-signer@1', issuerCN: 'x', notBefore: csrSigner.notBefore, notAfter: csrSigner.notAfter },
  ];
  const decision = decidePrepare({ csrSigner, bundle }, now, 0);
  assert.equal(decision.rotated, false);
  assert.equal(decision.waitUntil?.toISOString(), new Date(now.getTime() + 4 * HOUR).toISOString());
  assert.equal(decision.revivableWithoutCsrUntil?.toISOString(), new Date(now.getTime() + 4 * HOUR).toISOString());
});

test('a signer without dates cannot be judged', () => {
  assert.throws(
    () => decidePrepare({ csrSigner: { ref: 'ns/csr-signer', issuer: 'kubelet-signer' } }, new Date(), 0),
    /ns\/csr-signer has no auth.openshift.io\/certificate-not-after/,
  );
});

test('signer validity now', () => {
  const s = { ref: 'x', notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2026-02-01T00:00:00Z') };
  assert.equal(signerValidNow(s, new Date('2026-01-15T00:00:00Z')), true);
  assert.equal(signerValidNow(s, new Date('2026-02-01T00:00:00Z')), false);
  assert.equal(signerValidNow(s, new Date('2025-12-31T23:59:59Z')), false);
});
