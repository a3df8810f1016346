// What every OpenStack-facing module shares (as openstack.cloud's OpenStackModule does): the
// `cloud` option, the connection, its credentials registered for masking, and cloud errors turned
// into plain failure messages.
import { ModuleFailure, type ModuleContext } from '../ansible/module.ts';
import type { Options } from '../ansible/options.ts';
import { CloudConfigError, credentialsIn, loadCloudConfig, type CloudConfig } from './clouds.ts';
import { Glance } from './glance.ts';
import { Heat } from './heat.ts';
import { HttpClient, OpenStackHttpError } from './http.ts';
import { Nova } from './nova.ts';
import { AuthenticationError, Session } from './session.ts';

export interface Connection {
  cloud: CloudConfig;
  http: HttpClient;
  session: Session;
  nova: Nova;
  glance: Glance;
  heat: Heat;
}

export interface ConnectOptions {
  /** A cloud name from clouds.yaml, or a whole cloud entry; default OS_CLOUD, as openstacksdk does. */
  cloud?: string | Record<string, unknown> | null;
  /** Timeout of one HTTP request. */
  requestTimeoutMs?: number;
  env?: Record<string, string | undefined>;
  /** Called with every credential the configuration holds, before any request is made. */
  onSecret?: (secret: string) => void;
}

export function connect(options: ConnectOptions = {}): Connection {
  const cloud = loadCloudConfig({ ...(options.cloud ? { cloud: options.cloud } : {}), ...(options.env ? { env: options.env } : {}) });
  for (const secret of cloud.secrets) options.onSecret?.(secret);
  const http = new HttpClient({
    timeoutMs: options.requestTimeoutMs ?? 60_000,
    tls: {
      verify: cloud.verify,
      ...(cloud.cacert ? { cacert: cloud.cacert } : {}),
      ...(cloud.cert ? { cert: cloud.cert } : {}),
      ...(cloud.key ? { key: cloud.key } : {}),
    },
  });
  const session = new Session(cloud, http);
  return { cloud, http, session, nova: new Nova(session), glance: new Glance(session), heat: new Heat(session) };
}

/** The options every OpenStack module takes. */
export const OPENSTACK_OPTIONS: Options = {
  cloud: {
    type: 'raw',
    description: [
      'Name of the cloud in clouds.yaml (searched as openstacksdk does: ./clouds.yaml, ~/.config/openstack/, /etc/openstack/, or OS_CLIENT_CONFIG_FILE; secure.yaml is merged over it).',
      'Or a dictionary holding one cloud entry (auth, auth_type, region_name, cacert, verify...), as openstack.cloud modules accept.',
      'Defaults to the OS_CLOUD environment variable, then to a cloud made of the OS_* variables.',
    ],
    schema: { type: ['string', 'object', 'null'] },
    secretValues: (value) => credentialsIn(value),
  },
  api_timeout: {
    type: 'int',
    description: 'Seconds one HTTP request to the cloud may take before it fails (idempotent requests are retried).',
    default: 60,
    minimum: 1,
  },
};

/**
 * Connects for a module: credentials read from clouds.yaml go to the module's masker before anything
 * can print them (those given inline in `cloud` are registered by the protocol, from the option spec).
 */
export function connectForModule(ctx: ModuleContext, args: { cloud?: unknown; api_timeout?: number }): Connection {
  try {
    return connect({
      cloud: (args.cloud as string | Record<string, unknown> | null | undefined) ?? null,
      requestTimeoutMs: (args.api_timeout ?? 60) * 1000,
      onSecret: (secret) => ctx.masker.add(secret),
    });
  } catch (error) {
    throw asModuleFailure(error);
  }
}

/** Cloud and configuration errors as failures whose message is the plain cause. */
export function asModuleFailure(error: unknown, prefix = ''): ModuleFailure {
  if (error instanceof ModuleFailure) return error;
  const lead = prefix ? `${prefix}: ` : '';
  if (error instanceof CloudConfigError || error instanceof AuthenticationError) return new ModuleFailure(lead + error.message);
  if (error instanceof OpenStackHttpError) {
    return new ModuleFailure(lead + error.message, { status: error.status ?? null });
  }
  return new ModuleFailure(lead + (error instanceof Error ? error.message : String(error)));
}
