// labs/clusterlab/play.ts — puts a small OpenShift-shaped cluster into a running clusterlab, for a
// person to look at (`kubectl get clusteroperators,nodes,csr`) or to try the cluster modules on:
//   node labs/clusterlab/play.ts up [--for SECONDS]   (npm run clusterlab:play)
//   node labs/clusterlab/play.ts down                  (npm run clusterlab:play -- down)
// `up`: the fixture's ClusterOperators (stable), ClusterVersion "version", the signer secrets of a
// cluster whose first rotation happened, three masters whose kubelets heartbeat for --for seconds
// (default 20; then they stop and the nodes go NotReady after the lab's grace period) and one worker
// that boots without a certificate: its kubelet files a real client CSR as the node-bootstrapper and
// waits — the CSR stays Pending for `hotstack_revive`'s approve_csrs (or kubectl certificate approve).
// `down` removes exactly what `up` made (objects named play-*, the CSRs for those nodes).
import * as k8s from '@kubernetes/client-node';
import { parseCertificateRequest } from '../../lib/revive/csr.ts';
import { Certificates } from './certificates.ts';
import { Kubelet } from './kubelets.ts';
import { adminConfig, isUp, paths } from './lab.ts';
import { Operators } from './operators.ts';

const PREFIX = 'play';
const MASTERS = [0, 1, 2].map((i) => `${PREFIX}-master-${i}`);
const WORKER = `${PREFIX}-worker-0`;
const say = (line: string) => process.stdout.write(`clusterlab play: ${line}\n`);

async function up(seconds: number): Promise<void> {
  const operators = new Operators();
  const names = await operators.installFixture('clusteroperators-healthy.json');
  await operators.installClusterVersion({ installedAt: new Date(Date.now() - 2 * 86_400_000) });
  say(`${names.length} ClusterOperators (clusteroperators-healthy.json) and ClusterVersion "version" installed`);
  await new Certificates().installScenario('rotated');
  say('signer secrets of a rotated cluster installed (openshift-kube-controller-manager-operator/csr-signer, …)');

  const masters = MASTERS.map((name) => new Kubelet({ name, role: 'master' }));
  await Promise.all(masters.map((k) => k.start()));
  say(`${masters.length} masters heartbeating: ${MASTERS.join(', ')}`);

  const worker = new Kubelet({ name: WORKER, role: 'worker' });
  const booting = worker.boot({ certificates: 'csr' }).catch(() => undefined);
  const deadline = Date.now() + 30_000;
  while (!worker.csrNames.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  say(
    `${WORKER} booting without a certificate: CSR ${worker.csrNames[0] ?? '(none filed in 30 s)'} Pending (no Node until it is approved)`,
  );

  say(`look: kubectl --kubeconfig ${paths.kubeconfig} get clusteroperators,clusterversion,nodes,csr`);
  say(`kubelets stop in ${seconds}s (Ctrl-C stops them at once); the objects stay until: npm run clusterlab:play -- down`);
  const stop = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => {
        clearTimeout(timer);
        resolve();
      });
  });
  await stop;
  await Promise.all([...masters, worker].map((k) => k.stop()));
  await booting;
  say('kubelets stopped');
}

async function down(): Promise<void> {
  const kc = adminConfig();
  const certs = kc.makeApiClient(k8s.CertificatesV1Api);
  const mine = new Set([...MASTERS, WORKER]);
  let csrs = 0;
  for (const csr of (await certs.listCertificateSigningRequest()).items) {
    let cn = '';
    try {
      cn = parseCertificateRequest(csr.spec.request).commonName ?? '';
    } catch {
      continue;
    }
    if (!mine.has(cn.replace(/^system:node:/, ''))) continue;
    await certs.deleteCertificateSigningRequest({ name: csr.metadata!.name! }).catch(() => undefined);
    csrs++;
  }
  for (const name of mine) {
    await new Kubelet({ name, role: name.includes('master') ? 'master' : 'worker' }).remove();
  }
  const operators = new Operators();
  await operators.remove();
  await operators.removeClusterVersion();
  await new Certificates().remove();
  say(`removed: ${mine.size} nodes and their leases, ${csrs} CSR(s), the ClusterOperators, ClusterVersion, signer secrets`);
}

const [command = 'up', ...rest] = process.argv.slice(2);
const forAt = rest.indexOf('--for');
const seconds = forAt >= 0 ? Number(rest[forAt + 1]) : 20;
try {
  if (!(await isUp())) throw new Error('the clusterlab is not up: run npm run clusterlab:up first');
  if (command === 'up') {
    if (!Number.isFinite(seconds) || seconds < 0 || seconds > 86_400)
      throw new Error(`--for: seconds between 0 and 86400, not ${rest[forAt + 1]}`);
    await up(seconds);
  } else if (command === 'down') await down();
  else throw new Error(`unknown command ${command}: up [--for SECONDS] | down`);
  process.exit(0);
} catch (error) {
  process.stderr.write(`clusterlab play: ERROR: ${(error as Error).message}\n`);
  process.exit(1);
}
