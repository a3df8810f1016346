// The auth part of a cloud entry as openstacksdk and keystoneauth handle it: the auth types we
// speak and their plugin options, the legacy keys moved into `auth` (loader.magic_fixes,
// _validate_auth), the default domain of the generic plugins, and what each type requires.

import { type Dict, has, put, scalarString } from './dict.ts';
import { CloudConfigError } from './errors.ts';

export type AuthType = 'password' | 'v3password' | 'v3applicationcredential' | 'token' | 'v3token';

export const AUTH_TYPES: readonly AuthType[] = ['password', 'v3password', 'v3applicationcredential', 'token', 'v3token'];

/** Keys whose values are credentials, wherever they end up. */
export const SECRET_KEYS = ['password', 'application_credential_secret', 'token', 'passcode'];
/** A credential key as it may be spelled in a raw cloud entry: the above, and legacy forms such as auth_token. */
const CREDENTIAL_KEY = /(^|_)(password|secret|token|passcode)$/;

/**
 * Every credential value in a cloud entry as given (any nesting, before normalisation or
 * validation), so that it can be masked even when the entry is rejected.
 */
export function credentialsIn(entry: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown) => {
    if (!value || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if (typeof inner === 'string' && CREDENTIAL_KEY.test(key.toLowerCase().replace(/-/g, '_'))) found.push(inner);
      else walk(inner);
    }
  };
  walk(entry);
  return found;
}

// keystoneauth plugin options (name, then deprecated names) per auth type.
const V3_BASE = [
  'auth_url',
  'system_scope',
  'domain_id',
  'domain_name',
  'project_id',
  'project_name',
  'project_domain_id',
  'project_domain_name',
  'trust_id',
];
const GENERIC_BASE = [...V3_BASE, 'default_domain_id', 'default_domain_name'];
const USER = ['user_id', 'username', 'user_domain_id', 'user_domain_name'];
const PLUGIN_OPTIONS: Record<AuthType, string[]> = {
  password: [...GENERIC_BASE, ...USER, 'password'],
  v3password: [...V3_BASE, ...USER, 'password'],
  v3applicationcredential: [
    ...V3_BASE,
    ...USER,
    'application_credential_secret',
    'application_credential_id',
    'application_credential_name',
  ],
  token: [...GENERIC_BASE, 'token'],
  v3token: [...V3_BASE, 'token'],
};
const DEPRECATED_OPTIONS: Record<string, string[]> = { username: ['user_name'], project_id: ['tenant_id'], project_name: ['tenant_name'] };

/** `password` and `token` are keystoneauth's generic (version-discovering) plugins. */
function isGeneric(authType: AuthType): boolean {
  return authType === 'password' || authType === 'token';
}

/** `_fix_backwards_auth` and the token/passcode fixes: legacy and top-level keys move into `auth`. */
export function fixBackwardsAuth(config: Dict, auth: Dict): void {
  const mappings: Array<[string, string[]]> = [
    ['domain_id', ['domain_id']],
    ['domain_name', ['domain_name']],
    ['user_domain_id', ['user_domain_id']],
    ['user_domain_name', ['user_domain_name']],
    ['project_domain_id', ['project_domain_id']],
    ['project_domain_name', ['project_domain_name']],
    ['token', ['auth_token', 'token']],
    ['passcode', ['passcode']],
    ['project_id', ['tenant_id', 'project_id']],
    ['project_name', ['tenant_name', 'project_name']],
  ];
  for (const [target, sources] of mappings) {
    let value: string | undefined;
    for (const key of sources) {
      // Later names win; a top-level value wins over one in `auth` (it may come from an override).
      if (has(auth, key)) {
        value = scalarString(auth[key]) ?? value;
        delete auth[key];
      }
      if (has(config, key)) {
        value = scalarString(config[key]) ?? value;
        delete config[key];
      }
    }
    if (value) put(auth, target, value);
  }
}

export function handleDomainId(auth: Dict): void {
  const projectScoped = has(auth, 'project_id') || has(auth, 'project_name');
  if (!projectScoped) return;
  for (const [target, keys] of [
    ['domain_id', ['user_domain_id', 'project_domain_id']],
    ['domain_name', ['user_domain_name', 'project_domain_name']],
  ] as const) {
    for (const key of keys) {
      if (has(auth, target) && !has(auth, key)) put(auth, key, auth[target]);
    }
    delete auth[target];
  }
}

/** `_validate_auth`: every option of the plugin ends in `auth` (a value in `auth` wins), under its current name. */
export function validateAuth(config: Dict, auth: Dict, authType: AuthType): void {
  for (const option of PLUGIN_OPTIONS[authType]) {
    const names = [option, ...(DEPRECATED_OPTIONS[option] ?? [])];
    const pick = (source: Dict) => {
      for (const name of names) if (has(source, name)) return source[name];
      return undefined;
    };
    let winner = pick(auth);
    if (!winner) winner = pick(config);
    for (const name of names) {
      delete auth[name];
      delete config[name];
    }
    if (winner) put(auth, option, winner);
  }
}

/**
 * Python's `str.format(**config)` for `{key}` references, as get_one applies it to top-level strings.
 * Returns undefined when the template is not one openstacksdk could expand (it would raise).

/**
 * keystoneauth's generic plugins (`password`, `token`) use `default_domain_id|name` for the user's
 * and the project's domain when those are not given (user_domain_id = user_domain_id or
 * default_domain_id, and so on; an id wins over a name when the request is built). The v3 plugins
 * have no such option.
 */
export function applyDefaultDomain(authType: AuthType, auth: Dict): void {
  if (!isGeneric(authType)) return;
  for (const kind of ['id', 'name'] as const) {
    const fallback = scalarString(auth[`default_domain_${kind}`]);
    delete auth[`default_domain_${kind}`];
    if (!fallback) continue;
    for (const prefix of ['user', 'project']) {
      const key = `${prefix}_domain_${kind}`;
      if (!scalarString(auth[key])) put(auth, key, fallback);
    }
  }
}

/**
 * keystoneauth's v3 loaders refuse a name that is unique only within a domain when its domain is
 * not given (loading/identity.py BaseV3Loader, _plugins/identity/v3.py _assert_identity_options),
 * so openstacksdk's get_one fails on such a cloud before any request. We refuse it the same way,
 * rather than scoping it to Keystone's `default` domain, where a same-named project of another
 * domain may live. (The generic `password`/`token` plugins load, and send the name without a
 * domain, which Keystone refuses: session.ts refuses that request before sending it.)
 */
export function requireV3Domains(cloudName: string, authType: AuthType, auth: Dict): void {
  if (isGeneric(authType)) return;
  const present = (key: string) => typeof auth[key] === 'string' && auth[key] !== '';
  const check = (kind: 'user' | 'project', key: string) => {
    if (!present(key) || present(`${kind}_domain_id`) || present(`${kind}_domain_name`)) return;
    throw new CloudConfigError(
      `Cloud ${cloudName}: auth_type ${authType} with '${key}' needs '${kind}_domain_name' or '${kind}_domain_id' in its auth: ` +
        `a ${kind} name is only unique within a domain (openstacksdk refuses this cloud too); for Keystone's default domain say ${kind}_domain_id: default`,
    );
  };
  if (authType !== 'v3token') check('user', 'username');
  check('project', 'project_name');
}

/** What each auth type needs before a request can be made; the error names the cloud and the key. */
export function requireAuth(cloudName: string, authType: AuthType, auth: Dict): void {
  const present = (key: string) => typeof auth[key] === 'string' && auth[key] !== '';
  const need = (...keys: string[]) => {
    if (keys.some(present)) return;
    const what = keys.map((k) => `'${k}'`).join(' or ');
    throw new CloudConfigError(`Cloud ${cloudName}: auth_type ${authType} needs ${what} in its auth, which is missing`);
  };
  need('auth_url');
  switch (authType) {
    case 'password':
    case 'v3password':
      need('username', 'user_id');
      need('password');
      break;
    case 'v3applicationcredential':
      need('application_credential_secret');
      need('application_credential_id', 'application_credential_name');
      if (!present('application_credential_id')) {
        if (!present('username') && !present('user_id')) {
          throw new CloudConfigError(
            `Cloud ${cloudName}: auth_type v3applicationcredential with 'application_credential_name' needs 'username' or 'user_id' in its auth, which is missing`,
          );
        }
      }
      break;
    case 'token':
    case 'v3token':
      need('token');
      break;
  }
}
