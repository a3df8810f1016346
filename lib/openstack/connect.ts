// What every OpenStack-facing module shares (as openstack.cloud's OpenStackModule does): the
// `cloud` option, the connection, its credentials registered for masking, and cloud errors turned
// into plain failure messages.
import { ModuleFailure, type ModuleContext } from '../ansible/module.ts';
import { parseDictString, type Options } from '../ansible/options.ts';
import { CloudConfigError, credentialsIn, loadCloudConfig, type CloudConfig, type LoadCloudOptions } from './clouds.ts';
import { cloudSelection, type AuthOptionArgs } from './config/overrides.ts';
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

/** Notes every OpenStack module's documentation carries. */
export const OPENSTACK_NOTES = [
  'The cloud is read as openstacksdk reads it, on the host the task runs on: C(OS_CLIENT_CONFIG_FILE), then C(clouds.yaml) (or C(.yml), C(.json)) in the current directory, C($XDG_CONFIG_HOME/openstack/) (default C(~/.config/openstack/)), C(~/.config/openstack/), C(/etc/xdg/openstack/), C(/etc/openstack/). The first file found is used; one that cannot be parsed fails the task (file and line named) rather than falling back to the next. C(secure.yaml) is found the same way and merged over it.',
  'Without a cloud name, C(OS_CLOUD) chooses one; C(OS_*) variables (C(OS_AUTH_URL), C(OS_USERNAME)...) make a cloud of their own. Warnings about the configuration (duplicated keys, deprecated forms, verification turned off) are returned as Ansible warnings.',
  'TLS certificates are verified unless the cloud says C(verify: false) or C(insecure: true), or I(validate_certs=false) is given.',
];

/** The options every OpenStack module takes: openstack.cloud's auth options, with their meaning. */
export const OPENSTACK_OPTIONS: Options = {
  cloud: {
    type: 'raw',
    description: [
      'Name of the cloud in clouds.yaml, searched as openstacksdk does on the host the task runs on: C(OS_CLIENT_CONFIG_FILE), then C(clouds.yaml) in the current directory, C($XDG_CONFIG_HOME/openstack/), C(~/.config/openstack/), C(/etc/xdg/openstack/) and C(/etc/openstack/); the first file found is used, and C(secure.yaml) (same search) is merged over it.',
      'Or a dictionary holding one whole cloud entry (auth, auth_type, region_name, cacert, verify...), as openstack.cloud modules accept; then no other auth option may be given.',
      'Defaults to the C(OS_CLOUD) environment variable, then to a cloud made of the C(OS_*) variables, then to the only cloud of clouds.yaml.',
    ],
    schema: { type: ['string', 'object', 'null'] },
    secretValues: (value) => credentialsIn(value),
  },
  auth: {
    type: 'dict',
    description: [
      'Auth settings merged key by key over those of the cloud (C(auth_url), C(username), C(password), C(project_name), C(user_domain_name), C(application_credential_id)...), as in openstack.cloud.',
      'With no cloud chosen (no I(cloud), no C(OS_CLOUD), no C(OS_*) cloud and not exactly one cloud in clouds.yaml), the cloud is made of these settings alone.',
      'Credentials in it (password, secret, token) are masked in the output.',
    ],
    secretValues: (value) => credentialsIn(parseDictString(value) ?? value),
  },
  auth_type: {
    type: 'str',
    description: 'The auth plugin, over the cloud\'s C(auth_type): C(password) (the default), C(v3password), C(v3applicationcredential), C(token) or C(v3token).',
  },
  region_name: {
    type: 'str',
    description: 'The region, over the C(OS_REGION_NAME) environment variable; it must be one of the cloud\'s regions when the cloud lists them. Default: the cloud\'s first region.',
  },
  interface: {
    type: 'str',
    choices: ['public', 'internal', 'admin'],
    aliases: ['endpoint_type'],
    description: 'Which catalog endpoints to use, over the cloud\'s C(interface). Default: the cloud\'s, else C(public). (openstack.cloud always sends C(public) when it is not given.)',
  },
  validate_certs: {
    type: 'bool',
    aliases: ['verify'],
    description: 'Whether the cloud\'s TLS certificates are verified, over the cloud\'s C(verify). Default: the cloud\'s, else true. A cloud with C(insecure: true) is not verified whatever this says (as in openstacksdk; a warning says so).',
  },
  ca_cert: {
    type: 'path',
    aliases: ['cacert'],
    description: 'A CA bundle file to verify the cloud\'s certificates with, over the cloud\'s C(cacert).',
  },
  client_cert: {
    type: 'path',
    aliases: ['cert'],
    description: 'A client certificate file for TLS, over the cloud\'s C(cert).',
  },
  client_key: {
    type: 'path',
    aliases: ['key'],
    description: 'The key file of I(client_cert), over the cloud\'s C(key).',
  },
  api_timeout: {
    type: 'int',
    minimum: 1,
    description: `Seconds one HTTP request to the cloud may take before it fails (idempotent requests are retried), over the cloud's C(api_timeout). Default: the cloud's, else ${DEFAULT_API_TIMEOUT_SECONDS}.`,
  },
};

/**
 * Connects for a module: credentials read from clouds.yaml go to the module's masker before anything
 * can print them (those given in `cloud` or `auth` are registered by the protocol, from the option
 * spec), and the loader's warnings become the module's warnings.
 */
export function connectForModule(ctx: ModuleContext, args: AuthOptionArgs): Connection {
  let connection: Connection;
  try {
    connection = connect({ ...cloudSelection(args), onSecret: (secret) => ctx.masker.add(secret) });
  } catch (error) {
    throw asModuleFailure(error);
  }
  for (const warning of connection.cloud.warnings) ctx.warn(warning);
  return connection;
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
