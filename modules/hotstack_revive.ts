// hotstack_revive: bring an OpenShift cluster back after booting it from a SnapSet — Hotstack's
// revive sequence (wait stable 5s, uncordon, wait stable 60s twice, route API), preceded by what an
// old set needs (API up through expired certificates, a valid kubelet signer, kubelet CSR approval),
// which a fresh set passes in one round trip each.

import { CLUSTER_OPTIONS, CLUSTER_RETURNS, clusterClient, commonRunOptions, periodOf, runForModule } from '../lib/ansible/cluster.ts';
import { defineModule, main } from '../lib/ansible/module.ts';
import { REVIVE_STEPS } from '../lib/cluster/steps.ts';

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
  returns: {
    ...CLUSTER_RETURNS,
    steps: {
      description:
        'One entry per step, in order, with what it did; a step the run did not reach has only C(step) and C(outcome) (C(not run)).',
      returned: 'always',
      type: 'list',
      elements: 'dict',
      sample: [
        { step: 'wait_api', outcome: 'ok', started: '2026-11-27T08:00:01.204Z', duration_seconds: 0.187, attempts: 1 },
        {
          step: 'approve_csrs',
          outcome: 'changed',
          started: '2026-11-27T08:00:01.443Z',
          duration_seconds: 48.312,
          rounds: 4,
          approved: 2,
          left_alone: 1,
        },
        {
          step: 'wait_stable 5s',
          outcome: 'ok',
          started: '2026-11-27T08:00:49.755Z',
          duration_seconds: 95.7,
          stable_since: '2026-11-27T08:02:20Z',
        },
        {
          step: 'uncordon',
          outcome: 'changed',
          started: '2026-11-27T08:02:25.461Z',
          duration_seconds: 0.214,
          nodes: [{ node: 'master-0', changed: true }],
        },
      ],
      contains: {
        step: { description: 'The step, with its period if it has one.', returned: 'always', type: 'str', sample: 'wait_stable 60s' },
        outcome: {
          description:
            'C(ok), C(changed), C(would change), C(would wait) (check mode), C(failed), C(timed out), C(interrupted) or C(not run).',
          returned: 'always',
          type: 'str',
          sample: 'ok',
        },
        started: {
          description: 'When the step started (ISO 8601 UTC).',
          returned: 'when the step ran',
          type: 'str',
          sample: '2026-11-27T08:02:25.676Z',
        },
        duration_seconds: { description: 'How long the step took.', returned: 'when the step ran', type: 'float', sample: 61.204 },
        msg: {
          description: 'Why the step failed, timed out or would wait, or a remark on what it found.',
          returned: 'when the step failed, timed out or would wait, or had a remark',
          type: 'str',
          sample: 'no OpenShift-managed kubelet signer: nothing to wait for',
        },
        attempts: {
          description: 'Requests until the API answered.',
          returned: 'wait_api and wait_route_api steps',
          type: 'int',
          sample: 1,
        },
        signer_valid_until: {
          description: 'End of validity of the kubelet CSR signer (ISO 8601 UTC).',
          returned: 'wait_signer steps, when the signer says it',
          type: 'str',
          sample: '2026-12-25T18:00:00Z',
        },
        rounds: { description: 'Rounds of CSR approval.', returned: 'approve_csrs steps', type: 'int', sample: 4 },
        approved: { description: 'CSRs the step approved.', returned: 'approve_csrs steps', type: 'int', sample: 2 },
        left_alone: { description: 'Pending CSRs the step left alone.', returned: 'approve_csrs steps', type: 'int', sample: 1 },
        nodes_not_ready: {
          description: 'Nodes not Ready that approving the CSRs would bring back.',
          returned: 'approve_csrs steps in check mode, when some are',
          type: 'list',
          elements: 'str',
          sample: ['master-0'],
        },
        stable_since: {
          description: 'When the last ClusterOperator became stable (ISO 8601 UTC).',
          returned: 'wait_stable steps',
          type: 'str',
          sample: '2026-11-27T08:02:20Z',
        },
        api_errors: {
          description: 'API errors during the wait (each restarted the stability timer).',
          returned: 'wait_stable steps, when there were some',
          type: 'int',
          sample: 3,
        },
        nodes: {
          description:
            'C(cordon) and C(uncordon): one C({node, changed}) per node (C(changed) false for a node already so). C(shutdown): the names of the nodes shut down.',
          returned: 'cordon, uncordon and shutdown steps',
          type: 'list',
          sample: [{ node: 'master-0', changed: true }],
        },
        rolled_back: {
          description: 'Nodes uncordoned again after a cordon was interrupted.',
          returned: 'interrupted cordon steps',
          type: 'list',
          elements: 'str',
          sample: ['master-0'],
        },
        waited_seconds: {
          description: 'How long the step waited for the first kubelet certificate rotation.',
          returned: 'wait_cert_rotation steps',
          type: 'float',
          sample: 0,
        },
        forced: {
          description: 'Whether the rotation was forced (I(force_cert_rotation)).',
          returned: 'wait_cert_rotation steps',
          type: 'bool',
          sample: false,
        },
      },
    },
    nodes_touched: {
      description: 'Nodes the run changed (cordoned, uncordoned, shut down), sorted.',
      returned: 'always',
      type: 'list',
      elements: 'str',
      sample: ['master-0', 'master-1', 'master-2'],
    },
    csrs_approved: {
      description: 'Kubelet CSRs approved (in check mode: that would be).',
      returned: 'always',
      type: 'list',
      elements: 'dict',
      sample: [
        {
          name: 'csr-7xk2p',
          node: 'master-0',
          signer: 'kubernetes.io/kube-apiserver-client-kubelet',
          issued: true,
          not_after: '2026-12-27T08:00:30Z',
        },
      ],
      contains: {
        name: { description: 'The CSR name.', returned: 'always', type: 'str', sample: 'csr-7xk2p' },
        node: { description: 'The node it is for.', returned: 'always', type: 'str', sample: 'master-0' },
        signer: {
          description: 'Its signer: C(kubernetes.io/kube-apiserver-client-kubelet) or C(kubernetes.io/kubelet-serving).',
          returned: 'always',
          type: 'str',
          sample: 'kubernetes.io/kube-apiserver-client-kubelet',
        },
        issued: {
          description: 'Whether the certificate was issued by the end of the step (false in check mode).',
          returned: 'always',
          type: 'bool',
          sample: true,
        },
        not_after: {
          description: 'End of validity of the issued certificate (ISO 8601 UTC).',
          returned: 'when issued',
          type: 'str',
          sample: '2026-12-27T08:00:30Z',
        },
      },
    },
    csrs_left_alone: {
      description: 'Pending CSRs that were not approved, with why.',
      returned: 'always',
      type: 'list',
      elements: 'dict',
      sample: [
        {
          name: 'csr-q9w4d',
          signer: 'kubernetes.io/kube-apiserver-client-kubelet',
          requester: 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper',
          reason: "created 2026-11-20T10:14:03.000Z, before this run's window: stale",
        },
      ],
      contains: {
        name: { description: 'The CSR name.', returned: 'always', type: 'str', sample: 'csr-q9w4d' },
        signer: {
          description: 'Its signer.',
          returned: 'always',
          type: 'str',
          sample: 'kubernetes.io/kube-apiserver-client-kubelet',
        },
        requester: {
          description: 'Who requested it (C(spec.username)).',
          returned: 'always',
          type: 'str',
          sample: 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper',
        },
        reason: {
          description: 'Why it was not approved.',
          returned: 'always',
          type: 'str',
          sample: "created 2026-11-20T10:14:03.000Z, before this run's window: stale",
        },
      },
    },
    held_back: {
      description: 'The ClusterOperators (at most 5) that held stability back the longest over all stable waits, longest first.',
      returned: 'always',
      type: 'list',
      elements: 'dict',
      sample: [{ name: 'kube-apiserver', unstable_seconds: 212.4, last_reason: 'progressing' }],
      contains: {
        name: { description: 'The ClusterOperator.', returned: 'always', type: 'str', sample: 'kube-apiserver' },
        unstable_seconds: { description: 'How long it was unstable in all.', returned: 'always', type: 'float', sample: 212.4 },
        last_reason: {
          description: 'Why it was last unstable, in the words of C(oc adm wait-for-stable-cluster).',
          returned: 'always',
          type: 'str',
          sample: 'progressing',
        },
      },
    },
    interrupted: {
      description: 'True when a signal (SIGTERM, SIGINT, SIGHUP) stopped the run; nodes are left as before the step that was running.',
      returned: 'when interrupted',
      type: 'bool',
      sample: true,
    },
    stats: {
      description: 'C(wall_seconds) of the run and C(api_requests) sent.',
      returned: 'always',
      type: 'dict',
      sample: { wall_seconds: 262.81, api_requests: 143 },
      contains: {
        wall_seconds: { description: 'Seconds the run took.', returned: 'always', type: 'float', sample: 262.81 },
        api_requests: {
          description: 'Requests sent to the cluster API, watches included.',
          returned: 'once the kubeconfig is loaded',
          type: 'int',
          sample: 143,
        },
      },
    },
  },
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
