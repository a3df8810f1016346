// hotstack_prepare: make an OpenShift cluster ready for a SnapSet — Hotstack's prepare sequence
// (uncordon, wait stable 60s, cordon, shut every node down) with the fixed 25-hour pause replaced
// by a certificate-aware wait: none once the first kubelet certificate rotation has happened,
// exactly until it has otherwise, or a forced rotation now. Returns the dates until which a set
// taken now can be revived, as image properties for hotstack_snapset.

import { CLUSTER_OPTIONS, CLUSTER_RETURNS, clusterClient, commonRunOptions, periodOf, runForModule } from '../lib/ansible/cluster.ts';
import { defineModule, main } from '../lib/ansible/module.ts';
import { PREPARE_STEPS } from '../lib/cluster/steps.ts';

const hotstackPrepare = defineModule({
  name: 'hotstack_prepare',
  shortDescription: 'Make an OpenShift cluster ready for a SnapSet: certificate-aware wait, uncordon, wait stable, cordon, shut down',
  description: [
    "Runs Hotstack's prepare sequence against the cluster API, without C(oc): uncordon every node, wait until stable 60s, cordon every node, shut every node down (a privileged debug pod per node runs C(chroot /host shutdown -h +1), as C(oc debug node) does), all nodes in parallel.",
    "Instead of the fixed 25-hour pause, C(wait_cert_rotation) reads the kubelet signer secrets (C(auth.openshift.io/certificate-not-before|not-after) annotations, and the certificates) to know whether the first kubelet certificate rotation has happened: if so, no wait at all; if not, it waits exactly until the bootstrap signer's certificates are dead (the result says until when), or, with I(force_cert_rotation), has the operator regenerate the signers now.",
    "The result I(snapset_properties) holds C(hotstack_revivable_without_csr_until) and C(hotstack_revivable_until) (ISO 8601 UTC) for hotstack_snapset's I(properties), so a restore can choose a set that is still usable.",
    'A binary module: it needs no Python, no C(oc) and no kubernetes library on the host.',
  ],
  options: {
    ...CLUSTER_OPTIONS,
    steps: {
      ...CLUSTER_OPTIONS.steps,
      description: [
        ...CLUSTER_OPTIONS.steps.description,
        'Default: C(wait_cert_rotation), C(uncordon), C(wait_stable: 60s), C(cordon), C(shutdown).',
      ],
    },
    force_cert_rotation: {
      type: 'bool',
      default: false,
      description: [
        'When the first rotation has not happened: null the C(certificate-not-after) annotations of openshift-kube-controller-manager-operator/csr-signer-signer and csr-signer so the operator regenerates them now, and wait for the new signer, instead of waiting up to 24 h.',
        "The kubelets keep their bootstrap certificates, so a set taken then needs hotstack_revive's CSR approval once they expire (C(hotstack_revivable_without_csr_until) says when).",
      ],
    },
    rotation_margin: {
      type: 'raw',
      default: '10m',
      description: "Extra time past the bootstrap signer's end before the rotation counts as done (every kubelet has renewed by then).",
      schema: { type: ['string', 'integer'] },
    },
    debug_image: {
      type: 'str',
      description:
        'Image of the shutdown debug pods. Default, as C(oc debug): the C(openshift/tools:latest) imagestreamtag, else C(registry.redhat.io/rhel9/support-tools).',
    },
  },
  checkMode: 'full',
  checkModeDetails:
    'Reads once and changes nothing: reports the certificate decision (and until when it would wait), the nodes it would uncordon, cordon and shut down.',
  examples: `- name: Prepare the cluster for a SnapSet
  hotstack_prepare:
    kubeconfig: ~/.kube/config
  register: prepare

- name: Snapshot it, recording until when the set can be revived
  hotstack_snapset:
    snapset_data: "{{ snapset_data }}"
    properties: "{{ prepare.snapset_properties }}"

- name: A fresh cluster, no 24 h wait
  hotstack_prepare:
    force_cert_rotation: true
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
    cert_rotation: {
      description: 'The certificate decision of the C(wait_cert_rotation) step.',
      returned: 'when the wait_cert_rotation step ran',
      type: 'dict',
      sample: {
        rotated: true,
        reason:
          'openshift-kube-controller-manager-operator/csr-signer has rotated (issuer openshift-kube-controller-manager-operator_csr-signer-signer@1795629600, valid 2026-11-25T18:00:00Z – 2026-12-25T18:00:00Z)',
      },
      contains: {
        rotated: {
          description: 'Whether the first kubelet certificate rotation has happened (waited for, or forced).',
          returned: 'always',
          type: 'bool',
          sample: true,
        },
        reason: {
          description: 'What the kubelet signer secrets say, in words.',
          returned: 'always',
          type: 'str',
          sample:
            'openshift-kube-controller-manager-operator/csr-signer has rotated (issuer openshift-kube-controller-manager-operator_csr-signer-signer@1795629600, valid 2026-11-25T18:00:00Z – 2026-12-25T18:00:00Z)',
        },
        wait_until: {
          description: 'Until when a real run would wait for the first rotation (ISO 8601 UTC).',
          returned: 'in check mode, when the first rotation has not happened',
          type: 'str',
          sample: '2026-11-26T18:10:00Z',
        },
      },
    },
    snapset_properties: {
      description: "Image properties for hotstack_snapset's I(properties).",
      returned: 'when the wait_cert_rotation step ran',
      type: 'dict',
      sample: { hotstack_revivable_without_csr_until: '2026-12-25T18:00:00Z', hotstack_revivable_until: '2027-11-20T10:00:00Z' },
      contains: {
        hotstack_revivable_without_csr_until: {
          description: 'After it, a revive needs CSR approval (ISO 8601 UTC).',
          returned: 'when the signer secrets say it',
          type: 'str',
          sample: '2026-12-25T18:00:00Z',
        },
        hotstack_revivable_until: {
          description: 'After it, no revive can work as far as the certificates say (ISO 8601 UTC).',
          returned: 'when the kube-apiserver-to-kubelet signer says it',
          type: 'str',
          sample: '2027-11-20T10:00:00Z',
        },
      },
    },
  },
  async run(args, ctx) {
    const common = commonRunOptions(ctx, args, PREPARE_STEPS);
    const marginMs = periodOf(args.rotation_margin, 'rotation_margin') ?? 0;
    const client = clusterClient(ctx, args);
    return runForModule(
      client,
      {
        ...common,
        ...(args.debug_image ? { debugImage: args.debug_image } : {}),
        csrWindowMs: 3_600_000,
        forceCertRotation: args.force_cert_rotation,
        rotationMarginMs: marginMs,
      },
      'prepare',
    );
  },
});

export default hotstackPrepare;

if (import.meta.main) void main({ hotstack_prepare: async () => hotstackPrepare });
