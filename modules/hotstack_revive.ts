// hotstack_revive: bring an OpenShift cluster back after booting it from a SnapSet — Hotstack's
// revive sequence (wait stable 5s, uncordon, wait stable 60s twice, route API), preceded by what an
// old set needs (API up through expired certificates, a valid kubelet signer, kubelet CSR approval),
// which a fresh set passes in one round trip each.

import { CLUSTER_OPTIONS, CLUSTER_RETURNS, clusterClient, commonRunOptions, periodOf, runForModule } from '../lib/ansible/cluster.ts';
import { defineModule, main } from '../lib/ansible/module.ts';
import { REVIVE_STEPS } from '../lib/revive/steps/index.ts';

const hotstackRevive = defineModule({
  name: 'hotstack_revive',
  shortDescription: 'Bring an OpenShift cluster restored from a SnapSet back to a stable, schedulable state',
  description: [
    "Runs Hotstack's revive sequence against the cluster API, without C(oc): wait until stable 5s, uncordon every node, wait until stable 60s, again 60s, wait until C(route.openshift.io/v1) is served.",
    "Before it, for sets older than the first kubelet certificate rotation (24 h) or the 30-day signer: wait for the API through connection refusals and expired serving certificates, wait for a valid kubelet CSR signer, then approve the kubelets' CSRs in rounds until every node is Ready. A fresh set passes these at once.",
    "Only CSRs that are a kubelet's own are approved: signer C(kubernetes.io/kube-apiserver-client-kubelet) requested by the node-bootstrapper service account or C(system:node:<n>), or C(kubernetes.io/kubelet-serving) requested by C(system:node:<n>), for an existing node C(<n>), with C(CN=system:node:<n>), C(O=system:nodes), the usages the signer allows, and (serving) only the node's own names and addresses. Everything else is left alone and reported.",
    'Stability is that of C(oc adm wait-for-stable-cluster) (every ClusterOperator Available, not Progressing, not Degraded for strictly longer than the period; API errors restart the timer and are retried), driven by a watch, so the wait ends within a second of the period.',
    'A binary module: it needs no Python, no C(oc) and no kubernetes library on the host.',
  ],
  options: {
    ...CLUSTER_OPTIONS,
    steps: {
      ...CLUSTER_OPTIONS.steps,
      description: [
        ...CLUSTER_OPTIONS.steps.description,
        'Default: C(wait_api), C(wait_signer), C(approve_csrs), C(wait_stable: 5s), C(uncordon), C(wait_stable: 60s), C(wait_stable: 60s), C(wait_route_api).',
      ],
    },
    expected_nodes: {
      type: 'list',
      elements: 'str',
      description:
        'Node names whose kubelet CSRs may be approved even if the node object does not exist (yet). Default: only nodes that exist in the cluster.',
    },
    csr_window: {
      type: 'raw',
      default: '1h',
      description:
        'Pending CSRs created longer than this before the run started are stale (left from before the snapshot) and are left alone.',
      schema: { type: ['string', 'integer'] },
    },
  },
  checkMode: 'full',
  checkModeDetails:
    'Reads once and changes nothing: reports the nodes it would uncordon, the CSRs it would approve, and which waits are not satisfied yet (C(would wait)).',
  examples: `- name: Revive the cluster restored from the SnapSet
  hotstack_revive:
    kubeconfig: ~/.kube/config
  register: revive

- name: Only the Hotstack sequence, with a longer route wait
  hotstack_revive:
    steps:
      - wait_stable: 5s
      - uncordon
      - wait_stable: 60s
      - wait_stable: 60s
      - wait_route_api:
        timeout: 15m
`,
  returns: CLUSTER_RETURNS,
  async run(args, ctx) {
    const common = commonRunOptions(ctx, args, REVIVE_STEPS);
    const csrWindowMs = periodOf(args.csr_window, 'csr_window') ?? 3_600_000;
    const client = clusterClient(ctx, args);
    return runForModule(
      client,
      {
        ...common,
        ...(args.expected_nodes ? { expectedNodes: args.expected_nodes } : {}),
        csrWindowMs,
        forceCertRotation: false,
        rotationMarginMs: 0,
      },
      'revive',
    );
  },
});

export default hotstackRevive;

if (import.meta.main) void main({ hotstack_revive: async () => hotstackRevive });
