// labs/clusterlab/lab.ts — where the clusterlab is and how a test reaches it: paths of the state folder
// and kubeconfigs, KubeConfig objects per identity, and the lab's process controls (restart the
// apiserver, pause etcd, make the route API unavailable). The lab itself is labs/clusterlab/lab.sh
// (`npm run clusterlab:up`); this file never starts it implicitly except through ensureUp().
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';

const run = promisify(execFile);

export { ROOT } from '../repo.ts';
export const LAB_SH = join(dirname(fileURLToPath(import.meta.url)), 'lab.sh');
export const STATE = process.env.CLUSTERLAB_STATE ?? '/tmp/clusterlab';

export const paths = {
  state: STATE,
  /** admin: client certificate of system:masters */
  kubeconfig: join(STATE, 'kubeconfig'),
  /** bearer token of clusterlab/hotstack-modules, RBAC in labs/clusterlab/rbac-modules.yaml */
  kubeconfigModules: join(STATE, 'kubeconfig-modules'),
  /** bearer token of clusterlab/nobody: authenticated, no permissions beyond discovery */
  kubeconfigNone: join(STATE, 'kubeconfig-none'),
  /** actors' identities, RBAC in labs/clusterlab/rbac-actors.yaml */
  kubeconfigOperators: join(STATE, 'kubeconfig-operators'),
  kubeconfigKubelets: join(STATE, 'kubeconfig-kubelets'),
  /** openshift-machine-config-operator/node-bootstrapper: files kubelet client CSRs */
  kubeconfigBootstrap: join(STATE, 'kubeconfig-bootstrap'),
  caCert: join(STATE, 'pki/ca.crt'),
  /** the CA kube-controller-manager signs CSRs with (replaced by the signer-operator actor) */
  csrSignerCert: join(STATE, 'pki/csr-signer.crt'),
  csrSignerKey: join(STATE, 'pki/csr-signer.key'),
  /** CAs the apiserver accepts client certificates from (lab CA + every csr-signer) */
  clientCa: join(STATE, 'pki/client-ca.crt'),
  log: (component: 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'setup' | 'build') => join(STATE, 'log', `${component}.log`),
} as const;

export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager';

/** KEY=value pairs lab.sh wrote (CLUSTERLAB_API_URL, CLUSTERLAB_NODE_GRACE, versions …). */
export function labEnv(): Record<string, string> {
  const file = join(STATE, 'lab.env');
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run clusterlab:up first`);
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

export function apiUrl(): string {
  return labEnv().CLUSTERLAB_API_URL!;
}

/** node-monitor-grace-period of the lab's kube-controller-manager, in ms. */
export function nodeGraceMs(): number {
  return Number.parseFloat(labEnv().CLUSTERLAB_NODE_GRACE ?? '8s') * 1000;
}

export function kubeConfig(file: string): k8s.KubeConfig {
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run clusterlab:up first`);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  return kc;
}
export const adminConfig = () => kubeConfig(paths.kubeconfig);
export const modulesConfig = () => kubeConfig(paths.kubeconfigModules);
export const noneConfig = () => kubeConfig(paths.kubeconfigNone);
export const operatorsConfig = () => kubeConfig(paths.kubeconfigOperators);
export const kubeletsConfig = () => kubeConfig(paths.kubeconfigKubelets);
export const bootstrapConfig = () => kubeConfig(paths.kubeconfigBootstrap);

/** True when lab.sh status says every process runs and the API is ready. */
export async function isUp(): Promise<boolean> {
  try {
    await lab('status');
    return true;
  } catch {
    return false;
  }
}

/** Brings the lab up (idempotent; a cold build takes long, see the README). */
export async function ensureUp(): Promise<void> {
  await lab('up');
}

async function lab(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('bash', [LAB_SH, ...args], { env: { ...process.env, CLUSTERLAB_STATE: STATE }, maxBuffer: 8 << 20 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(
      `labs/clusterlab/lab.sh ${args.join(' ')} failed: ${(e.stderr || e.stdout || e.message).trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
}

export const stopComponent = (c: Component) => lab('stop', c).then(() => undefined);
export const startComponent = (c: Component) => lab('start', c).then(() => undefined);
/** Stops kube-apiserver (SIGTERM; open watches end) and starts it again; resolves once /readyz is 200. */
export const restartApiserver = () => lab('restart', 'kube-apiserver').then(() => undefined);
export const restartControllerManager = () => lab('restart', 'kube-controller-manager').then(() => undefined);

/**
 * Freezes etcd (SIGSTOP) for ms milliseconds (bounded to 60 s), then resumes it: a slow / hung etcd.
 * `onPaused` is called once etcd is frozen; the result says when the pause was in place (`pausedAt`,
 * after the SIGSTOP) and when the resume was asked for (`resumingAt`, before the SIGCONT): the
 * events a test's timing bounds are made of, not when this helper returned.
 */
export async function pauseEtcd(ms: number, onPaused?: () => void): Promise<{ pausedAt: number; resumingAt: number }> {
  const bounded = Math.min(Math.max(ms, 0), 60_000);
  await lab('pause', 'etcd');
  const pausedAt = Date.now();
  let resumingAt = pausedAt;
  try {
    onPaused?.();
    await new Promise((r) => setTimeout(r, bounded));
  } finally {
    resumingAt = Date.now();
    await lab('resume', 'etcd');
  }
  return { pausedAt, resumingAt };
}

/** A name unique to this test run: prefix + 6 hex chars (DNS-1123). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

// ---- route.openshift.io availability (openshift-apiserver down / up) ----

const ROUTE_APISERVICE = 'v1.route.openshift.io';
const AUTOMANAGED = 'kube-aggregator.kubernetes.io/automanaged';
/** A loopback port nothing listens on: the backend of the "down" openshift-apiserver. */
export const DEAD_BACKEND_PORT = 16999;

/**
 * available=false: point the APIService v1.route.openshift.io at openshift-apiserver/api, an
 * ExternalName service on 127.0.0.1:DEAD_BACKEND_PORT where nothing answers, as on a cluster whose
 * openshift-apiserver is not up: discovery reports the group as failing, requests get 503.
 * available=true: hand the APIService back to the CRD (local), the way the apiserver registers it.
 * Resolves once discovery of route.openshift.io/v1 reflects the wanted state.
 */
export async function setRouteApiAvailable(available: boolean, timeoutMs = 30_000): Promise<void> {
  const kc = adminConfig();
  const reg = kc.makeApiClient(k8s.ApiregistrationV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  if (!available) {
    const svc: k8s.V1Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: 'openshift-apiserver' },
      spec: { type: 'ExternalName', externalName: 'localhost', ports: [{ name: 'https', port: DEAD_BACKEND_PORT, protocol: 'TCP' }] },
    };
    await core.replaceNamespacedService({ name: 'api', namespace: 'openshift-apiserver', body: svc }).catch(async (e: unknown) => {
      if ((e as { code?: number }).code === 404) await core.createNamespacedService({ namespace: 'openshift-apiserver', body: svc });
      else throw e;
    });
  }
  const current = await reg.readAPIService({ name: ROUTE_APISERVICE });
  const labels = { ...current.metadata?.labels };
  if (available) labels[AUTOMANAGED] = 'true';
  else delete labels[AUTOMANAGED];
  const body: k8s.V1APIService = {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: ROUTE_APISERVICE, labels, resourceVersion: current.metadata?.resourceVersion },
    spec: available
      ? {
          group: 'route.openshift.io',
          version: 'v1',
          groupPriorityMinimum: current.spec?.groupPriorityMinimum ?? 1000,
          versionPriority: current.spec?.versionPriority ?? 100,
        }
      : {
          group: 'route.openshift.io',
          version: 'v1',
          groupPriorityMinimum: 9900,
          versionPriority: 15,
          insecureSkipTLSVerify: true,
          service: { namespace: 'openshift-apiserver', name: 'api', port: DEAD_BACKEND_PORT },
        },
  };
  await reg.replaceAPIService({ name: ROUTE_APISERVICE, body });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await discoveryStatus(kc, '/apis/route.openshift.io/v1');
    if ((status === 200) === available) return;
    if (Date.now() > deadline)
      throw new Error(
        `route.openshift.io/v1 discovery still answers ${status} after ${timeoutMs} ms (wanted ${available ? 'served' : 'unavailable'})`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** HTTP status of a GET on an API path with the given identity (no retries). */
export async function discoveryStatus(kc: k8s.KubeConfig, path: string): Promise<number> {
  const { request } = await import('node:https');
  const cluster = kc.getCurrentCluster()!;
  const opts: import('node:https').RequestOptions = { method: 'GET', timeout: 10_000, headers: {} };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = request(`${cluster.server}${path}`, opts, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.end();
  });
}
