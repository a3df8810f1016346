// hotstack_prepare: make an OpenShift cluster ready for a SnapSet — Hotstack's prepare sequence
// (uncordon, wait stable 60s, cordon, shut every node down) with the fixed 25-hour pause replaced
// by a certificate-aware wait: none once the first kubelet certificate rotation has happened,
// exactly until it has otherwise, or a forced rotation now. Returns the dates until which a set
// taken now can be revived, as image properties for hotstack_snapset.

import { CLUSTER_OPTIONS, CLUSTER_RETURNS, clusterClient, commonRunOptions, periodOf, runForModule } from '../lib/ansible/cluster.ts';
import { defineModule, type ModuleContext, ModuleFailure, main } from '../lib/ansible/module.ts';
import { OPENSTACK_NOTES, OPENSTACK_OPTIONS, type OpenStackArgs, openstackConnection } from '../lib/ansible/openstack.ts';
import { PREPARE_STEPS } from '../lib/revive/steps/index.ts';
import { parseSnapsetData } from '../lib/snapset/data.ts';
import { waitForStatus } from '../lib/snapset/servers.ts';

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
    snapset_data: {
      type: 'dict',
      description: [
        'The deployment, as Hotstack stacks output it (C(instances): name → C(uuid), C(role), C(mac_address)). When given, the C(shutdown) step ends only once every instance whose role is not C(controller) — the machines of the nodes — is C(SHUTOFF) in OpenStack (one server listing per poll), not only when the nodes are NotReady.',
        'The cloud is chosen with the OpenStack options (I(cloud), I(auth)...) as in hotstack_snapset; without I(snapset_data) no cloud is used.',
      ],
    },
    ...OPENSTACK_OPTIONS,
    debug_image: {
      type: 'str',
      description:
        'Image of the shutdown debug pods. Default, as C(oc debug): the C(openshift/tools:latest) imagestreamtag, else C(registry.redhat.io/rhel9/support-tools).',
    },
  },
  notes: [...OPENSTACK_NOTES],
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
    const afterShutdown = args.snapset_data ? serversOff(ctx, args) : undefined;
    return runForModule(
      client,
      {
        ...common,
        ...(args.debug_image ? { debugImage: args.debug_image } : {}),
        csrWindowMs: 3_600_000,
        forceCertRotation: args.force_cert_rotation,
        rotationMarginMs: marginMs,
        ...(afterShutdown ? { afterShutdown } : {}),
      },
      'prepare',
    );
  },
});

/** The end of the shutdown step when snapset_data is given: every non-controller instance SHUTOFF. */
function serversOff(ctx: ModuleContext, args: OpenStackArgs & { snapset_data?: Record<string, unknown> | undefined }) {
  // a bad snapset_data is a SnapsetDataError, which the protocol reports as the failure
  const machines = parseSnapsetData(args.snapset_data).filter((instance) => instance.role !== 'controller');
  if (!machines.length) throw new ModuleFailure('snapset_data: no instance other than the controller, so no machine to wait for');
  const conn = openstackConnection(ctx, args);
  // The step's deadline and the run's interrupt end the wait through the signal; a server gone or in
  // ERROR ends it at once (the step fails naming it).
  return async (signal: AbortSignal, log: (message: string) => void) => {
    const { states, polls } = await waitForStatus(conn, machines, 'SHUTOFF', { timeoutSeconds: 86_400, log, signal });
    return { servers: Object.fromEntries(Object.entries(states).map(([name, state]) => [name, state.status])), server_polls: polls };
  };
}

export default hotstackPrepare;

if (import.meta.main) void main({ hotstack_prepare: async () => hotstackPrepare });
