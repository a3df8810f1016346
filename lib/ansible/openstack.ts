// The Ansible side of every OpenStack module (module_utils, as openstack.cloud's OpenStackModule):
// openstack.cloud's auth options, which choose the cloud and override its settings, and a
// connection made for one run — its credentials registered for masking before anything can print
// them, the configuration's warnings returned as Ansible warnings, its request count in the
// result's `stats`. Errors need no mapping here: the client's errors are HotstackErrors, which the
// protocol reports. What the options mean is lib/openstack/config/overrides.ts (pure, unit-tested).
import { credentialsIn } from '../openstack/clouds.ts';
import { cloudSelection } from '../openstack/config/overrides.ts';
import { type Connection, connect, DEFAULT_API_TIMEOUT_SECONDS } from '../openstack/connect.ts';
import type { ModuleContext } from './module.ts';
import { type ArgsOf, parseDictString } from './options.ts';

/** Notes every OpenStack module's documentation carries (spread them into the module's `notes`). */
export const OPENSTACK_NOTES = [
  'The cloud is read as openstacksdk reads it, on the host the task runs on: C(OS_CLIENT_CONFIG_FILE), then C(clouds.yaml) (or C(.yml), C(.json)) in the current directory, C($XDG_CONFIG_HOME/openstack/) (default C(~/.config/openstack/)), C(~/.config/openstack/), C(/etc/xdg/openstack/), C(/etc/openstack/). The first file found is used; one that cannot be parsed fails the task (file and line named) rather than falling back to the next. C(secure.yaml) is found the same way and merged over it.',
  'Without a cloud name, C(OS_CLOUD) chooses one; C(OS_*) variables (C(OS_AUTH_URL), C(OS_USERNAME)...) make a cloud of their own. Warnings about the configuration (duplicated keys, deprecated forms, verification turned off) are returned as Ansible warnings.',
  'TLS certificates are verified unless the cloud says C(verify: false) or C(insecure: true), or I(validate_certs=false) is given.',
];

/** The options every OpenStack module takes (openstack.cloud's auth options): spread them first into the module's own options. */
export const OPENSTACK_OPTIONS = {
  cloud: {
    type: 'raw',
    description: [
      'Name of the cloud in clouds.yaml, searched as openstacksdk does on the host the task runs on: C(OS_CLIENT_CONFIG_FILE), then C(clouds.yaml) in the current directory, C($XDG_CONFIG_HOME/openstack/), C(~/.config/openstack/), C(/etc/xdg/openstack/) and C(/etc/openstack/); the first file found is used, and C(secure.yaml) (same search) is merged over it.',
      "Or a dictionary of cloud settings (auth, auth_type, region_name, cacert, verify, interface...), as openstack.cloud modules accept: as openstacksdk's C(connect(**dict)) reads it, they are laid over the cloud named by its own C(cloud) key, else over the default cloud below (C(auth) key by key), so the file's CA bundle, endpoint overrides and domain names are kept; with no default cloud the dictionary is the whole cloud. Then no other auth option may be given.",
      'Defaults to the C(OS_CLOUD) environment variable, then to a cloud made of the C(OS_*) variables, then to the only cloud of clouds.yaml.',
    ],
    schema: { type: ['string', 'object', 'null'] },
    secretValues: (value: unknown) => credentialsIn(value),
  },
  auth: {
    type: 'dict',
    description: [
      'Auth settings merged key by key over those of the cloud (C(auth_url), C(username), C(password), C(project_name), C(user_domain_name), C(application_credential_id)...), as in openstack.cloud.',
      'With no cloud chosen (no I(cloud), no C(OS_CLOUD), no C(OS_*) cloud and not exactly one cloud in clouds.yaml), the cloud is made of these settings alone.',
      'Credentials in it (password, secret, token) are masked in the output.',
    ],
    secretValues: (value: unknown) => credentialsIn((typeof value === 'string' ? parseDictString(value) : undefined) ?? value),
  },
  auth_type: {
    type: 'str',
    description:
      "The auth plugin, over the cloud's C(auth_type): C(password) (the default), C(v3password), C(v3applicationcredential), C(token) or C(v3token).",
  },
  region_name: {
    type: 'str',
    description:
      "The region, over the C(OS_REGION_NAME) environment variable; it must be one of the cloud's regions when the cloud lists them. Default: the cloud's first region.",
  },
  interface: {
    type: 'str',
    choices: ['public', 'internal', 'admin'],
    aliases: ['endpoint_type'],
    description:
      "Which catalog endpoints to use, over the cloud's C(interface). Default: the cloud's, else C(public). (openstack.cloud always sends C(public) when it is not given.)",
  },
  validate_certs: {
    type: 'bool',
    aliases: ['verify'],
    description:
      "Whether the cloud's TLS certificates are verified, over the cloud's C(verify). Default: the cloud's, else true. A cloud with C(insecure: true) is not verified whatever this says (as in openstacksdk; a warning says so).",
  },
  ca_cert: {
    type: 'path',
    aliases: ['cacert'],
    description: "A CA bundle file to verify the cloud's certificates with, over the cloud's C(cacert).",
  },
  client_cert: {
    type: 'path',
    aliases: ['cert'],
    description: "A client certificate file for TLS, over the cloud's C(cert).",
  },
  client_key: {
    type: 'path',
    aliases: ['key'],
    description: "The key file of I(client_cert), over the cloud's C(key).",
  },
  api_timeout: {
    type: 'int',
    minimum: 1,
    description: `Seconds one HTTP request to the cloud may take before it fails (idempotent requests are retried), over the cloud's C(api_timeout). Default: the cloud's, else ${DEFAULT_API_TIMEOUT_SECONDS}.`,
  },
} as const;

export type OpenStackArgs = ArgsOf<typeof OPENSTACK_OPTIONS>;

/**
 * The connection of one module run: credentials read from clouds.yaml go to the module's masker
 * before any request (those given in `cloud` or `auth` are registered by the protocol, from the
 * option spec), the loader's warnings become the module's warnings, and `stats.http_requests`
 * (and `http_requests_by_service`) counts what the run sent.
 */
export function openstackConnection(ctx: ModuleContext, args: OpenStackArgs): Connection {
  const conn = connect({ ...cloudSelection(args), onSecret: (secret) => ctx.masker.add(secret) });
  for (const warning of conn.cloud.warnings) ctx.warn(warning);
  ctx.addStats(() => ({ http_requests: conn.http.requestCount, http_requests_by_service: { ...conn.http.requestsByService } }));
  return conn;
}

/** The `stats` return of a module on an OpenStack connection (the protocol adds it when documented). */
export const OPENSTACK_STATS_RETURN = {
  description: 'C(wall_seconds) of the run and, once connected, the HTTP requests it sent to the cloud.',
  returned: 'always',
  type: 'dict',
  contains: {
    wall_seconds: { description: 'Seconds the run took.', type: 'float', sample: 6.06 },
    http_requests: { description: 'HTTP requests sent to the cloud, retries included.', type: 'int', sample: 27 },
    http_requests_by_service: {
      description: 'The same per service type of the catalog (C(identity) is the authentication).',
      type: 'dict',
      sample: { identity: 1, compute: 2, image: 24 },
    },
  },
} as const;
