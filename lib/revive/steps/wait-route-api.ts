// wait_route_api: Hotstack's wait_for_api_versions_route — until route.openshift.io/v1 is served.
import { waitGroupVersion } from '../api-waits.ts';
import { defineStep, MINUTE } from './step.ts';
import { ATTEMPTS } from './wait-api.ts';

const ROUTE_GROUP_VERSION = 'route.openshift.io/v1';

export const waitRouteApiStep = defineStep({
  name: 'wait_route_api',
  // ~9.3 min in Hotstack.
  defaultTimeoutMs: 10 * MINUTE,
  doc: 'C(wait_route_api): until C(route.openshift.io/v1) is served.',
  returns: { attempts: ATTEMPTS },
  waits: true,
  async run({ client, signal, log, options }, record) {
    record.attempts = (await waitGroupVersion(client, ROUTE_GROUP_VERSION, { signal, log, once: options.checkMode })).attempts;
    return 'ok';
  },
});
