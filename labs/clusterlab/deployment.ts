// labs/clusterlab/deployment.ts — the clusterlab as the OpenShift cluster of a devcloud deployment, for
// the workflow's end-to-end test and the demo. The controller guest reaches the lab's API through a
// relay inside devcloud-net (10.99.0.1:6443 → the API on 127.0.0.1), with the modules' least-privilege
// token and the lab's CA; the API's certificate names localhost, so the controller's kubeconfig says
// `tls-server-name: localhost` (TLS stays verified). Operators are stable, the signer chain is that of
// a cluster whose first rotation happened (prepare does not wait), and one kubelet per OpenShift node
// plays the node: its shutdown pod stops the devcloud server behind it through Nova.
// K restores of one set at once: restore(stackName) gives each restore the cluster as the set left it
// (the source's nodes, cordoned, and its operators) under names derived from its stack name
// (names.ts), with its own kubelets and its own label: one lab API plays K clusters, and each
// restore's hotstack_revive, given that label as its node selector, sees and approves only its own
// nodes' CSRs. The relay is shared (every restored controller's kubeconfig, from the set, names
// 10.99.0.1:6443): each cluster holds it under its run name, it stops with its last holder.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';
import { dump, load } from 'js-yaml';
import type { Nova } from '../../lib/openstack/nova.ts';
import { Certificates } from './certificates.ts';
import { Kubelet } from './kubelets.ts';
import { adminConfig, apiUrl, ensureUp, paths, ROOT } from './lab.ts';
import { labNodeName, labRunName } from './names.ts';
import { Operators, STABLE } from './operators.ts';

/** Where the controller finds the API: an address devcloud exposes inside its namespace. */
export const NS_API = { address: '10.99.0.1', port: 6443 };
const LABEL = 'hotstack-e2e';

export interface LabNode {
  /** The instance name in snapset_data (e.g. master0) and the node's InternalIP. */
  instance: string;
  ip: string;
}

export class DeploymentCluster {
  readonly run: string;
  readonly selector: string;
  readonly kubelets = new Map<string, Kubelet>();
  #operators: Operators;
  #certs = new Certificates(adminConfig());
  #core = adminConfig().makeApiClient(k8s.CoreV1Api);
  #nova: Pick<Nova, 'stopServer' | 'startServer' | 'waitForServer'>;
  #nodes: LabNode[];
  /** What start() set up and stop() undoes: the relay hold, the signer chain (not for a restore). */
  #holdsRelay = false;
  #installedCerts = false;

  constructor(run: string, nodes: LabNode[], nova: Pick<Nova, 'stopServer' | 'startServer' | 'waitForServer'>) {
    this.run = run;
    this.selector = `${LABEL}=${run}`;
    this.#nodes = nodes;
    this.#nova = nova;
    this.#operators = new Operators({ names: ['kube-apiserver', 'etcd', 'machine-config', 'network'].map((n) => `${run}-${n}`) });
  }

  nodeName(instance: string): string {
    return labNodeName(this.run, instance);
  }

  /** Lab up, the relay, stable operators, a rotated signer chain, one running kubelet per node. */
  async start(): Promise<void> {
    await ensureUp();
    const port = new URL(apiUrl()).port;
    await execa('bash', [join(ROOT, 'labs/devcloud/relay.sh'), 'start', String(NS_API.port), port, this.run]);
    this.#holdsRelay = true;
    await this.#installOperators();
    this.#installedCerts = true;
    await this.#certs.installScenario('rotated');
    for (const node of this.#nodes) {
      const kubelet = new Kubelet({ name: this.nodeName(node.instance), role: 'master', ip: node.ip }, { nova: this.#nova });
      await kubelet.start();
      await this.#label(kubelet.name);
      this.kubelets.set(node.instance, kubelet);
    }
  }

  /**
   * The cluster of a restore of a set made of this deployment, as the restored etcd has it: this
   * cluster's nodes as they are now (cordoned and NotReady after prepare), under the restore's own
   * names (`<labRunName(stackName)>-<instance>`), with its own stable operators and label. No kubelet
   * runs until bootRestored(); stop() removes what this made. The relay and the signer chain stay
   * this deployment's (the restore's controller reaches the API through the kubeconfig of the set).
   */
  async restore(stackName: string): Promise<DeploymentCluster> {
    const restored = new DeploymentCluster(labRunName(stackName), this.#nodes, this.#nova);
    await restored.#installOperators();
    for (const node of this.#nodes) {
      const source = await this.#core.readNode({ name: this.nodeName(node.instance) });
      const name = restored.nodeName(node.instance);
      const labels = { ...source.metadata?.labels, 'kubernetes.io/hostname': name, [LABEL]: restored.run };
      await this.#core.createNode({
        body: {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name, labels, annotations: { 'clusterlab/actor': 'kubelet', 'clusterlab/restore-of': this.nodeName(node.instance) } },
          spec: { unschedulable: source.spec?.unschedulable ?? false, taints: source.spec?.taints ?? [] },
        },
      });
      // The addresses the source's kubelet posted, with the restore's host name: the serving CSR's SANs are judged against them.
      const created = await this.#core.readNodeStatus({ name });
      created.status = {
        ...created.status,
        addresses: [
          { type: 'InternalIP', address: node.ip },
          { type: 'Hostname', address: name },
        ],
      };
      await this.#core.replaceNodeStatus({ name, body: created });
      restored.#cloned.add(name);
    }
    return restored;
  }

  /** Nodes restore() made that have no kubelet yet (removed by stop()). */
  #cloned = new Set<string>();

  async #installOperators(): Promise<void> {
    await this.#operators.install(STABLE);
    const custom = adminConfig().makeApiClient(k8s.CustomObjectsApi);
    for (const name of this.#operators.names)
      await custom.patchClusterCustomObject(
        {
          group: 'config.openshift.io',
          version: 'v1',
          plural: 'clusteroperators',
          name,
          body: { metadata: { labels: { [LABEL]: this.run } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
  }

  /** From now on the node's machine is this devcloud server (its shutdown stops it through Nova). */
  backBy(instance: string, serverId: string): void {
    this.kubelets.get(instance)!.spec.serverId = serverId;
  }

  /**
   * The restored machines boot: a new kubelet per node, on the restored server, whose certificates
   * expired while it was off (it files kubelet CSRs and waits for their approval before Ready).
   * Resolves when every node posted Ready.
   */
  async bootRestored(servers: Record<string, string>): Promise<void> {
    const coordination = adminConfig().makeApiClient(k8s.CoordinationV1Api);
    await Promise.all(
      this.#nodes.map(async (node) => {
        const old = this.kubelets.get(node.instance);
        await old?.stop();
        // The actor re-creates its Lease on boot: start from none, as the revive test does.
        await coordination
          .deleteNamespacedLease({ name: this.nodeName(node.instance), namespace: 'kube-node-lease' })
          .catch(() => undefined);
        const kubelet = new Kubelet({ name: this.nodeName(node.instance), role: 'master', ip: node.ip, serverId: servers[node.instance] });
        this.kubelets.set(node.instance, kubelet);
        await kubelet.boot({ certificates: 'csr' });
      }),
    );
  }

  async node(instance: string): Promise<k8s.V1Node> {
    return this.#core.readNode({ name: this.nodeName(instance) });
  }

  /**
   * The kubeconfig the controller gets (02's hotstack_kubeconfig): the modules' token, the lab's CA,
   * the API through the namespace address. Written with mode 0600; it holds a token.
   */
  writeControllerKubeconfig(file: string): string {
    const config = load(readFileSync(paths.kubeconfigModules, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[] };
    for (const { cluster } of config.clusters) {
      const ca = cluster['certificate-authority'];
      if (typeof ca === 'string') {
        cluster['certificate-authority-data'] = readFileSync(ca).toString('base64');
        delete cluster['certificate-authority'];
      }
      cluster.server = `https://${NS_API.address}:${NS_API.port}`;
      cluster['tls-server-name'] = 'localhost';
    }
    writeFileSync(file, dump(config), { mode: 0o600 });
    return file;
  }

  /** Kubelets stopped, their nodes, leases and CSRs deleted, the operators and the relay removed. */
  async stop(): Promise<void> {
    const certificates = adminConfig().makeApiClient(k8s.CertificatesV1Api);
    for (const kubelet of this.kubelets.values()) {
      await kubelet.remove().catch(() => undefined);
      for (const name of kubelet.csrNames) await certificates.deleteCertificateSigningRequest({ name }).catch(() => undefined);
    }
    // nodes restore() made (their kubelets' remove() already deleted those that booted)
    for (const name of this.#cloned) await this.#core.deleteNode({ name }).catch(() => undefined);
    await this.#operators.remove().catch(() => undefined);
    if (this.#installedCerts) await this.#certs.remove().catch(() => undefined);
    if (this.#holdsRelay)
      await execa('bash', [join(ROOT, 'labs/devcloud/relay.sh'), 'stop', String(NS_API.port), this.run], { reject: false });
  }

  async #label(name: string): Promise<void> {
    await this.#core.patchNode(
      { name, body: { metadata: { labels: { [LABEL]: this.run } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }
}
