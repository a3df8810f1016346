// A connection to one cloud, as openstacksdk's `connect()` makes it: the cloud's configuration
// (clouds.yaml or OS_*), one HTTP client with its TLS settings, one Keystone session, and the
// service clients on it. Knows nothing of Ansible (the module glue is lib/ansible/openstack.ts).
import { type CloudConfig, type LoadCloudOptions, loadCloudConfig } from './clouds.ts';
import { Glance } from './glance.ts';
import { Heat } from './heat.ts';
import { HttpClient } from './http.ts';
import { Nova } from './nova.ts';
import { Session } from './session.ts';

export interface Connection {
  cloud: CloudConfig;
  http: HttpClient;
  session: Session;
  nova: Nova;
  glance: Glance;
  heat: Heat;
}

/** The timeout of one HTTP request when neither the caller nor the cloud sets api_timeout. */
export const DEFAULT_API_TIMEOUT_SECONDS = 60;

export interface ConnectOptions {
  /** A cloud name from clouds.yaml, or a whole cloud entry; default OS_CLOUD, as openstacksdk does. */
  cloud?: string | Record<string, unknown> | null;
  /** The region; default OS_REGION_NAME. */
  regionName?: string;
  /** Settings over the cloud's (openstack.cloud's auth options, see config/overrides.ts). */
  overrides?: Record<string, unknown>;
  /** Timeout of one HTTP request; default the cloud's api_timeout, else DEFAULT_API_TIMEOUT_SECONDS. */
  requestTimeoutMs?: number;
  env?: Record<string, string | undefined>;
  /** Called with every credential the configuration holds, before any request is made. */
  onSecret?: (secret: string) => void;
}

export function connect(options: ConnectOptions = {}): Connection {
  const load: LoadCloudOptions = {};
  if (options.cloud) load.cloud = options.cloud;
  if (options.regionName) load.regionName = options.regionName;
  if (options.overrides) load.overrides = options.overrides;
  if (options.env) load.env = options.env;
  const cloud = loadCloudConfig(load);
  for (const secret of cloud.secrets) options.onSecret?.(secret);
  const http = new HttpClient({
    timeoutMs: options.requestTimeoutMs ?? (cloud.apiTimeoutSeconds ?? DEFAULT_API_TIMEOUT_SECONDS) * 1000,
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
