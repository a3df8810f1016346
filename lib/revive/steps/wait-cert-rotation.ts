// wait_cert_rotation: until the first kubelet certificate rotation has happened (no wait when it
// has), or force it (force_cert_rotation). Its decision gives the run's cert_rotation and
// snapset_properties.
import { checkModeRotation, waitCertRotation } from '../rotation.ts';
import { defineStep, MINUTE, seconds } from './step.ts';

export const waitCertRotationStep = defineStep({
  name: 'wait_cert_rotation',
  // Up to the first rotation: at most ~25 h after install.
  defaultTimeoutMs: 26 * 60 * MINUTE,
  doc: 'C(wait_cert_rotation): until the first kubelet certificate rotation has happened (no wait when it has), or force it (I(force_cert_rotation)).',
  returns: {
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
  async run({ client, signal, log, options, deadline, tally }, record) {
    const result = await waitCertRotation(client, {
      signal,
      log,
      deadline,
      marginMs: options.rotationMarginMs,
      force: options.forceCertRotation,
      checkMode: options.checkMode,
    });
    tally.rotation = result.decision;
    record.waited_seconds = seconds(result.waitedMs);
    record.forced = result.forced;
    if (result.forced) return 'changed';
    if (options.checkMode) {
      // What a real run would do: nothing, wait (until when), force, or fail (thrown).
      const predicted = checkModeRotation(result.decision, options.forceCertRotation);
      if (predicted.msg) record.msg = predicted.msg;
      return predicted.outcome;
    }
    return 'ok';
  },
});
