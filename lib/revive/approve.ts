// Kubelet CSR approval rounds (issue 8 §4, cert-rotation.md §6 b step 3): list the pending CSRs,
// approve exactly those judgeCsr accepts (through the /approval subresource, as `oc adm certificate
// approve` does), leave the rest alone and report them, and repeat until every node is Ready with a
// live heartbeat — a fresh set is done after one round, in one round trip.
import type { ClusterClient } from '../cluster/client.ts';
import { ClusterError, WaitAborted } from '../cluster/errors.ts';
import { isReady, listNodes, nodeLeases } from '../cluster/nodes.ts';
import { abortError, sleep } from '../cluster/time.ts';
import { type CsrLike, isApproved, isPending, issuedNotAfter, judgeCsr, type NodeLike } from './csr.ts';

const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

export interface ApprovedCsr {
  name: string;
  node: string;
  signer: string;
  /** The certificate was issued (status.certificate) by the time the step ended; and until when. */
  issued: boolean;
  not_after?: string;
}

export interface LeftAloneCsr {
  name: string;
  signer: string;
  requester: string;
  reason: string;
}

export interface ApproveResult {
  approved: ApprovedCsr[];
  leftAlone: LeftAloneCsr[];
  rounds: number;
  /** Nodes not Ready at the first round: what the step brought back. */
  recovered: string[];
}

export interface ApproveOptions {
  signal: AbortSignal;
  log: (message: string) => void;
  checkMode: boolean;
  /** Extra node names allowed to get certificates (besides those in the cluster). */
  expectedNodes?: string[];
  /** Pending CSRs created before this (ms epoch) are stale and left alone. */
  notBefore?: number;
  /** A heartbeat older than this makes a Ready node count as not yet back (default 60 s). */
  heartbeatMaxAgeMs?: number;
  intervalMs?: number;
  /** Only these nodes count (and may get certificates). */
  nodeSelector?: string;
}

export async function approveKubeletCsrs(client: ClusterClient, options: ApproveOptions): Promise<ApproveResult> {
  const { signal, log } = options;
  const approved = new Map<string, ApprovedCsr>();
  const leftAlone = new Map<string, LeftAloneCsr>();
  const maxAge = options.heartbeatMaxAgeMs ?? 60_000;
  let rounds = 0;
  let firstNotReady: string[] | undefined;
  let lastWaiting = '';
  let leasesMissing = false;
  for (;;) {
    rounds++;
    const [nodes, leases, csrList] = await Promise.all([
      listNodes(client, signal, options.nodeSelector),
      nodeLeases(client, signal).catch((error: unknown) => {
        // Leases are the better heartbeat (every 10 s); without them (not allowed to read, or not
        // served) the Ready condition's own heartbeat will do, which a kubelet refreshes every 5 min.
        if (!leasesMissing) log(`node leases not readable (${(error as Error).message}): judging heartbeats by the Ready condition`);
        leasesMissing = true;
        return undefined;
      }),
      client.get<{ items?: CsrLike[] }>(CSRS, 'list certificatesigningrequests', signal),
    ]);
    const now = Date.now();
    const known = new Map<string, NodeLike>(nodes.map((n) => [n.metadata.name, n]));
    for (const name of options.expectedNodes ?? []) if (!known.has(name)) known.set(name, { metadata: { name } });
    const notReady = nodes
      .filter((n) => !(leases ? isReady(n, now, maxAge, leases.get(n.metadata.name)) : isReady(n, now, Math.max(maxAge, 330_000))))
      .map((n) => n.metadata.name);
    firstNotReady ??= notReady;
    const csrs = csrList.items ?? [];
    const approvable: { csr: CsrLike; node: string; signer: string }[] = [];
    for (const csr of csrs) {
      const name = csr.metadata?.name ?? '';
      if (!isPending(csr)) continue;
      const verdict = judgeCsr(csr, { nodes: known, ...(options.notBefore !== undefined ? { notBefore: options.notBefore } : {}) });
      if (verdict.approve) approvable.push({ csr, node: verdict.node, signer: verdict.signer });
      else if (!leftAlone.has(name)) {
        leftAlone.set(name, { name, signer: verdict.signer, requester: csr.spec?.username ?? '', reason: verdict.reason });
        log(`CSR ${name} left alone: ${verdict.reason}`);
      }
    }
    for (const { csr, node, signer } of approvable) {
      const name = csr.metadata?.name ?? '';
      if (options.checkMode) {
        approved.set(name, { name, node, signer, issued: false });
        continue;
      }
      const body = structuredClone(csr) as CsrLike & { status: { conditions: Record<string, unknown>[] } };
      body.status = {
        ...(body.status ?? {}),
        conditions: [
          ...((body.status?.conditions as Record<string, unknown>[] | undefined) ?? []),
          {
            type: 'Approved',
            status: 'True',
            reason: 'HotstackReviveApprove',
            message: `approved by hotstack_revive: kubelet CSR of node ${node}`,
            lastUpdateTime: new Date().toISOString(),
          },
        ],
      };
      try {
        await client.request('PUT', `${CSRS}/${encodeURIComponent(name)}/approval`, { body, what: `approve CSR ${name}`, signal });
      } catch (error) {
        // Approved meanwhile by someone else (409 conflict) is fine; the next round sees it.
        if (error instanceof ClusterError && error.status === 409) continue;
        throw error;
      }
      approved.set(name, { name, node, signer, issued: false });
      log(`CSR ${name} approved: ${signer} for node ${node}`);
    }
    // Certificates issued for what we approved (status.certificate), for the result.
    for (const csr of csrs) {
      const entry = approved.get(csr.metadata?.name ?? '');
      const notAfter = entry && isApproved(csr) ? issuedNotAfter(csr) : undefined;
      if (entry && notAfter) {
        entry.issued = true;
        entry.not_after = notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z');
      }
    }
    const pendingOurs = [...approved.values()].filter((a) => !a.issued).length;
    if (notReady.length === 0 && approvable.length === 0 && (options.checkMode || pendingOurs === 0)) {
      log(
        rounds === 1 && approved.size === 0
          ? `every node (${nodes.length}) is Ready: no CSR to approve`
          : `every node is Ready after ${rounds} round(s), ${approved.size} CSR(s) approved`,
      );
      return { approved: [...approved.values()], leftAlone: [...leftAlone.values()], rounds, recovered: firstNotReady };
    }
    if (options.checkMode) {
      // Check mode reads once: it reports what it would approve now and which nodes are not back.
      return { approved: [...approved.values()], leftAlone: [...leftAlone.values()], rounds, recovered: notReady };
    }
    const waiting = `waiting for node(s) ${notReady.join(', ') || '(all Ready)'}${pendingOurs ? `, ${pendingOurs} approved CSR(s) not yet issued` : ''}`;
    if (waiting !== lastWaiting) log(waiting);
    lastWaiting = waiting;
    try {
      await sleep(approvable.length > 0 ? 200 : (options.intervalMs ?? 1000), signal);
    } catch (error) {
      const aborted = error instanceof WaitAborted ? error : abortError(signal);
      throw new ClusterError(
        `${aborted.message}: node(s) ${notReady.join(', ') || 'none'} not Ready; ${approved.size} CSR(s) approved, ${leftAlone.size} left alone`,
        { partial: { approved: [...approved.values()], leftAlone: [...leftAlone.values()], rounds } },
      );
    }
  }
}
