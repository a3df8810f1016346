// A connection to one cloud, as openstacksdk's `connect()` makes it: the cloud's configuration
// (clouds.yaml or OS_*), one HTTP client with its TLS settings, one Keystone session, and the
// service clients on it. Knows nothing of Ansible (the module glue is lib/ansible/openstack.ts).
import { loadCloudConfig, type CloudConfig } from './clouds.ts';
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
