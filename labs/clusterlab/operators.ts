// labs/clusterlab/operators.ts — the operators actor: ClusterOperators (config.openshift.io/v1, the real
// CRD) named and shaped like a real cluster's, whose Available/Progressing/Degraded conditions follow
// a script in time (progressing → available, flapping, degraded, missing conditions), and the
// ClusterVersion "version" with an install/update history. Writes through the API with the
// clusterlab/operators service account, status through the status subresource, as operators do.
import * as k8s from '@kubernetes/client-node';
import { operatorsConfig } from './lab.ts';
import { loadFixture } from './openshift-fixtures.ts';

const GROUP = 'config.openshift.io';
const VERSION = 'v1';

/** One operator condition: True/False/Unknown, or null = the condition is missing. */
export type CondStatus = 'True' | 'False' | 'Unknown' | null;
export interface OperatorState {
  available: CondStatus;
  progressing: CondStatus;
  degraded: CondStatus;
  reason?: string;
  message?: string;
}

export const STABLE: OperatorState = {
  available: 'True',
  progressing: 'False',
  degraded: 'False',
  reason: 'AsExpected',
  message: 'All is well',
};
export const PROGRESSING: OperatorState = {
  available: 'True',
  progressing: 'True',
  degraded: 'False',
  reason: 'NodeInstaller',
  message: 'NodeInstallerProgressing: 1 node is at revision 7; 2 nodes are at revision 8',
};
export const DEGRADED: OperatorState = {
  available: 'True',
  progressing: 'False',
  degraded: 'True',
  reason: 'NodeController_MasterNodesReady',
  message: 'NodeControllerDegraded: The master nodes not ready',
};
export const UNAVAILABLE: OperatorState = {
  available: 'False',
  progressing: 'True',
  degraded: 'False',
  reason: 'APIServices_Error',
  message: 'APIServicesAvailable: "route.openshift.io.v1" is not ready: 503',
};
export const MISSING: OperatorState = { available: null, progressing: null, degraded: null };

/** The 33 ClusterOperators of a 4.14 cluster (fixture clusteroperators-healthy.json). */
export const OPERATOR_NAMES = [
  'authentication',
  'baremetal',
  'cloud-controller-manager',
  'cloud-credential',
  'cluster-autoscaler',
  'config-operator',
  'console',
  'control-plane-machine-set',
  'csi-snapshot-controller',
  'dns',
  'etcd',
  'image-registry',
  'ingress',
  'insights',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kube-storage-version-migrator',
  'machine-api',
  'machine-approver',
  'machine-config',
  'marketplace',
  'monitoring',
  'network',
  'node-tuning',
  'openshift-apiserver',
  'openshift-controller-manager',
  'openshift-samples',
  'operator-lifecycle-manager',
  'operator-lifecycle-manager-catalog',
  'operator-lifecycle-manager-packageserver',
  'service-ca',
  'storage',
];

export { fixturesDir, loadFixture } from './openshift-fixtures.ts';

/** A step of a script: at atMs after run() started, set operator (or every operator: '*') to state. */
export interface Step {
  atMs: number;
  operator: string;
  state: OperatorState;
}
export interface Applied {
  step: Step;
  /** When the change had been made (its last API call answered): no reader can see it later than soon after. */
  at: Date;
  /** When its first API call was sent: no reader can see the change before this. */
  sentAt: Date;
  lateMs: number;
}

/** Steps that flap an operator between two states every periodMs, count times, starting at startMs. */
export function flap(operator: string, a: OperatorState, b: OperatorState, periodMs: number, count: number, startMs = 0): Step[] {
  return Array.from({ length: count }, (_, i) => ({ atMs: startMs + i * periodMs, operator, state: i % 2 === 0 ? a : b }));
}

type Obj = Record<string, any>;

function clean(obj: Obj): Obj {
  const { uid, resourceVersion, creationTimestamp, generation, managedFields, ownerReferences, selfLink, ...metadata } = obj.metadata ?? {};
  void uid;
  void resourceVersion;
  void creationTimestamp;
  void generation;
  void managedFields;
  void ownerReferences;
  void selfLink;
  return { ...obj, metadata };
}

export class Operators {
  readonly names: string[];
  readonly applied: Applied[] = [];
  version: string;
  #api: k8s.CustomObjectsApi;
  #timers = new Set<NodeJS.Timeout>();

  constructor(options: { names?: string[]; version?: string; kubeConfig?: k8s.KubeConfig } = {}) {
    this.names = options.names ?? OPERATOR_NAMES;
    this.version = options.version ?? '4.14.1';
    this.#api = (options.kubeConfig ?? operatorsConfig()).makeApiClient(k8s.CustomObjectsApi);
  }

  /** Creates (or resets) every ClusterOperator in the given state. */
  async install(state: OperatorState = STABLE): Promise<void> {
    for (const name of this.names) {
      await this.#ensure({ apiVersion: `${GROUP}/${VERSION}`, kind: 'ClusterOperator', metadata: { name }, spec: {} });
      await this.set(name, state);
    }
  }

  /** Creates the ClusterOperators of a recorded fixture (e.g. clusteroperators-degraded.json) with their recorded status. */
  async installFixture(file: string): Promise<string[]> {
    const list = loadFixture<{ items: Obj[] }>(file);
    const names: string[] = [];
    for (const item of list.items) {
      const obj = clean(item);
      await this.#ensure({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata, spec: obj.spec ?? {} });
      await this.#replaceStatus('clusteroperators', obj.metadata.name, () => obj.status);
      names.push(obj.metadata.name);
    }
    return names;
  }

  /** Sets one operator's Available/Progressing/Degraded (null removes that condition). */
  async set(name: string, state: OperatorState): Promise<void> {
    const now = new Date().toISOString();
    await this.#replaceStatus('clusteroperators', name, (old) => {
      const prev: Obj[] = old?.conditions ?? [];
      const keep = prev.filter((c) => !['Available', 'Progressing', 'Degraded'].includes(c.type));
      const conds: Obj[] = [];
      for (const [type, status] of [
        ['Available', state.available],
        ['Progressing', state.progressing],
        ['Degraded', state.degraded],
      ] as const) {
        if (status === null) continue;
        const before = prev.find((c) => c.type === type);
        const unusual = (type === 'Available' && status !== 'True') || (type !== 'Available' && status !== 'False');
        conds.push({
          type,
          status,
          lastTransitionTime: before && before.status === status ? before.lastTransitionTime : now,
          reason: unusual ? (state.reason ?? 'AsExpected') : 'AsExpected',
          message: unusual ? (state.message ?? '') : 'All is well',
        });
      }
      if (!keep.some((c) => c.type === 'Upgradeable'))
        keep.push({ type: 'Upgradeable', status: 'True', reason: 'AsExpected', lastTransitionTime: now });
      return {
        ...old,
        conditions: [...conds, ...keep],
        versions: [{ name: 'operator', version: this.version }],
        relatedObjects: old?.relatedObjects ?? [{ group: '', resource: 'namespaces', name: `openshift-${name}` }],
      };
    });
  }

  /** Sets every operator to state. */
  async setAll(state: OperatorState): Promise<void> {
    for (const name of this.names) await this.set(name, state);
  }

  /**
   * Plays a script: each step is applied at its atMs after now ('*' = every operator). Resolves when
   * the last step was applied; applied[] records when each really happened (lateMs = lag).
   */
  run(script: Step[]): Promise<void> {
    const t0 = Date.now();
    const steps = [...script].sort((a, b) => a.atMs - b.atMs);
    return new Promise((resolve, reject) => {
      let left = steps.length;
      if (!left) resolve();
      // steps are applied strictly in order, each no earlier than its time
      let chain = Promise.resolve();
      for (const step of steps) {
        const t = setTimeout(
          () => {
            this.#timers.delete(t);
            chain = chain
              .then(async () => {
                const targets = step.operator === '*' ? this.names : [step.operator];
                const sentAt = new Date();
                for (const name of targets) await this.set(name, step.state);
                const at = new Date();
                this.applied.push({ step, at, sentAt, lateMs: at.getTime() - t0 - step.atMs });
                if (--left === 0) resolve();
              })
              .catch(reject);
          },
          Math.max(0, step.atMs - (Date.now() - t0)),
        );
        this.#timers.add(t);
      }
    });
  }

  /** Cancels steps not yet applied. */
  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  /** Deletes this actor's ClusterOperators. */
  async remove(): Promise<void> {
    this.stop();
    for (const name of this.names) {
      await this.#api.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'clusteroperators', name }).catch(ignore404);
    }
  }

  // ---- ClusterVersion ----

  /**
   * Creates (or replaces) ClusterVersion "version". From a fixture file (e.g.
   * clusterversion-long-history.json), or a fresh install of this.version completed at installedAt
   * with the given extra history (newest first, as the CVO keeps it).
   */
  async installClusterVersion(source: { fixture: string } | { installedAt: Date; history?: Obj[] }): Promise<Obj> {
    let obj: Obj;
    if ('fixture' in source) obj = clean(loadFixture(source.fixture));
    else {
      const started = new Date(source.installedAt.getTime() - 40 * 60_000).toISOString();
      const install = {
        state: 'Completed',
        startedTime: started,
        completionTime: source.installedAt.toISOString(),
        version: this.version,
        image: `quay.io/openshift-release-dev/ocp-release@sha256:${'0'.repeat(64)}`,
        verified: false,
      };
      const history = [...(source.history ?? []), install];
      const newest = history[0]!;
      obj = {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'ClusterVersion',
        metadata: { name: 'version' },
        spec: { clusterID: '2b3f1b2e-8c8a-4f51-9a0e-c1a57e71ab00', channel: `stable-${this.version.split('.').slice(0, 2).join('.')}` },
        status: {
          desired: { version: newest.version, image: newest.image },
          history,
          observedGeneration: 1,
          versionHash: 'clusterlab',
          availableUpdates: null,
          conditions: [
            {
              type: 'Available',
              status: 'True',
              lastTransitionTime: source.installedAt.toISOString(),
              message: `Done applying ${newest.version}`,
            },
            { type: 'Failing', status: 'False', lastTransitionTime: source.installedAt.toISOString() },
            {
              type: 'Progressing',
              status: 'False',
              lastTransitionTime: source.installedAt.toISOString(),
              message: `Cluster version is ${newest.version}`,
            },
          ],
        },
      };
    }
    await this.#api
      .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'clusterversions', name: 'version' })
      .catch(ignore404);
    await this.#waitGone('clusterversions', 'version');
    await this.#api.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'clusterversions',
      body: { apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata, spec: obj.spec },
    });
    return this.#replaceStatus('clusterversions', 'version', () => obj.status);
  }

  async removeClusterVersion(): Promise<void> {
    await this.#api
      .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'clusterversions', name: 'version' })
      .catch(ignore404);
  }

  async #waitGone(plural: string, name: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const exists = await this.#api.getClusterCustomObject({ group: GROUP, version: VERSION, plural, name }).then(
        () => true,
        () => false,
      );
      if (!exists) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async #ensure(body: Obj): Promise<void> {
    await this.#api.createClusterCustomObject({ group: GROUP, version: VERSION, plural: 'clusteroperators', body }).catch((e: unknown) => {
      if ((e as { code?: number }).code !== 409) throw e;
    });
  }

  /** read → change status → replace status; retried on 409 (another writer came first). */
  async #replaceStatus(plural: string, name: string, change: (old: Obj | undefined) => Obj): Promise<Obj> {
    for (let attempt = 0; ; attempt++) {
      const obj = (await this.#api.getClusterCustomObject({ group: GROUP, version: VERSION, plural, name })) as Obj;
      obj.status = change(obj.status);
      try {
        return (await this.#api.replaceClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural, name, body: obj })) as Obj;
      } catch (e) {
        if ((e as { code?: number }).code === 409 && attempt < 10) continue;
        throw e;
      }
    }
  }
}

function ignore404(e: unknown): void {
  if ((e as { code?: number }).code !== 404) throw e;
}

/** True when the operator is stable as `oc adm wait-for-stable-cluster` sees it (facts §2.1). */
export function isStable(co: Obj): boolean {
  const c = (t: string) => (co.status?.conditions ?? []).find((x: Obj) => x.type === t)?.status;
  return c('Available') === 'True' && c('Progressing') === 'False' && c('Degraded') === 'False';
}
