// Unit tests of the clusterlab actors' pure decisions: which pod command powers a node off, when the
// signer operator rotates, flapping scripts, stability as oc sees it, and real x509 output.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NOT_AFTER, NOT_BEFORE, needsNewSigner } from '../../../labs/clusterlab/certificates.ts';
import { parseShutdown } from '../../../labs/clusterlab/kubelets.ts';
import { flap, isStable, PROGRESSING, STABLE } from '../../../labs/clusterlab/operators.ts';
import { certInfo, createCertificate, createCsr, generateKey } from '../../../labs/clusterlab/x509.ts';

describe('clusterlab kubelet: parseShutdown', () => {
  it('reads the delay of oc debug node shutdown commands', () => {
    assert.equal(parseShutdown(['chroot', '/host', 'shutdown', '-h', '+1']), 1);
    assert.equal(parseShutdown(['chroot', '/host', 'shutdown', '-h', '+10']), 10);
    assert.equal(parseShutdown(['chroot', '/host', 'shutdown', '-h', 'now']), 0);
    assert.equal(parseShutdown(['/bin/sh', '-c', 'chroot /host shutdown -h +1']), undefined, 'a shell wrapper is not the argv oc sends');
    assert.equal(parseShutdown(['chroot', '/host', 'uptime']), undefined);
    assert.equal(parseShutdown([]), undefined);
  });
});

describe('clusterlab certificates: needsNewSigner (library-go rules)', () => {
  const now = new Date('2026-01-10T00:00:00Z');
  const secret = (nb: string, na: string) => ({ metadata: { annotations: { [NOT_BEFORE]: nb, [NOT_AFTER]: na } } });
  it('rotates a missing, unannotated, expired or due signer, and keeps a fresh one', () => {
    assert.equal(needsNewSigner(undefined, now, 30 * 86400_000), 'missing');
    assert.equal(needsNewSigner({ metadata: {} }, now, 30 * 86400_000), 'missing notAfter');
    assert.equal(needsNewSigner(secret('2026-01-08T00:00:00Z', '2026-01-09T00:00:00Z'), now, 30 * 86400_000), 'already expired');
    // 24 h signer made 20 h ago: past 80 % (19.2 h)
    assert.equal(needsNewSigner(secret('2026-01-09T04:00:00Z', '2026-01-10T04:00:00Z'), now, 30 * 86400_000), 'past its 80% life');
    assert.equal(needsNewSigner(secret('2026-01-09T04:00:00Z', '2026-01-10T04:00:00Z'), now, 30 * 86400_000, true), undefined);
    // 60 d signer made 31 d ago: past its 30 d refresh
    assert.equal(needsNewSigner(secret('2025-12-10T00:00:00Z', '2026-02-08T00:00:00Z'), now, 30 * 86400_000), 'past its refresh');
    assert.equal(needsNewSigner(secret('2026-01-09T00:00:00Z', '2026-03-10T00:00:00Z'), now, 30 * 86400_000), undefined);
  });
});

describe('clusterlab operators: scripts and stability', () => {
  it('flap alternates two states at the period', () => {
    const steps = flap('dns', STABLE, PROGRESSING, 500, 4, 100);
    assert.deepEqual(
      steps.map((s) => [s.atMs, s.state]),
      [
        [100, STABLE],
        [600, PROGRESSING],
        [1100, STABLE],
        [1600, PROGRESSING],
      ],
    );
  });
  it('isStable needs Available=True, Progressing=False, Degraded=False; a missing one is unstable', () => {
    const co = (c: Record<string, string>) => ({ status: { conditions: Object.entries(c).map(([type, status]) => ({ type, status })) } });
    assert.equal(isStable(co({ Available: 'True', Progressing: 'False', Degraded: 'False' })), true);
    assert.equal(isStable(co({ Available: 'True', Progressing: 'True', Degraded: 'False' })), false);
    assert.equal(isStable(co({ Available: 'True', Progressing: 'False' })), false);
  });
});

describe('clusterlab x509', () => {
  it('makes a CA with an exact past validity and a certificate signed by it', async () => {
    const nb = new Date('2025-03-01T10:00:00Z');
    const na = new Date('2025-03-02T10:00:00Z');
    const ca = await createCertificate({ subject: { cn: 'kubelet-signer', o: ['openshift'] }, notBefore: nb, notAfter: na, kind: 'ca' });
    const info = certInfo(ca.certPem);
    assert.equal(info.commonName, 'kubelet-signer');
    assert.equal(info.isCa, true);
    assert.equal(info.notBefore.toISOString(), nb.toISOString());
    assert.equal(info.notAfter.toISOString(), na.toISOString());
    const leaf = await createCertificate({ subject: { cn: 'x' }, notBefore: nb, notAfter: na, kind: 'client', issuer: ca });
    assert.equal(certInfo(leaf.certPem).issuerCommonName, 'kubelet-signer');
    assert.equal(certInfo(leaf.certPem).isCa, false);
  });
  it('makes a PKCS#10 request with subject and SANs', async () => {
    const csr = await createCsr(generateKey(), { cn: 'system:node:n1', o: ['system:nodes'] }, { dnsNames: ['n1'], ips: ['127.0.1.1'] });
    assert.match(csr, /^-----BEGIN CERTIFICATE REQUEST-----/);
  });
});
