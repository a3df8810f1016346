// wait_stable <period>: until every ClusterOperator has been stable for strictly longer than the
// period (oc adm wait-for-stable-cluster, driven by a watch). Who held stability back is added up
// over the run, a timed-out wait included.
import { StabilityTimeout, waitStable } from '../stable-wait.ts';
import { defineStep, MINUTE } from './step.ts';

export const waitStableStep = defineStep({
  name: 'wait_stable',
  takesPeriod: true,
  // Hotstack's 20 min per stable wait.
  defaultTimeoutMs: 20 * MINUTE,
  doc: 'C(wait_stable: <period>): until every ClusterOperator is Available, not Progressing, not Degraded for strictly longer than the period (as C(oc adm wait-for-stable-cluster), driven by a watch).',
  returns: {
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
  },
  waits: true,
  async run({ client, signal, log, options, periodMs, tally }, record) {
    try {
      const result = await waitStable(client, {
        periodMs: periodMs as number,
        signal,
        log,
        once: options.checkMode,
        ...(options.operatorSelector ? { selector: options.operatorSelector } : {}),
      });
      tally.addHeld(result.heldBack);
      record.stable_since = result.stableSince;
      if (result.apiErrors) record.api_errors = result.apiErrors;
      return 'ok';
    } catch (error) {
      if (error instanceof StabilityTimeout) tally.addHeld(error.heldBack);
      throw error;
    }
  },
});
