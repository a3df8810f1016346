// Nodes: listing, readiness, and cordon/uncordon with the strategic merge patch `oc adm cordon`
// sends (facts §2.2): {"spec":{"unschedulable":true}} to cordon, {"spec":{"unschedulable":null}} to
// uncordon, nothing at all when the node already is as wanted. All nodes in parallel.
import type { ClusterClient } from './client.ts';

/** A node as readiness and the CSR judgement read it: its name, addresses and conditions. */
export interface NodeLike {
  metadata?: { name?: string };
  status?: {
    addresses?: { type?: string; address?: string }[];
    conditions?: { type?: string; status?: string; lastHeartbeatTime?: string | Date }[];
  };
}

export interface Node extends NodeLike {
  metadata: { name: string; resourceVersion?: string };
  spec?: { unschedulable?: boolean };
}

/** Every node, or those matching a label selector ("node-role.kubernetes.io/master="). */
export async function listNodes(client: ClusterClient, signal?: AbortSignal, selector?: string): Promise<Node[]> {
  const query = selector ? `?labelSelector=${encodeURIComponent(selector)}` : '';
  const list = await client.get<{ items?: Node[] }>(`/api/v1/nodes${query}`, selector ? `list nodes (${selector})` : 'list nodes', signal);
  return (list.items ?? []).filter((n) => n.metadata?.name);
}

function isCordoned(node: Node): boolean {
  return node.spec?.unschedulable === true;
}

/** Ready=True, and (when maxAgeMs is given) a heartbeat — the node's Lease or its Ready condition — newer than that. */
export function isReady(node: NodeLike, now: number, maxAgeMs?: number, leaseRenewed?: number): boolean {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return false;
  if (maxAgeMs === undefined) return true;
  const heartbeat = Math.max(ready.lastHeartbeatTime ? new Date(ready.lastHeartbeatTime).getTime() : 0, leaseRenewed ?? 0);
  return now - heartbeat <= maxAgeMs;
}

/** Lease renew times (ms epoch) of kube-node-lease, by node name: the kubelet's heartbeat every ~10 s. */
export async function nodeLeases(client: ClusterClient, signal?: AbortSignal): Promise<Map<string, number>> {
  const list = await client.get<{ items?: { metadata?: { name?: string }; spec?: { renewTime?: string } }[] }>(
    '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases',
    'list node leases (kube-node-lease)',
    signal,
  );
  const out = new Map<string, number>();
  for (const lease of list.items ?? []) {
    if (lease.metadata?.name && lease.spec?.renewTime) out.set(lease.metadata.name, new Date(lease.spec.renewTime).getTime());
  }
  return out;
}

export interface CordonOutcome {
  node: string;
  changed: boolean;
  /** unschedulable before this step: what an interrupted step goes back to. */
  before: boolean;
  /** The node as the API returned it after the patch (when this step changed it). */
  after?: Node;
}

/** The strategic merge patch oc computes for spec.unschedulable (false is omitempty: sent as a deletion). */
export function cordonPatch(desired: boolean): Record<string, unknown> {
  return { spec: { unschedulable: desired ? true : null } };
}

export async function setSchedulable(
  client: ClusterClient,
  nodes: readonly Node[],
  cordon: boolean,
  options: { checkMode: boolean; signal?: AbortSignal; log: (message: string) => void },
): Promise<CordonOutcome[]> {
  const verb = cordon ? 'cordon' : 'uncordon';
  return Promise.all(
    nodes.map(async (node): Promise<CordonOutcome> => {
      const name = node.metadata.name;
      const before = isCordoned(node);
      if (before === cordon) {
        options.log(`node/${name} already ${verb}ed`);
        return { node: name, changed: false, before };
      }
      if (options.checkMode) return { node: name, changed: true, before };
      const after = await client.request<Node>('PATCH', `/api/v1/nodes/${encodeURIComponent(name)}`, {
        body: cordonPatch(cordon),
        contentType: 'application/strategic-merge-patch+json',
        what: `${verb} node ${name}`,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      options.log(`node/${name} ${verb}ed`);
      return { node: name, changed: true, before, after };
    }),
  );
}
