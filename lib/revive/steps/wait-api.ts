// wait_api: until the API answers with these credentials (an old set's API refuses connections and
// serves expired certificates first: both retried). A fresh cluster answers at once.
import { waitApi } from '../api-waits.ts';
import { defineStep, MINUTE, type ReturnDoc } from './step.ts';

/** Shared with wait_route_api. */
export const ATTEMPTS: ReturnDoc = {
  description: 'Requests until the API answered.',
  returned: 'wait_api and wait_route_api steps',
  type: 'int',
  sample: 1,
};

export const waitApiStep = defineStep({
  name: 'wait_api',
  defaultTimeoutMs: 30 * MINUTE,
  doc: 'C(wait_api): until the API answers with these credentials (connection refusals and expired serving certificates are retried).',
  returns: { attempts: ATTEMPTS },
  waits: true,
  async run({ client, signal, log, options }, record) {
    record.attempts = (await waitApi(client, { signal, log, once: options.checkMode })).attempts;
    return 'ok';
  },
});
