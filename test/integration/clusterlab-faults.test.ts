// Integration tests of the clusterlab's fault and certificate actors against the real lab: an apiserver
// restart ends a watch and the API comes back, a paused etcd stalls writes, the fault proxy answers
// 429/503 before the apiserver, a real 409 on a stale update, and the signer operator regenerating an
// expired csr-signer chain so that kube-controller-manager signs with the new CA.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { Certificates, CSR_SIGNER, KCM_CSR_SIGNER, NOT_AFTER, SIGNER_SIGNER, SignerOperator } from '../../labs/clusterlab/certificates.ts';
import { conflictOnNode, FaultProxy } from '../../labs/clusterlab/faults.ts';
import { Kubelet } from '../../labs/clusterlab/kubelets.ts';
import {
  adminConfig,
  bootstrapConfig,
  ensureUp,
  isUp,
  modulesConfig,
  pauseEtcd,
  restartApiserver,
  uniqueName,
} from '../../labs/clusterlab/lab.ts';
import { certInfo, createCsr, generateKey } from '../../labs/clusterlab/x509.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const code = (e: unknown) => (e as { code?: number }).code;

before(async () => {
  if (!(await isUp())) await ensureUp();
});

describe('clusterlab faults', () => {
  it('kube-apiserver restarted during a watch: the watch ends, the API is back', async () => {
    const watch = new k8s.Watch(modulesConfig());
    let ended: unknown = 'not yet';
    const events: string[] = [];
    const req = await watch.watch(
      '/api/v1/nodes',
      {},
      (type) => events.push(type),
      (err) => {
        ended = err ?? null;
      },
    );
    try {
      await sleep(500);
      assert.equal(ended, 'not yet');
      const t0 = Date.now();
      await restartApiserver();
      const restartMs = Date.now() - t0;
      assert.notEqual(ended, 'not yet', 'the watch saw the apiserver go away');
      await modulesConfig().makeApiClient(k8s.CoreV1Api).listNode();
      assert.ok(restartMs < 120_000);
    } finally {
      req.abort();
    }
  });

  it('etcd paused: a write stalls until etcd resumes', async () => {
    const core = adminConfig().makeApiClient(k8s.CoreV1Api);
    const name = uniqueName('etcd-pause');
    // the write is sent once etcd is frozen (whatever lab.sh took to freeze it), and cannot be
    // answered before the resume was asked for: both are events of the pause, not of a helper's return
    let paused!: () => void;
    const frozen = new Promise<void>((resolve) => (paused = resolve));
    const pause = pauseEtcd(3000, paused);
    await frozen;
    const sentAt = Date.now();
    await core.createNamespacedConfigMap({ namespace: 'clusterlab', body: { metadata: { name }, data: { a: 'b' } } });
    const answeredAt = Date.now();
    const { resumingAt } = await pause;
    await core.deleteNamespacedConfigMap({ namespace: 'clusterlab', name });
    assert.ok(answeredAt >= resumingAt, `the write was answered ${resumingAt - answeredAt} ms before etcd was resumed`);
    assert.ok(answeredAt - sentAt >= 2500, `the write took ${answeredAt - sentAt} ms while etcd was frozen for 3000 ms`);
  });

  it('the fault proxy answers 429 and 503 with Retry-After, then forwards again', async () => {
    const proxy = new FaultProxy();
    await proxy.start();
    try {
      const core = proxy.kubeConfig(modulesConfig()).makeApiClient(k8s.CoreV1Api);
      proxy.inject({ status: 429, path: '/api/v1/nodes', retryAfter: 2 });
      proxy.inject({ status: 503, path: '/api/v1/nodes' });
      await assert.rejects(core.listNode(), (e: unknown) => code(e) === 429);
      await assert.rejects(core.listNode(), (e: unknown) => code(e) === 503);
      const nodes = await core.listNode();
      assert.ok(Array.isArray(nodes.items));
      assert.deepEqual(
        proxy.requests.map((r) => [r.status, r.injected]),
        [
          [429, true],
          [503, true],
          [200, false],
        ],
      );
    } finally {
      await proxy.stop();
    }
  });

  it('a stale update gets a real 409 Conflict from the apiserver', async () => {
    const kubelet = new Kubelet({ name: uniqueName('conflict-node'), role: 'worker' });
    try {
      await kubelet.start();
      const core = modulesConfig().makeApiClient(k8s.CoreV1Api);
      const admin = adminConfig().makeApiClient(k8s.CoreV1Api);
      const stale = await admin.readNode({ name: kubelet.name });
      await conflictOnNode(kubelet.name);
      stale.spec = { ...stale.spec, unschedulable: true };
      await assert.rejects(admin.replaceNode({ name: kubelet.name, body: stale }), (e: unknown) => code(e) === 409);
      void core;
    } finally {
      await kubelet.remove();
    }
  });
});

describe('clusterlab certificates', () => {
  it('installs the signer secrets of a just-installed (24 h kubelet-signer) and of a rotated (60 d / 30 d) cluster', async () => {
    const certs = new Certificates();
    const installedAt = new Date(Date.now() - 3600_000);
    await certs.installScenario('fresh', installedAt);
    const fresh = (await certs.read(SIGNER_SIGNER))!;
    const ann = fresh.metadata!.annotations!;
    assert.equal(ann['auth.openshift.io/certificate-issuer'], 'kubelet-signer');
    assert.equal(Date.parse(ann[NOT_AFTER]!) - Date.parse(ann['auth.openshift.io/certificate-not-before']!), 24 * 3600_000);
    const pem = Buffer.from(fresh.data!['tls.crt']!, 'base64').toString();
    assert.equal(certInfo(pem).notAfter.toISOString(), new Date(ann[NOT_AFTER]!).toISOString(), 'annotation = the certificate');
    assert.equal(fresh.type, 'kubernetes.io/tls');

    await certs.installScenario('rotated', installedAt);
    const signer = (await certs.read(SIGNER_SIGNER))!;
    const target = (await certs.read(CSR_SIGNER))!;
    const days = (s: typeof signer) =>
      (Date.parse(s.metadata!.annotations![NOT_AFTER]!) -
        Date.parse(s.metadata!.annotations!['auth.openshift.io/certificate-not-before']!)) /
      86400_000;
    assert.equal(days(signer), 60);
    assert.equal(days(target), 30);
    assert.equal(
      target.metadata!.annotations!['auth.openshift.io/certificate-issuer'],
      certInfo(Buffer.from(signer.data!['tls.crt']!, 'base64').toString()).commonName,
    );
    assert.equal(await new SignerOperator({ switchKcm: false }).sync(), undefined, 'a freshly rotated chain needs nothing');
  });

  it('an expired signer chain is regenerated by the signer operator, and KCM then signs with the new csr-signer', async () => {
    const certs = new Certificates();
    const chain = await certs.installScenario('expired');
    const before = await certs.read(SIGNER_SIGNER);
    assert.equal(before?.metadata?.annotations?.['auth.openshift.io/certificate-issuer'], 'kubelet-signer');
    assert.ok(Date.parse(before!.metadata!.annotations![NOT_AFTER]!) < Date.now(), 'installed expired');
    assert.ok(certInfo(chain.signerSigner.certPem).notAfter.getTime() < Date.now());

    const operator = new SignerOperator();
    const rotation = await operator.sync();
    assert.match(rotation?.reason ?? '', /csr-signer-signer: already expired/);
    const signer = await certs.read(SIGNER_SIGNER);
    const csrSigner = await certs.read(CSR_SIGNER);
    const copy = await certs.read(KCM_CSR_SIGNER);
    assert.ok(Date.parse(signer!.metadata!.annotations![NOT_AFTER]!) > Date.now() + 59 * 86400_000, '60 d signer');
    assert.equal(csrSigner!.data!['tls.crt'], copy!.data!['tls.crt'], 'copied to openshift-kube-controller-manager');
    assert.equal(await operator.sync(), undefined, 'nothing to do on the next pass');

    // KCM reloads its signing files: a CSR approved now is signed by the new csr-signer
    const newSigner = certInfo(Buffer.from(csrSigner!.data!['tls.crt']!, 'base64').toString()).commonName;
    const api = bootstrapConfig().makeApiClient(k8s.CertificatesV1Api);
    const approver = modulesConfig().makeApiClient(k8s.CertificatesV1Api);
    const node = uniqueName('signer-node');
    const issuer = await (async () => {
      const deadline = Date.now() + 90_000;
      for (;;) {
        const name = uniqueName('csr-rot');
        const request = await createCsr(generateKey(), { cn: `system:node:${node}`, o: ['system:nodes'] });
        await api.createCertificateSigningRequest({
          body: {
            metadata: { name },
            spec: {
              request: Buffer.from(request).toString('base64'),
              signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
              usages: ['digital signature', 'client auth'],
            },
          },
        });
        const csr = await approver.readCertificateSigningRequest({ name });
        csr.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'test' }] };
        await approver.replaceCertificateSigningRequestApproval({ name, body: csr });
        let pem: string | undefined;
        for (let i = 0; i < 100 && !pem; i++) {
          const c = await approver.readCertificateSigningRequest({ name });
          if (c.status?.certificate) pem = Buffer.from(c.status.certificate, 'base64').toString();
          else await sleep(200);
        }
        await adminConfig()
          .makeApiClient(k8s.CertificatesV1Api)
          .deleteCertificateSigningRequest({ name })
          .catch(() => undefined);
        const cn = pem ? certInfo(pem).issuerCommonName : '';
        if (cn === newSigner || Date.now() > deadline) return cn;
        await sleep(2000);
      }
    })();
    assert.equal(issuer, newSigner);
  });
});
