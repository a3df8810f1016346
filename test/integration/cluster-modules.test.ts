// hotstack_revive / hotstack_prepare through real ansible-playbook against the real clusterlab
// (kube-apiserver, etcd, kube-controller-manager) and its scripted actors: operators, kubelets,
// certificates. Every test makes its own nodes and ClusterOperators (unique names, labelled with the
// run id) and points the modules at them with node_selector / operator_selector, so tests of other
// helpers sharing the lab do not disturb them. The modules run with the least-privilege token
// kubeconfig (labs/clusterlab/rbac-modules.yaml) unless a test says otherwise.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';
import { Certificates, CSR_SIGNER as CSR_SIGNER_REF, SIGNER_SIGNER } from '../../labs/clusterlab/certificates.ts';
import { FaultProxy } from '../../labs/clusterlab/faults.ts';
import { Kubelets } from '../../labs/clusterlab/kubelets.ts';
import {
  adminConfig,
  bootstrapConfig,
  isUp,
  modulesConfig,
  paths,
  restartApiserver,
  setRouteApiAvailable,
  uniqueName,
} from '../../labs/clusterlab/lab.ts';
import { flap, MISSING, Operators, PROGRESSING, STABLE } from '../../labs/clusterlab/operators.ts';
import { SignerRegenerator } from '../../labs/clusterlab/signer-rotation.ts';
import { certInfo, createCertificate, createCsr, generateKey } from '../../labs/clusterlab/x509.ts';
import { ClusterClient } from '../../lib/cluster/client.ts';
import { loadKubeconfig } from '../../lib/cluster/kubeconfig.ts';
import { waitGroupVersion } from '../../lib/revive/api-waits.ts';
import { LIBRARY, type PlaybookRun, runModuleTask } from '../helpers/ansible.ts';

// Timing bounds are made of events observed by the test itself (a change sent, the API's first good
// answer seen by a probe of the test's own), never of when a helper returned, each with the tolerance
// it states: a lower bound from the earliest moment the module could have seen the event, an upper
// bound from the latest, plus what the module may take to notice (its poll or retry interval and a
// request on a loaded 2-core machine).
/** The module's own work around a wait (a list, a watch opened, a round trip) on a loaded machine. */
const MODULE_LATENCY_MS = 1500;

const LABEL = 'hotstack-test';
const run = uniqueName('hs');
/** Each test labels its own nodes and operators `hotstack-test=<run>-<tag>` and selects only those. */
const selectorOf = (tag: string) => `${LABEL}=${run}-${tag}`;
let admin: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let custom: k8s.CustomObjectsApi;
let certs: k8s.CertificatesV1Api;
const cleanups: (() => Promise<unknown>)[] = [];

before(async () => {
  if (!(await isUp())) throw new Error('clusterlab is not up: npm run clusterlab:up');
  admin = adminConfig();
  core = admin.makeApiClient(k8s.CoreV1Api);
  custom = admin.makeApiClient(k8s.CustomObjectsApi);
  certs = admin.makeApiClient(k8s.CertificatesV1Api);
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function labelOperators(names: string[], tag: string): Promise<void> {
  for (const name of names) {
    await custom.patchClusterCustomObject(
      {
        group: 'config.openshift.io',
        version: 'v1',
        plural: 'clusteroperators',
        name,
        body: { metadata: { labels: { [LABEL]: `${run}-${tag}` } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }
}
async function labelNodes(names: string[], tag: string): Promise<void> {
  for (const name of names)
    await core.patchNode(
      { name, body: { metadata: { labels: { [LABEL]: `${run}-${tag}` } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
}

/** Operators of this test (unique names), labelled, in a state. */
async function operators(tag: string, count: number, state = STABLE): Promise<Operators> {
  const ops = new Operators({ names: Array.from({ length: count }, (_, i) => `${run}-${tag}-${i}`) });
  cleanups.push(() => ops.remove());
  await ops.install(state);
  await labelOperators(ops.names, tag);
  return ops;
}

/** Kubelets of this test, started and labelled. */
async function kubelets(
  tag: string,
  counts: { masters: number; workers: number },
  options: ConstructorParameters<typeof Kubelets>[2] = {},
): Promise<Kubelets> {
  const k = new Kubelets(`${run}-${tag}`, counts, options);
  cleanups.push(() => k.remove());
  await k.start();
  await labelNodes(
    k.nodes.map((n) => n.name),
    tag,
  );
  return k;
}

function module(
  tag: string,
  name: 'hotstack_revive' | 'hotstack_prepare',
  args: Record<string, unknown>,
  options: Parameters<typeof runModuleTask>[2] = {},
): Promise<PlaybookRun> {
  return runModuleTask(
    name,
    { kubeconfig: paths.kubeconfigModules, node_selector: selectorOf(tag), operator_selector: selectorOf(tag), ...args },
    options,
  );
}

/** A loopback proxy in front of the API (requests logged), and a kubeconfig file for the modules through it. */
async function proxied(): Promise<{ proxy: FaultProxy; kubeconfig: string }> {
  const proxy = new FaultProxy();
  await proxy.start();
  cleanups.push(() => proxy.stop());
  const dir = mkdtempSync(join(tmpdir(), 'hotstack-proxy-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, proxy.kubeConfigYaml(modulesConfig()), { mode: 0o600 });
  return { proxy, kubeconfig };
}

/** Resolves once the module sent a request matching `pattern` (so an event can follow it, whatever Ansible's start-up took). */
async function sent(proxy: FaultProxy, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proxy.requests.some((r) => pattern.test(r.path))) {
    if (Date.now() > deadline) throw new Error(`no request matching ${pattern} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Step = { step: string; outcome: string; duration_seconds: number; msg?: string; [k: string]: unknown };
const steps = (r: PlaybookRun) => (r.result?.steps ?? []) as Step[];
/** When a step ended (ms epoch), from its start and duration. */
const endOf = (s: Step | undefined) => Date.parse(String(s?.started)) + (s?.duration_seconds ?? NaN) * 1000;
const nodeOf = (name: string) => core.readNode({ name });

test('stable cluster: wait_stable returns just after the period', async () => {
  await operators('stable', 3);
  const r = await module('stable', 'hotstack_revive', { steps: [{ wait_stable: '2s' }] });
  assert.ok(!r.result?.failed, r.output);
  assert.equal(r.result?.changed, false);
  const [s] = steps(r);
  assert.equal(s?.outcome, 'ok');
  // at least the period (the module's own clock), and then no later than its list and watch allow
  assert.ok(s!.duration_seconds >= 2, `duration ${s?.duration_seconds}`);
  assert.ok(s!.duration_seconds <= 2 + MODULE_LATENCY_MS / 1000, `duration ${s?.duration_seconds}`);
});

test('flapping operator resets the timer; held_back names it', async () => {
  const ops = await operators('flap', 2);
  const name = ops.names[0]!;
  // Flap 4 times, 700 ms apart: stability cannot last 2 s until ~2.8 s after the start.
  const flapping = ops.run(flap(name, PROGRESSING, STABLE, 700, 16, 1000));
  const r = await module('flap', 'hotstack_revive', { steps: [{ wait_stable: '2s' }] });
  await flapping;
  assert.equal(steps(r)[0]?.outcome, 'ok', r.output);
  // the last change could not be seen before it was sent, nor later than its answer plus a watch event's way
  const { sentAt, at } = ops.applied.at(-1)!;
  const end = endOf(steps(r)[0]);
  assert.ok(Date.parse(String(steps(r)[0]?.started)) < sentAt.getTime() - 2000, 'the module started while the operator was still flapping');
  // Each flap restarted the timer: the wait ends only once the last change is 2 s old, and soon after.
  assert.ok(end >= sentAt.getTime() + 2000, `ended ${end - sentAt.getTime()} ms after the last flap was sent`);
  assert.ok(end <= at.getTime() + 2000 + MODULE_LATENCY_MS, `ended ${end - at.getTime()} ms after the last flap was made (watch latency)`);
  const held = r.result?.held_back as { name: string; last_reason: string }[];
  assert.equal(held[0]?.name, name);
  assert.equal(held[0]?.last_reason, 'progressing');
});

test('operator with missing conditions is unstable until they appear; never → timeout names it', async () => {
  const ops = await operators('missing', 2);
  await ops.set(ops.names[1]!, MISSING);
  const fixing = ops.run([{ atMs: 12_000, operator: ops.names[1]!, state: STABLE }]);
  const r = await module('missing', 'hotstack_revive', { steps: [{ wait_stable: '1s' }] });
  await fixing;
  assert.equal(steps(r)[0]?.outcome, 'ok', r.output);
  const fixSent = ops.applied.at(-1)!.sentAt.getTime();
  assert.ok(Date.parse(String(steps(r)[0]?.started)) < fixSent, 'the module started before the fix');
  assert.ok(endOf(steps(r)[0]) >= fixSent + 1000, `ended ${endOf(steps(r)[0]) - fixSent} ms after the fix was sent`);

  await ops.set(ops.names[1]!, MISSING);
  const never = await module('missing', 'hotstack_revive', { steps: [{ wait_stable: '1s', timeout: '4s' }] });
  assert.equal(never.result?.failed, true);
  assert.equal(steps(never)[0]?.outcome, 'timed out');
  assert.match(String(never.result?.msg), new RegExp(`${ops.names[1]} \\(unavailable \\(no Available condition\\)`));
  assert.doesNotMatch(never.output, /\n\s+at .*\.ts:\d+/, 'no stack trace');
});

/**
 * The test's own view of the API during a restart: the request the module's wait makes (a
 * ClusterOperator list with the modules' credentials), every 100 ms. `lastFailureSentAt`: when the
 * last request that failed before the first good answer was sent (the API could not answer it: it was
 * not back yet); `firstAnswerAt`: when that first good answer arrived (it was back by then).
 */
function probeApi(): { stop: () => Promise<{ lastFailureSentAt: number; firstAnswerAt: number }> } {
  const client = new ClusterClient(loadKubeconfig({ kubeconfig: paths.kubeconfigModules }));
  let stopping = false;
  let lastFailureSentAt = Number.NaN;
  let firstAnswerAt = Number.NaN;
  const loop = (async () => {
    // after stop(): on until the first good answer after a failure (bounded: a probe that saw no outage stops)
    const more = () => !Number.isNaN(lastFailureSentAt) && Number.isNaN(firstAnswerAt) && Date.now() - lastFailureSentAt < 60_000;
    while (!stopping || more()) {
      const sentAt = Date.now();
      try {
        await client.request('GET', '/apis/config.openshift.io/v1/clusteroperators?limit=1', { what: 'probe', timeoutMs: 1000 });
        if (!Number.isNaN(lastFailureSentAt) && Number.isNaN(firstAnswerAt)) firstAnswerAt = Date.now();
      } catch {
        if (Number.isNaN(firstAnswerAt)) lastFailureSentAt = sentAt;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await loop;
      return { lastFailureSentAt, firstAnswerAt };
    },
  };
}

test('API server restarted mid-wait: the timer restarts when it is back, the wait still ends stable', async () => {
  await operators('restart', 2);
  // the executable itself (no Ansible start-up to guess): the restart follows the module's own
  // "all clusteroperators are stable" line, i.e. its timer is running
  const child = executable('restart', 'hotstack_revive', { steps: [{ wait_stable: '25s' }] });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/all clusteroperators are stable/.test(stderr)) resolve();
    });
    child.then(() => reject(new Error(`the module ended before its wait began: ${stderr}`)), reject);
  });
  const probe = probeApi();
  const stopping = Date.now();
  await restartApiserver();
  const { lastFailureSentAt, firstAnswerAt } = await probe.stop();
  assert.ok(lastFailureSentAt >= stopping && firstAnswerAt > lastFailureSentAt, 'the probe saw the API go away and come back');
  const done = await child;
  const result = JSON.parse(done.stdout.trim()) as Record<string, unknown>;
  const step = (result.steps as Step[])[0];
  assert.equal(step?.outcome, 'ok', done.stdout);
  assert.ok(Date.parse(String(step?.started)) < stopping, 'the module was waiting when the restart began');
  assert.ok((step?.api_errors as number) >= 1, `the restart was seen: ${JSON.stringify(step)}`);
  // The timer restarts at the module's first good answer after the outage: not before the API was
  // back (after lastFailureSentAt; 100 ms for a request that raced the probe's), and at most its
  // retry backoff (2 s) and a request after the probe's first answer.
  const end = endOf(step);
  assert.ok(end >= lastFailureSentAt - 100 + 25_000, `ended ${end - lastFailureSentAt} ms after the API was last seen away`);
  assert.ok(end <= firstAnswerAt + 25_000 + 2000 + MODULE_LATENCY_MS, `ended ${end - firstAnswerAt} ms after the API's first answer`);
});

test('route API late, then never: wait_route_api waits, then times out with a message', async () => {
  await setRouteApiAvailable(false);
  cleanups.push(() => setRouteApiAvailable(true));
  const { proxy, kubeconfig } = await proxied();
  const pending = module('misc', 'hotstack_revive', { kubeconfig, steps: [{ wait_route_api: null, timeout: '60s' }] });
  await sent(proxy, /^\/apis(\?|$)/);
  await new Promise((r) => setTimeout(r, 1500));
  // the moment the route API is served as the module checks it, seen by the same check of the test's own every 100 ms
  const seen = waitGroupVersion(new ClusterClient(loadKubeconfig({ kubeconfig: paths.kubeconfigModules })), 'route.openshift.io/v1', {
    signal: AbortSignal.timeout(60_000),
    log: () => {},
    intervalMs: 100,
  }).then(() => Date.now());
  await setRouteApiAvailable(true);
  const servedAt = await seen;
  const r = await pending;
  assert.equal(steps(r)[0]?.outcome, 'ok', r.output);
  assert.ok(Number(steps(r)[0]?.attempts) > 1, 'it had to wait');
  // the module polls every second: it notices within that and a round trip of the probe's first sight
  assert.ok(
    endOf(steps(r)[0]) <= servedAt + 1000 + MODULE_LATENCY_MS,
    `noticed ${endOf(steps(r)[0]) - servedAt} ms after the route API was served`,
  );
  await setRouteApiAvailable(false);
  const never = await module('misc', 'hotstack_revive', { steps: [{ wait_route_api: null, timeout: '3s' }] });
  assert.equal(never.result?.failed, true);
  assert.match(
    String(never.result?.msg),
    /step 1 \(wait_route_api\) timed out: wait for route.openshift.io\/v1: timed out after 3s \(last: route.openshift.io\/v1 is not served yet/,
  );
  await setRouteApiAvailable(true);
});

test('cordon / uncordon: parallel, idempotent, changed only on a real change; check mode changes nothing', async () => {
  const k = await kubelets('cordon', { masters: 3, workers: 0 });
  const names = k.nodes.map((n) => n.name);
  const first = await module('cordon', 'hotstack_prepare', { steps: ['cordon'] });
  assert.equal(first.result?.changed, true, first.output);
  assert.deepEqual(first.result?.nodes_touched, [...names].sort());
  for (const name of names) assert.equal((await nodeOf(name)).spec?.unschedulable, true);
  const again = await module('cordon', 'hotstack_prepare', { steps: ['cordon'] });
  assert.equal(again.result?.changed, false);
  assert.deepEqual(again.result?.nodes_touched, []);
  const check = await module('cordon', 'hotstack_revive', { steps: ['uncordon'] }, { check: true });
  assert.equal(check.result?.changed, true);
  assert.equal(steps(check)[0]?.outcome, 'would change');
  for (const name of names) assert.equal((await nodeOf(name)).spec?.unschedulable, true, 'check mode uncordoned');
  const un = await module('cordon', 'hotstack_revive', { steps: ['uncordon'] });
  assert.equal(un.result?.changed, true);
  for (const name of names) assert.ok(!(await nodeOf(name)).spec?.unschedulable);
  const unAgain = await module('cordon', 'hotstack_revive', { steps: ['uncordon'] });
  assert.equal(unAgain.result?.changed, false);
});

test('shutdown of 3 nodes in parallel: debug pods as oc makes them, all NotReady, nothing left behind', async () => {
  const k = await kubelets('down', { masters: 3, workers: 0 }, { minuteMs: 1000 });
  // The lab is shared (another run's debug namespace may be there): only those made by this run count.
  const debugNamespaces = async () =>
    (await core.listNamespace()).items.filter((n) => n.metadata?.name?.startsWith('openshift-debug-') && !n.metadata.deletionTimestamp);
  const before = new Set((await debugNamespaces()).map((n) => n.metadata?.name));
  const r = await module('down', 'hotstack_prepare', {
    steps: [{ shutdown: null, timeout: '2m' }],
    debug_image: 'quay.io/example/tools:latest',
  });
  assert.equal(steps(r)[0]?.outcome, 'changed', r.output);
  const scheduled = k.nodes.map((n) => n.journal.find((e) => e.event === 'shutdown-scheduled'));
  assert.ok(scheduled.every(Boolean), 'every node got its shutdown pod');
  const times = scheduled.map((e) => e!.at.getTime());
  assert.ok(Math.max(...times) - Math.min(...times) < 1500, `pods ran in parallel (spread ${Math.max(...times) - Math.min(...times)} ms)`);
  for (const e of scheduled) assert.deepEqual((e!.detail as { argv: string[] }).argv, ['chroot', '/host', 'shutdown', '-h', '+1']);
  for (const node of k.nodes) {
    const ready = (await nodeOf(node.name)).status?.conditions?.find((c) => c.type === 'Ready');
    assert.notEqual(ready?.status, 'True', `${node.name} still Ready`);
  }
  const pods = await core.listPodForAllNamespaces({ labelSelector: 'debug.openshift.io/managed-by=oc-debug' });
  assert.deepEqual(
    pods.items.filter((p) => k.nodes.some((n) => n.name === p.spec?.nodeName)).map((p) => p.metadata?.name),
    [],
    'debug pods left',
  );
  const leftNs = (await debugNamespaces()).filter((n) => !before.has(n.metadata?.name));
  assert.deepEqual(
    leftNs.map((n) => n.metadata?.name),
    [],
    'debug namespaces left',
  );
});

test('revive of a cluster whose kubelet certificates expired: CSRs approved, nodes Ready, certificates issued', async () => {
  const k = await kubelets('revive', { masters: 3, workers: 0 });
  for (const node of k.nodes) await node.powerOff();
  // Wait until the node lifecycle controller has seen them go (Ready not True).
  for (let i = 0; i < 60; i++) {
    const states = await Promise.all(
      k.nodes.map(async (n) => (await nodeOf(n.name)).status?.conditions?.find((c) => c.type === 'Ready')?.status),
    );
    if (states.every((s) => s !== 'True')) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  // The kubelet actor re-creates its Lease on boot (it replaces without a resourceVersion): start from none.
  const coordination = admin.makeApiClient(k8s.CoordinationV1Api);
  for (const node of k.nodes)
    await coordination.deleteNamespacedLease({ name: node.name, namespace: 'kube-node-lease' }).catch(() => undefined);
  const booting = Promise.all(k.nodes.map((n) => n.boot({ certificates: 'csr' })));
  const r = await module('revive', 'hotstack_revive', { steps: ['wait_api', { approve_csrs: null, timeout: '2m' }] });
  await booting;
  assert.ok(!r.result?.failed, r.output);
  const approved = r.result?.csrs_approved as { name: string; node: string; signer: string; issued: boolean }[];
  assert.equal(approved.length, 6, JSON.stringify(approved));
  for (const node of k.nodes) {
    const mine = approved
      .filter((a) => a.node === node.name)
      .map((a) => a.signer)
      .sort();
    assert.deepEqual(mine, ['kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving']);
    assert.deepEqual(
      approved
        .filter((a) => a.node === node.name)
        .map((a) => a.name)
        .sort(),
      [...node.csrNames].sort(),
    );
  }
  assert.ok(
    approved.every((a) => a.issued),
    'every approved CSR has its certificate',
  );
  for (const node of k.nodes) assert.equal((await nodeOf(node.name)).status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
});

test('forged CSRs are left alone and reported', async () => {
  const k = await kubelets('forged', { masters: 1, workers: 0 });
  const node = k.nodes[0]!.name;
  const bootstrap = bootstrapConfig().makeApiClient(k8s.CertificatesV1Api);
  const file = async (api: k8s.CertificatesV1Api, signerName: string, cn: string, o: string[], usages: string[], sans = {}) => {
    const name = uniqueName(`${run}-forged`);
    const request = await createCsr(generateKey(), { cn, o }, sans);
    await api.createCertificateSigningRequest({
      body: {
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name },
        spec: { request: Buffer.from(request).toString('base64'), signerName, usages },
      },
    });
    cleanups.push(() => certs.deleteCertificateSigningRequest({ name }));
    return name;
  };
  const forged = {
    wrongSigner: await file(
      bootstrap,
      'kubernetes.io/kube-apiserver-client',
      `system:node:${node}`,
      ['system:nodes'],
      ['digital signature', 'client auth'],
    ),
    unknownNode: await file(
      bootstrap,
      'kubernetes.io/kube-apiserver-client-kubelet',
      `system:node:${run}-ghost`,
      ['system:nodes'],
      ['digital signature', 'client auth'],
    ),
    extraUsages: await file(
      bootstrap,
      'kubernetes.io/kube-apiserver-client-kubelet',
      `system:node:${node}`,
      ['system:nodes'],
      ['digital signature', 'client auth', 'server auth'],
    ),
    wrongOrg: await file(
      bootstrap,
      'kubernetes.io/kube-apiserver-client-kubelet',
      `system:node:${node}`,
      ['system:masters'],
      ['digital signature', 'client auth'],
    ),
    notANode: await file(
      certs,
      'kubernetes.io/kubelet-serving',
      `system:node:${node}`,
      ['system:nodes'],
      ['digital signature', 'server auth'],
      { dnsNames: [node] },
    ),
    namesNotNodes: await file(
      bootstrap,
      'kubernetes.io/kube-apiserver-client-kubelet',
      `system:node:${node}`,
      ['system:nodes'],
      ['digital signature', 'client auth'],
      { dnsNames: ['api.example.com'] },
    ),
  };
  const r = await module('forged', 'hotstack_revive', { steps: ['approve_csrs'] });
  assert.ok(!r.result?.failed, r.output);
  assert.deepEqual(r.result?.csrs_approved, []);
  const left = new Map((r.result?.csrs_left_alone as { name: string; reason: string }[]).map((l) => [l.name, l.reason]));
  assert.match(left.get(forged.wrongSigner) ?? '', /not a kubelet signer/);
  assert.match(left.get(forged.unknownNode) ?? '', /is not a node of this cluster/);
  assert.match(left.get(forged.extraUsages) ?? '', /usages server auth are not allowed/);
  assert.match(left.get(forged.wrongOrg) ?? '', /O is \["system:masters"\]/);
  assert.match(left.get(forged.notANode) ?? '', /not by a node/);
  assert.match(left.get(forged.namesNotNodes) ?? '', /must not carry DNS or IP names/);
  for (const name of Object.values(forged)) {
    const csr = await certs.readCertificateSigningRequest({ name });
    assert.deepEqual(csr.status?.conditions ?? [], [], `${name} was touched`);
  }
});

test('wrong credentials and a missing RBAC permission fail with a message naming them, no stack trace, no token', async () => {
  const none = await runModuleTask('hotstack_revive', { kubeconfig: paths.kubeconfigNone, steps: ['uncordon'] });
  assert.equal(none.result?.failed, true);
  assert.match(
    String(none.result?.msg),
    /permission denied \(403\): nodes is forbidden: User "system:serviceaccount:clusterlab:nobody" cannot list resource "nodes"/,
  );
  const token = /token: (\S+)/.exec(readFileSync(paths.kubeconfigModules, 'utf8'))?.[1] ?? '';
  const wrong = await runModuleTask(
    'hotstack_revive',
    {
      kubeconfig: {
        apiVersion: 'v1',
        clusters: [
          {
            name: 'lab',
            cluster: {
              server: new k8s.KubeConfig().getCurrentCluster()?.server ?? adminConfig().getCurrentCluster()!.server,
              'certificate-authority': paths.caCert,
            },
          },
        ],
        users: [{ name: 'u', user: { token: `${token.slice(0, -4)}XXXX` } }],
        contexts: [{ name: 'c', context: { cluster: 'lab', user: 'u' } }],
        'current-context': 'c',
      },
      steps: ['wait_api'],
    },
    { verbosity: 3 },
  );
  assert.equal(wrong.result?.failed, true);
  assert.match(String(wrong.result?.msg), /rejected the credentials of the inline kubeconfig \(401 Unauthorized\)/);
  assert.ok(!wrong.output.includes(token.slice(0, -4)), 'the token was printed');
});

test('credentials are never printed at -vvv, even on success', async () => {
  await operators('vvv', 1);
  const text = readFileSync(paths.kubeconfigModules, 'utf8');
  const token = /token: (\S+)/.exec(text)?.[1];
  assert.ok(token && token.length > 20);
  const r = await module('vvv', 'hotstack_revive', { steps: [{ wait_stable: '1s' }] }, { verbosity: 3 });
  assert.equal(steps(r)[0]?.outcome, 'ok', r.output);
  assert.ok(!r.output.includes(token!), 'token printed');
  const inline = (await import('js-yaml')).load(text) as Record<string, unknown>;
  const r2 = await module('vvv', 'hotstack_revive', { kubeconfig: inline, steps: [{ wait_stable: '1s' }] }, { verbosity: 3 });
  assert.equal(steps(r2)[0]?.outcome, 'ok', r2.output);
  assert.ok(!r2.output.includes(token!), 'inline token printed');
  assert.match(r2.output, /\*\*\*\*\*\*\*\*/);
});

test('prepare: just installed → waits until the bootstrap signer is dead (or says it cannot within the timeout); rotated → no wait; forced → rotated now', async () => {
  const certsActor = new Certificates(admin);
  cleanups.push(() => certsActor.remove());
  const fresh = await certsActor.installScenario('fresh');
  const bootstrapEnd = certInfo(fresh.signerSigner.certPem).notAfter;
  const check = await module('misc', 'hotstack_prepare', { steps: ['wait_cert_rotation'] }, { check: true });
  assert.ok(!check.result?.failed, check.output);
  assert.equal(steps(check)[0]?.outcome, 'would wait', 'the documented check-mode outcome of a wait still ahead');
  assert.equal(check.result?.changed, false);
  const checkForced = await module(
    'misc',
    'hotstack_prepare',
    { steps: ['wait_cert_rotation'], force_cert_rotation: true },
    { check: true },
  );
  assert.equal(steps(checkForced)[0]?.outcome, 'would change', checkForced.output);
  assert.equal(checkForced.result?.changed, true);
  const decision = check.result?.cert_rotation as { rotated: boolean; wait_until: string };
  assert.equal(decision.rotated, false);
  assert.equal(decision.wait_until, new Date(bootstrapEnd.getTime() + 10 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  const short = await module('misc', 'hotstack_prepare', { steps: [{ wait_cert_rotation: null, timeout: '1m' }] });
  assert.equal(short.result?.failed, true);
  assert.match(
    String(short.result?.msg),
    /first kubelet certificate rotation is due at .*, after this step's deadline .*force_cert_rotation: true/,
  );
  assert.ok(steps(short)[0]!.duration_seconds < 5, 'failed at once rather than waiting');

  // The rotated chain, with a signer CN short enough for openssl (the operator's own name exceeds 64 characters).
  const t0 = new Date(Date.now() - 2 * 3_600_000);
  const signerSigner = await createCertificate({
    subject: { cn: `csr-signer-signer@${Math.floor(t0.getTime() / 1000)}` },
    notBefore: t0,
    notAfter: new Date(t0.getTime() + 60 * 86_400_000),
    kind: 'ca',
  });
  const csrSigner = await createCertificate({
    subject: { cn: `kube-csr-signer_@${Math.floor(t0.getTime() / 1000)}` },
    notBefore: t0,
    notAfter: new Date(t0.getTime() + 30 * 86_400_000),
    kind: 'ca',
    issuer: signerSigner,
  });
  await certsActor.write(SIGNER_SIGNER, signerSigner, false);
  await certsActor.write(CSR_SIGNER_REF, csrSigner, true);
  const rotated = { signerSigner, csrSigner };
  const r = await module('misc', 'hotstack_prepare', { steps: ['wait_cert_rotation'] });
  assert.ok(!r.result?.failed, r.output);
  assert.equal(steps(r)[0]?.waited_seconds, 0);
  assert.equal((r.result?.cert_rotation as { rotated: boolean }).rotated, true);
  const csrEnd = certInfo(rotated.csrSigner.certPem)
    .notAfter.toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
  assert.deepEqual(r.result?.snapset_properties, { hotstack_revivable_without_csr_until: csrEnd });

  // Forced: a fresh cluster, the operator actor regenerates what the module invalidates.
  const fresh2 = await certsActor.installScenario('fresh');
  const bootstrapEnd2 = certInfo(fresh2.signerSigner.certPem).notAfter;
  const operator = new SignerRegenerator(certsActor);
  operator.start(300);
  cleanups.push(async () => operator.stop());
  const forced = await module('misc', 'hotstack_prepare', {
    steps: [{ wait_cert_rotation: null, timeout: '1m' }],
    force_cert_rotation: true,
  });
  operator.stop();
  assert.ok(!forced.result?.failed, forced.output);
  assert.equal(forced.result?.changed, true);
  assert.equal(steps(forced)[0]?.forced, true);
  assert.ok(operator.rotations.length >= 1, 'the operator rotated');
  const props = forced.result?.snapset_properties as Record<string, string>;
  // Kubelets still hold bootstrap-signed certificates: without CSR approval only until the old signer's end.
  assert.equal(
    Date.parse(props.hotstack_revivable_without_csr_until!),
    Math.floor(bootstrapEnd2.getTime() / 1000) * 1000,
    JSON.stringify(props),
  );
});

function executable(tag: string, name: string, args: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'hotstack-sigterm-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'args'),
    JSON.stringify({ kubeconfig: paths.kubeconfigModules, node_selector: selectorOf(tag), operator_selector: selectorOf(tag), ...args }),
  );
  return execa(join(LIBRARY, name), [join(dir, 'args')], { reject: false, all: false });
}

test('SIGTERM during a wait: one JSON result, nodes as before the running step, no debug pod left', async () => {
  const k = await kubelets('term', { masters: 2, workers: 0 }, { minuteMs: 600_000 });
  const names = k.nodes.map((n) => n.name);
  const ops = await operators('term', 1, PROGRESSING);
  void ops;
  await module('term', 'hotstack_prepare', { steps: ['cordon'] });
  const child = executable('term', 'hotstack_revive', { steps: ['uncordon', { wait_stable: '5s' }] });
  await new Promise((r) => setTimeout(r, 4000));
  child.kill('SIGTERM');
  const done = await child;
  const lines = done.stdout.trim().split('\n');
  assert.equal(lines.length, 1, done.stdout);
  const result = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(result.failed, true);
  assert.match(String(result.msg), /SIGTERM/);
  assert.deepEqual(
    (result.steps as Step[]).map((s) => s.outcome),
    ['changed', 'interrupted'],
  );
  for (const name of names) assert.ok(!(await nodeOf(name)).spec?.unschedulable, `${name} left cordoned`);

  // Shutdown interrupted while waiting for the nodes to go down: the debug pods and namespace go.
  const down = executable('term', 'hotstack_prepare', {
    steps: [{ shutdown: null, timeout: '5m' }],
    debug_image: 'quay.io/example/tools:latest',
  });
  for (let i = 0; i < 40 && !k.nodes.every((n) => n.journal.some((e) => e.event === 'shutdown-scheduled')); i++)
    await new Promise((r) => setTimeout(r, 250));
  down.kill('SIGTERM');
  const ended = await down;
  const downResult = JSON.parse(ended.stdout.trim()) as Record<string, unknown>;
  assert.equal((downResult.steps as Step[])[0]?.outcome, 'interrupted', ended.stdout);
  const pods = await core.listPodForAllNamespaces({ labelSelector: 'debug.openshift.io/managed-by=oc-debug' });
  assert.deepEqual(
    pods.items.filter((p) => names.includes(p.spec?.nodeName ?? '')).map((p) => p.metadata?.name),
    [],
  );
});

test('an API that answers nothing: a step fails naming the server and "connection refused"; wait_api retries until its timeout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hotstack-dead-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const dead = join(dir, 'kubeconfig');
  // the modules' kubeconfig, its server moved to a loopback port where nothing listens
  writeFileSync(
    dead,
    readFileSync(paths.kubeconfigModules, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:16999'),
    {
      mode: 0o600,
    },
  );
  const step = await runModuleTask('hotstack_revive', { kubeconfig: dead, steps: ['uncordon'] });
  assert.equal(step.result?.failed, true);
  assert.match(String(step.result?.msg), /127\.0\.0\.1:16999/);
  assert.match(String(step.result?.msg), /connection refused/);
  assert.ok(!String(step.output).includes('    at '), 'no stack trace');

  const waited = await runModuleTask('hotstack_revive', { kubeconfig: dead, steps: [{ wait_api: null, timeout: '4s' }] });
  assert.equal(waited.result?.failed, true);
  const record = (waited.result?.steps as { outcome: string; msg: string; duration_seconds: number; attempts?: number }[])[0]!;
  assert.equal(record.outcome, 'timed out', JSON.stringify(record));
  assert.match(record.msg, /connection refused/);
  // the step's own clock (durations are rounded to the millisecond), not the playbook's run time
  assert.ok(record.duration_seconds >= 4 - 0.002, `it retried until the step timeout (${record.duration_seconds} s)`);
});

test('an API not ready yet (/readyz 503, then the node list 503) is waited for by wait_api, then the run goes on', async () => {
  const { proxy, kubeconfig } = await proxied();
  proxy.inject({ status: 503, count: 3, path: '/readyz' });
  proxy.inject({ status: 503, count: 2, path: '/api/v1/nodes?limit=1' });
  const r = await runModuleTask('hotstack_revive', { kubeconfig, steps: ['wait_api'] });
  assert.equal(r.result?.failed, false, r.output);
  const record = (r.result?.steps as { outcome: string; attempts: number }[])[0]!;
  assert.equal(record.outcome, 'ok');
  assert.ok(record.attempts >= 4, `attempts ${record.attempts}`);
});
