// Integration tests of the clusterlab itself (real etcd + kube-apiserver + kube-controller-manager):
// the API and CRDs it serves, CSR signing through /approval and no auto-approval, node lifecycle,
// the least-privilege kubeconfigs, the route API outage, and the actors' timing. Every test uses
// its own node / CSR / namespace names; ClusterOperators are cluster singletons and are reset.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';
import { Kubelet } from '../../labs/clusterlab/kubelets.ts';
import {
  adminConfig,
  bootstrapConfig,
  discoveryStatus,
  ensureUp,
  isUp,
  modulesConfig,
  nodeGraceMs,
  noneConfig,
  paths,
  setRouteApiAvailable,
  uniqueName,
} from '../../labs/clusterlab/lab.ts';
import { DEGRADED, fixturesDir, flap, isStable, MISSING, Operators, PROGRESSING, STABLE } from '../../labs/clusterlab/operators.ts';
import { certInfo, createCsr, generateKey } from '../../labs/clusterlab/x509.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const code = (e: unknown) => (e as { code?: number }).code;

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(200);
  }
}

function nodeReady(node: k8s.V1Node): string | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

async function fileKubeletClientCsr(nodeName: string): Promise<string> {
  const api = bootstrapConfig().makeApiClient(k8s.CertificatesV1Api);
  const request = await createCsr(generateKey(), { cn: `system:node:${nodeName}`, o: ['system:nodes'] });
  const name = uniqueName('csr-test');
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
  return name;
}

async function approve(api: k8s.CertificatesV1Api, name: string): Promise<void> {
  const csr = await api.readCertificateSigningRequest({ name });
  csr.status = {
    ...csr.status,
    conditions: [
      ...(csr.status?.conditions ?? []),
      { type: 'Approved', status: 'True', reason: 'ClusterlabTest', message: 'approved by the clusterlab test' },
    ],
  };
  await api.replaceCertificateSigningRequestApproval({ name, body: csr });
}

before(async () => {
  if (!(await isUp())) await ensureUp();
});

describe('clusterlab: API and OpenShift CRDs', () => {
  it('serves config.openshift.io (clusteroperators, clusterversions) and route.openshift.io (routes)', async () => {
    const apis = adminConfig().makeApiClient(k8s.ApisApi);
    const groups = await apis.getAPIVersions();
    const names = groups.groups.map((g) => g.name);
    assert.ok(names.includes('config.openshift.io'));
    assert.ok(names.includes('route.openshift.io'));
    const custom = adminConfig().makeApiClient(k8s.CustomObjectsApi);
    const list = (await custom.listClusterCustomObject({ group: 'config.openshift.io', version: 'v1', plural: 'clusteroperators' })) as {
      items: unknown[];
    };
    assert.ok(Array.isArray(list.items));
  });

  it('validates ClusterOperator status with the real CRD schema (a condition without status is refused)', async () => {
    const custom = adminConfig().makeApiClient(k8s.CustomObjectsApi);
    const name = uniqueName('clusterlab-schema');
    await custom.createClusterCustomObject({
      group: 'config.openshift.io',
      version: 'v1',
      plural: 'clusteroperators',
      body: { apiVersion: 'config.openshift.io/v1', kind: 'ClusterOperator', metadata: { name }, spec: {} },
    });
    try {
      const co = (await custom.getClusterCustomObject({
        group: 'config.openshift.io',
        version: 'v1',
        plural: 'clusteroperators',
        name,
      })) as Record<string, any>;
      co.status = { conditions: [{ type: 'Available', lastTransitionTime: new Date().toISOString() }] };
      await assert.rejects(
        custom.replaceClusterCustomObjectStatus({
          group: 'config.openshift.io',
          version: 'v1',
          plural: 'clusteroperators',
          name,
          body: co,
        }),
        (e: unknown) => code(e) === 422,
      );
    } finally {
      await custom.deleteClusterCustomObject({ group: 'config.openshift.io', version: 'v1', plural: 'clusteroperators', name });
    }
  });
});

describe('clusterlab: CSR signing', () => {
  it('does not approve a kubelet client CSR by itself; approved through /approval it gets a certificate from the lab signer', async () => {
    const node = uniqueName('csr-node');
    const name = await fileKubeletClientCsr(node);
    const api = modulesConfig().makeApiClient(k8s.CertificatesV1Api);
    try {
      await sleep(3000);
      const pending = await api.readCertificateSigningRequest({ name });
      assert.equal(pending.status?.conditions?.length ?? 0, 0, 'nobody approved it');
      assert.equal(pending.status?.certificate, undefined);
      await approve(api, name);
      const pem = await until('certificate issued', 30_000, async () => {
        const csr = await api.readCertificateSigningRequest({ name });
        return csr.status?.certificate && Buffer.from(csr.status.certificate, 'base64').toString();
      });
      const info = certInfo(pem);
      assert.equal(info.commonName, `system:node:${node}`);
      assert.equal(info.issuerCommonName, certInfo(readFileSync(paths.csrSignerCert, 'utf8')).commonName);
    } finally {
      await adminConfig()
        .makeApiClient(k8s.CertificatesV1Api)
        .deleteCertificateSigningRequest({ name })
        .catch(() => undefined);
    }
  });
});

describe('clusterlab: least privilege', () => {
  it('the modules account can do what the modules need and nothing more', async () => {
    const core = modulesConfig().makeApiClient(k8s.CoreV1Api);
    const custom = modulesConfig().makeApiClient(k8s.CustomObjectsApi);
    await custom.listClusterCustomObject({ group: 'config.openshift.io', version: 'v1', plural: 'clusteroperators' });
    await core.listNode();
    await core.listNamespacedSecret({ namespace: 'openshift-kube-controller-manager-operator' });
    await assert.rejects(core.listNamespacedSecret({ namespace: 'kube-system' }), (e: unknown) => code(e) === 403);
    await assert.rejects(core.deleteNode({ name: 'no-such-node' }), (e: unknown) => code(e) === 403);
    await assert.rejects(
      custom.deleteClusterCustomObject({ group: 'config.openshift.io', version: 'v1', plural: 'clusteroperators', name: 'dns' }),
      (e: unknown) => code(e) === 403,
    );
  });

  it('the no-permission account is refused with a 403 naming the user, verb and resource', async () => {
    const core = noneConfig().makeApiClient(k8s.CoreV1Api);
    await assert.rejects(core.listNode(), (e: unknown) => {
      const body = String((e as { body?: unknown }).body ?? (e as Error).message);
      return code(e) === 403 && body.includes('system:serviceaccount:clusterlab:nobody') && body.includes('list') && body.includes('nodes');
    });
    assert.equal(await discoveryStatus(noneConfig(), '/apis'), 200, 'discovery stays open to every authenticated user');
  });
});

describe('clusterlab: kubelets and node lifecycle', () => {
  it('a node that stops heartbeating goes NotReady (Unknown) after the grace period', async () => {
    const kubelet = new Kubelet({ name: uniqueName('hb-node'), role: 'worker' }, { heartbeatMs: 1000 });
    const core = adminConfig().makeApiClient(k8s.CoreV1Api);
    try {
      await kubelet.start();
      const node = await until('Ready=True', 15_000, async () => {
        const n = await core.readNode({ name: kubelet.name });
        return nodeReady(n) === 'True' && n;
      });
      assert.equal(node.metadata?.labels?.['node-role.kubernetes.io/worker'], '');
      await kubelet.stop();
      // The grace runs from the last heartbeat the controller manager saw: the later of the Lease's
      // renewTime and the Ready condition's lastHeartbeatTime (whole seconds, so never later than the
      // real one). A beat still in flight only makes the real last one later: the bound stays safe.
      const coord = adminConfig().makeApiClient(k8s.CoordinationV1Api);
      const lease = await coord.readNamespacedLease({ name: kubelet.name, namespace: 'kube-node-lease' });
      const readyHeartbeat = (await core.readNode({ name: kubelet.name })).status?.conditions?.find(
        (c) => c.type === 'Ready',
      )?.lastHeartbeatTime;
      const lastBeat = Math.max(
        lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0,
        readyHeartbeat ? new Date(readyHeartbeat).getTime() : 0,
      );
      assert.ok(lastBeat > 0, 'a heartbeat was seen');
      await until(
        'Ready=Unknown',
        nodeGraceMs() + 20_000,
        async () => nodeReady(await core.readNode({ name: kubelet.name })) === 'Unknown',
      );
      const took = Date.now() - lastBeat;
      assert.ok(took >= nodeGraceMs(), `NotReady ${took} ms after the last heartbeat, grace is ${nodeGraceMs()} ms`);
      const tainted = await until('unreachable taint', 15_000, async () =>
        (await core.readNode({ name: kubelet.name })).spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable'),
      );
      assert.ok(tainted);
    } finally {
      await kubelet.remove();
    }
  });

  it('a privileged debug pod running chroot /host shutdown -h +1 powers the node off a scaled minute later', async () => {
    const kubelet = new Kubelet({ name: uniqueName('sd-node'), role: 'master' }, { minuteMs: 2000 });
    const admin = adminConfig().makeApiClient(k8s.CoreV1Api);
    const core = modulesConfig().makeApiClient(k8s.CoreV1Api);
    const ns = uniqueName('openshift-debug');
    try {
      await kubelet.start();
      await core.createNamespace({
        body: {
          metadata: {
            name: ns,
            labels: { 'pod-security.kubernetes.io/enforce': 'privileged', 'debug.openshift.io/managed-by': 'oc-debug' },
          },
        },
      });
      const pod: k8s.V1Pod = {
        metadata: { name: `${kubelet.name}-debug`, namespace: ns, labels: { 'debug.openshift.io/managed-by': 'oc-debug' } },
        spec: {
          nodeName: kubelet.name,
          hostNetwork: true,
          hostPID: true,
          hostIPC: true,
          restartPolicy: 'Never',
          tolerations: [{ operator: 'Exists' }],
          volumes: [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }],
          containers: [
            {
              name: 'container-00',
              image: 'registry.redhat.io/rhel9/support-tools',
              command: ['chroot', '/host', 'shutdown', '-h', '+1'],
              securityContext: { privileged: true, runAsUser: 0 },
              volumeMounts: [{ name: 'host', mountPath: '/host' }],
            },
          ],
        },
      };
      // the namespace's default service account appears shortly after the namespace (serviceaccount controller)
      await until('debug pod created', 20_000, async () => core.createNamespacedPod({ namespace: ns, body: pod }));
      const t0 = Date.now();
      await until(
        'pod Succeeded',
        15_000,
        async () => (await core.readNamespacedPod({ namespace: ns, name: pod.metadata!.name! })).status?.phase === 'Succeeded',
      );
      await until('powered off', 10_000, async () => kubelet.power === 'off');
      // `shutdown -h +1`: off one scaled minute (2000 ms) after the kubelet ran the command, both
      // events from the kubelet's own journal (timers may fire up to 1 ms early)
      const scheduled = kubelet.journal.find((e) => e.event === 'shutdown-scheduled');
      const off = kubelet.journal.find((e) => e.event === 'powered-off');
      const offAfter = off!.at.getTime() - scheduled!.at.getTime();
      assert.ok(
        offAfter >= Number(scheduled?.detail?.delayMs) - 1,
        `powered off ${offAfter} ms after shutdown -h +1, one scaled minute is 2000 ms`,
      );
      assert.ok(off!.at.getTime() >= t0, 'after the pod was made');
      assert.deepEqual(scheduled?.detail?.argv, ['chroot', '/host', 'shutdown', '-h', '+1']);
      await until(
        'Ready=Unknown',
        nodeGraceMs() + 20_000,
        async () => nodeReady(await admin.readNode({ name: kubelet.name })) === 'Unknown',
      );
    } finally {
      await admin.deleteNamespace({ name: ns }).catch(() => undefined);
      await kubelet.remove();
    }
  });

  it('booting with expired certificates: CSRs are filed, and the node is Ready only after both are approved and signed', async () => {
    const kubelet = new Kubelet({ name: uniqueName('boot-node'), role: 'master' });
    const admin = adminConfig().makeApiClient(k8s.CoreV1Api);
    const csrs = modulesConfig().makeApiClient(k8s.CertificatesV1Api);
    try {
      await kubelet.start();
      await kubelet.powerOff();
      await until(
        'Ready=Unknown',
        nodeGraceMs() + 20_000,
        async () => nodeReady(await admin.readNode({ name: kubelet.name })) === 'Unknown',
      );
      const booted = kubelet.boot({ certificates: 'csr' });
      const client = await until('client CSR filed', 15_000, async () => kubelet.csrNames[0]);
      const clientCsr = await csrs.readCertificateSigningRequest({ name: client });
      assert.equal(clientCsr.spec.signerName, 'kubernetes.io/kube-apiserver-client-kubelet');
      assert.equal(clientCsr.spec.username, 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper');
      await sleep(2000);
      assert.equal(nodeReady(await admin.readNode({ name: kubelet.name })), 'Unknown', 'not Ready before approval');
      await approve(csrs, client);
      const serving = await until('serving CSR filed', 20_000, async () => kubelet.csrNames[1]);
      const servingCsr = await csrs.readCertificateSigningRequest({ name: serving });
      assert.equal(servingCsr.spec.signerName, 'kubernetes.io/kubelet-serving');
      assert.equal(servingCsr.spec.username, `system:node:${kubelet.name}`, 'filed with the certificate the first CSR gave it');
      assert.equal(nodeReady(await admin.readNode({ name: kubelet.name })), 'Unknown');
      await approve(csrs, serving);
      await booted;
      await until('Ready=True', 15_000, async () => nodeReady(await admin.readNode({ name: kubelet.name })) === 'True');
      for (const name of [client, serving]) {
        await adminConfig()
          .makeApiClient(k8s.CertificatesV1Api)
          .deleteCertificateSigningRequest({ name })
          .catch(() => undefined);
      }
    } finally {
      await kubelet.remove();
    }
  });
});

describe('clusterlab: operators actor', () => {
  const operators = new Operators({ names: ['clusterlab-a', 'clusterlab-b', 'clusterlab-c'] });
  after(() => operators.remove());

  it('plays a script on time: progressing → available, flapping, degraded, missing conditions', async () => {
    await operators.install(PROGRESSING);
    const custom = adminConfig().makeApiClient(k8s.CustomObjectsApi);
    const get = async (name: string) =>
      (await custom.getClusterCustomObject({ group: 'config.openshift.io', version: 'v1', plural: 'clusteroperators', name })) as Record<
        string,
        any
      >;
    assert.equal(isStable(await get('clusterlab-a')), false);
    const script = [
      { atMs: 500, operator: 'clusterlab-a', state: STABLE },
      ...flap('clusterlab-b', STABLE, PROGRESSING, 400, 4, 500),
      { atMs: 1000, operator: 'clusterlab-c', state: DEGRADED },
      { atMs: 2000, operator: 'clusterlab-c', state: MISSING },
    ];
    const t0 = Date.now();
    const seen: string[] = [];
    const done = operators.run(script);
    await sleep(1200);
    seen.push(`a:${isStable(await get('clusterlab-a'))}`);
    await done;
    assert.ok(Date.now() - t0 >= 2000);
    assert.deepEqual(seen, ['a:true']);
    for (const a of operators.applied) assert.ok(a.lateMs < 1000, `step at ${a.step.atMs} ms applied ${a.lateMs} ms late`);
    const c = await get('clusterlab-c');
    assert.equal(
      c.status.conditions.some((x: { type: string }) => x.type === 'Available'),
      false,
      'conditions removed',
    );
    assert.equal(isStable(await get('clusterlab-b')), false, 'flap ended on progressing');
  });

  it('installs the ClusterOperators of a recorded degraded cluster with their recorded conditions', async (t) => {
    if (!fixturesDir()) return t.skip('shared/fixtures/openshift not beside the repo');
    const recorded = new Operators();
    try {
      const names = await recorded.installFixture('clusteroperators-degraded.json');
      assert.equal(names.length, 33);
      const custom = modulesConfig().makeApiClient(k8s.CustomObjectsApi);
      const list = (await custom.listClusterCustomObject({ group: 'config.openshift.io', version: 'v1', plural: 'clusteroperators' })) as {
        items: Record<string, any>[];
      };
      const unstable = list.items
        .filter((co) => names.includes(co.metadata.name) && !isStable(co))
        .map((co) => co.metadata.name)
        .sort();
      assert.deepEqual(unstable, [
        'control-plane-machine-set',
        'etcd',
        'kube-apiserver',
        'kube-controller-manager',
        'kube-scheduler',
        'machine-config',
        'network',
      ]);
    } finally {
      await recorded.remove();
    }
  });

  it('installs a ClusterVersion with install history', async () => {
    const installedAt = new Date(Date.now() - 2 * 3600_000);
    const cv = await operators.installClusterVersion({ installedAt });
    assert.equal(cv.status.history.at(-1).completionTime, installedAt.toISOString());
    await operators.removeClusterVersion();
  });
});

describe('clusterlab: route API outage', () => {
  it('route.openshift.io/v1 can be made unavailable (503, like a down openshift-apiserver) and available again', async () => {
    try {
      await setRouteApiAvailable(false);
      assert.equal(await discoveryStatus(modulesConfig(), '/apis/route.openshift.io/v1'), 503);
    } finally {
      await setRouteApiAvailable(true);
    }
    assert.equal(await discoveryStatus(modulesConfig(), '/apis/route.openshift.io/v1'), 200);
  });
});

describe('clusterlab: play (what a person sees after clusterlab:up)', () => {
  const PLAY = new URL('../../labs/clusterlab/play.ts', import.meta.url).pathname;
  const play = (...args: string[]) => execa(process.execPath, [PLAY, ...args], { reject: false, timeout: 120_000 });
  after(() => play('down'));

  it('play up leaves operators, ClusterVersion, nodes and a pending kubelet CSR in the API; play down removes exactly those', async () => {
    const upRun = await play('up', '--for', '1');
    assert.equal(upRun.exitCode, 0, upRun.stderr);
    assert.match(upRun.stdout, /kubectl --kubeconfig \S+\/kubeconfig get clusteroperators,clusterversion,nodes,csr/);
    const kc = adminConfig();
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const cos = (await custom.listClusterCustomObject({ group: 'config.openshift.io', version: 'v1', plural: 'clusteroperators' })) as {
      items: unknown[];
    };
    assert.ok(cos.items.length >= 20, `${cos.items.length} ClusterOperators`);
    const nodes = (await kc.makeApiClient(k8s.CoreV1Api).listNode()).items.map((n) => n.metadata!.name!);
    for (const name of ['play-master-0', 'play-master-1', 'play-master-2']) assert.ok(nodes.includes(name), name);
    assert.ok(!nodes.includes('play-worker-0'), 'a kubelet without a certificate has not registered its Node yet');
    const certs = kc.makeApiClient(k8s.CertificatesV1Api);
    const pending = (await certs.listCertificateSigningRequest()).items.filter((c) => !c.status?.conditions?.length);
    const playCsr = pending.find((c) => c.spec.username === 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper');
    assert.ok(playCsr, 'the booting worker filed a client CSR as the node-bootstrapper, left Pending');
    if (existsSync('/usr/bin/kubectl')) {
      const shown = await execa('kubectl', ['--kubeconfig', paths.kubeconfig, 'get', 'clusteroperators,nodes,csr'], { reject: false });
      assert.equal(shown.exitCode, 0, shown.stderr);
      assert.match(shown.stdout, /clusteroperator\.config\.openshift\.io\/kube-apiserver/);
      assert.match(shown.stdout, /node\/play-master-0/);
      assert.match(shown.stdout, /Pending/);
    }

    const downRun = await play('down');
    assert.equal(downRun.exitCode, 0, downRun.stderr);
    const after = (await kc.makeApiClient(k8s.CoreV1Api).listNode()).items.map((n) => n.metadata!.name!);
    assert.deepEqual(
      after.filter((n) => n.startsWith('play-')),
      [],
    );
    assert.equal(
      (await certs.listCertificateSigningRequest()).items.some((c) => c.metadata!.name === playCsr.metadata!.name),
      false,
      'the CSR of play-worker-0 is gone',
    );
  });
});
