// labs/clusterlab/setup.ts — run by lab.sh once the apiserver is ready: installs OpenShift's CRDs (from the
// pinned github.com/openshift/api module), the namespaces OpenShift has, the RBAC of the modules and of
// the actors, and writes a token kubeconfig per service account into the state folder. Idempotent:
// everything is server-side applied, tokens are requested anew each time (older ones stay valid).
// Usage: node labs/clusterlab/setup.ts <state>

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';

const here = dirname(fileURLToPath(import.meta.url));
const state = process.argv[2] ?? process.env.CLUSTERLAB_STATE ?? '/tmp/clusterlab';
const env = Object.fromEntries(
  readFileSync(join(state, 'lab.env'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
) as Record<string, string>;

/** Namespaces a real OpenShift cluster has and the lab's actors or tests use. */
export const NAMESPACES = [
  'clusterlab',
  'openshift-apiserver',
  'openshift-kube-apiserver-operator',
  'openshift-kube-controller-manager',
  'openshift-kube-controller-manager-operator',
  'openshift-machine-config-operator',
];

/** Service accounts that get a token kubeconfig: file name → namespace/name. */
export const TOKEN_KUBECONFIGS: Record<string, [string, string]> = {
  'kubeconfig-modules': ['clusterlab', 'hotstack-modules'],
  'kubeconfig-none': ['clusterlab', 'nobody'],
  'kubeconfig-operators': ['clusterlab', 'operators'],
  'kubeconfig-kubelets': ['clusterlab', 'kubelets'],
  'kubeconfig-bootstrap': ['openshift-machine-config-operator', 'node-bootstrapper'],
};

const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const kc = new k8s.KubeConfig();
kc.loadFromFile(join(state, 'kubeconfig'));
const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
const core = kc.makeApiClient(k8s.CoreV1Api);

async function apply(obj: k8s.KubernetesObject): Promise<void> {
  delete (obj.metadata as { creationTimestamp?: unknown }).creationTimestamp;
  await objects.patch(obj, undefined, undefined, 'clusterlab', true, k8s.PatchStrategy.ServerSideApply);
  log(`applied ${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name}`);
}

async function applyFile(file: string): Promise<void> {
  for (const doc of k8s.loadAllYaml(readFileSync(file, 'utf8'))) if (doc) await apply(doc as k8s.KubernetesObject);
}

async function waitEstablished(name: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const crd = await ext.readCustomResourceDefinition({ name });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after 60 s`);
    await sleep(250);
  }
}

function tokenKubeconfig(user: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: clusterlab',
    '  cluster:',
    `    server: ${env.CLUSTERLAB_API_URL}`,
    `    certificate-authority: ${join(state, 'pki/ca.crt')}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: clusterlab',
    `  context: {cluster: clusterlab, user: ${user}}`,
    'current-context: clusterlab',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const crdDir = env.CLUSTERLAB_CRDS!;
  for (const file of readdirSync(crdDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const crd = k8s.loadYaml<k8s.V1CustomResourceDefinition>(readFileSync(join(crdDir, file), 'utf8'));
    await apply(crd as k8s.KubernetesObject);
    await waitEstablished(crd.metadata!.name!);
    log(`CRD ${crd.metadata!.name} established`);
  }
  for (const name of NAMESPACES) await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await applyFile(join(here, 'rbac-modules.yaml'));
  await applyFile(join(here, 'rbac-actors.yaml'));
  for (const [file, [namespace, name]] of Object.entries(TOKEN_KUBECONFIGS)) {
    const tr = await core.createNamespacedServiceAccountToken({
      name,
      namespace,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: 365 * 24 * 3600 } },
    });
    writeFileSync(join(state, file), tokenKubeconfig(`system:serviceaccount:${namespace}:${name}`, tr.status!.token!), { mode: 0o600 });
    log(`wrote ${file} (service account ${namespace}/${name})`);
  }
  // The group/versions the modules look up must be served before anyone uses the lab.
  for (const path of ['/apis/config.openshift.io/v1', '/apis/route.openshift.io/v1']) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await fetchAsAdmin(path);
      if (res === 200) break;
      if (Date.now() > deadline) throw new Error(`${path} answers ${res} 30 s after the CRDs were established`);
      await sleep(250);
    }
    log(`${path} served`);
  }
}

function fetchAsAdmin(path: string): Promise<number> {
  const pki = (f: string) => readFileSync(join(state, 'pki', f));
  return new Promise((resolve, reject) => {
    const req = https.get(
      `${env.CLUSTERLAB_API_URL}${path}`,
      { ca: pki('ca.crt'), cert: pki('admin.crt'), key: pki('admin.key'), timeout: 5000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
  });
}

main().catch((error: unknown) => {
  console.error(`setup failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
