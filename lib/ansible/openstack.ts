// The Ansible side of every OpenStack module (module_utils, as openstack.cloud's OpenStackModule):
// the options that choose the cloud, and a connection made for one run — its credentials registered
// for masking before anything can print them, its request count in the result's `stats`. Errors
// need no mapping here: the client's errors are HotstackErrors, which the protocol reports.
import { credentialsIn } from '../openstack/clouds.ts';
import { connect, type Connection } from '../openstack/connect.ts';
import type { ModuleContext } from './module.ts';
import type { ArgsOf } from './options.ts';

/** The options every OpenStack module takes: spread them first into the module's own options. */
export const OPENSTACK_OPTIONS = {
  cloud: {
    type: 'raw',
    description: [
      'Name of the cloud in clouds.yaml (searched as openstacksdk does: ./clouds.yaml, ~/.config/openstack/, /etc/openstack/, or OS_CLIENT_CONFIG_FILE; secure.yaml is merged over it).',
      'Or a dictionary holding one cloud entry (auth, auth_type, region_name, cacert, verify...), as openstack.cloud modules accept.',
      'Defaults to the OS_CLOUD environment variable, then to a cloud made of the OS_* variables.',
    ],
    schema: { type: ['string', 'object', 'null'] },
    secretValues: (value: unknown) => credentialsIn(value),
  },
  api_timeout: {
    type: 'int',
    description: 'Seconds one HTTP request to the cloud may take before it fails (idempotent requests are retried).',
    default: 60,
    minimum: 1,
  },
} as const;

export type OpenStackArgs = ArgsOf<typeof OPENSTACK_OPTIONS>;

/**
 * The connection of one module run: credentials read from clouds.yaml go to the module's masker
 * before any request (those given inline in `cloud` are registered by the protocol, from the
 * option spec), and `stats.http_requests` counts what the run sent.
 */
export function openstackConnection(ctx: ModuleContext, args: OpenStackArgs): Connection {
  const conn = connect({
    cloud: isCloudChoice(args.cloud) ? args.cloud : null,
    requestTimeoutMs: args.api_timeout * 1000,
    onSecret: (secret) => ctx.masker.add(secret),
  });
  ctx.addStats(() => ({ http_requests: conn.http.requestCount }));
  return conn;
}

/** The schema allows a name, an entry or null for `cloud`; this tells TypeScript so. */
function isCloudChoice(value: unknown): value is string | Record<string, unknown> | null {
  return value === null || typeof value === 'string' || (typeof value === 'object' && !Array.isArray(value));
}
