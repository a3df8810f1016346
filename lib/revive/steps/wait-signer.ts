// wait_signer: until the kubelet CSR signer is valid (approving CSRs earlier makes the
// kube-controller-manager back off); a cluster whose signer OpenShift does not manage has none to wait for.
import { waitSigner } from '../api-waits.ts';
import { defineStep, iso, MINUTE } from './step.ts';

export const waitSignerStep = defineStep({
  name: 'wait_signer',
  defaultTimeoutMs: 30 * MINUTE,
  doc: 'C(wait_signer): until the kubelet CSR signer (openshift-kube-controller-manager-operator/csr-signer) is valid.',
  returns: {
    signer_valid_until: {
      description: 'End of validity of the kubelet CSR signer (ISO 8601 UTC).',
      returned: 'wait_signer steps, when the signer says it',
      type: 'str',
      sample: '2026-12-25T18:00:00Z',
    },
  },
  waits: true,
  async run({ client, signal, log, options }, record) {
    const signer = await waitSigner(client, { signal, log, once: options.checkMode });
    if (signer?.notAfter) record.signer_valid_until = iso(signer.notAfter.getTime());
    else if (!signer) record.msg = 'no OpenShift-managed kubelet signer: nothing to wait for';
    return 'ok';
  },
});
