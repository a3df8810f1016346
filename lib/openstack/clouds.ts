// clouds.yaml as openstacksdk reads it (openstack/config/loader.py, cloud_region.py, _util.py; facts §4):
// where the files are searched, secure.yaml merged over clouds.yaml, the implicit cloud made of the OS_*
// environment variables, which cloud is chosen, regions, the legacy keys moved into `auth`, the auth
// types we speak, TLS settings and the per-service keys.
//
// Deliberate differences from openstacksdk, all in the direction of "what the user meant":
//  - `auth_plugin` in a cloud entry is honoured (openstacksdk lets the default `auth_type: password` win).
//  - `insecure`/`verify` strings accept true/yes/on/1 and false/no/off/0 (openstacksdk: only "true").
//  - a non-boolean string in `verify` is taken as a CA bundle path (requests would do the same).
//  - YAML is read as PyYAML reads it (YAML 1.1 booleans yes/no/on/off, merge keys), except that
//    dates stay strings and integers/floats become their text without losing digits.
//  - null values count as absent (openstacksdk turns some of them into the string "None").
//  - `OS_REGION_NAME` (or `regionName`) requests a region for named clouds too, as the region
//    argument of get_one does.
//  - vendor profiles (`profile:`/`cloud:`) are refused.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadAll, NOT_RESOLVED, Schema, YAML11_SCHEMA, defineScalarTag, floatYaml11Tag, intYaml11Tag } from 'js-yaml';
import { HotstackError } from '../errors.ts';

export type AuthType = 'password' | 'v3password' | 'v3applicationcredential' | 'token' | 'v3token';

export const AUTH_TYPES: readonly AuthType[] = ['password', 'v3password', 'v3applicationcredential', 'token', 'v3token'];

export interface CloudConfig {
  /** The chosen cloud: its name in clouds.yaml, `envvars` (or OS_CLOUD_NAME) for the environment cloud, `inline` for a dict. */
  name: string;
  authType: AuthType;
  /** auth_url, username, user_id, password, *_domain_*, project_*, application_credential_*, token... */
  auth: Record<string, string>;
  regionName?: string;
  /** Default endpoint interface: `public` unless the cloud says otherwise. */
  interface: string;
  /** false when `verify: false` or `insecure: true`. */
  verify: boolean;
  /** CA bundle file, `~` expanded. Absent when verify is false. */
  cacert?: string;
  /** Client certificate file, `~` expanded. */
  cert?: string;
  /** Client key file, `~` expanded. */
  key?: string;
  /** Service type -> URL from `<service>_endpoint_override`, else `<service>_endpoint`. Filed under the official type and its aliases. */
  endpointOverrides: Record<string, string>;
  /** Service type -> interface from `<service>_interface` (or legacy `<service>_endpoint_type`). */
  serviceInterfaces: Record<string, string>;
  /** Service type -> API version from `<service>_api_version`. */
  apiVersions: Record<string, string>;
  /** Every credential value present (passwords, application credential secrets, tokens), for masking. */
  secrets: string[];
  /** clouds and secure files actually read. */
  sourceFiles: string[];
  /** Files skipped, values ignored, deprecated forms used. Never holds a secret. */
  warnings: string[];
}

export interface LoadCloudOptions {
  /** A cloud name, or a whole cloud entry (the shape of one entry under `clouds:`). */
  cloud?: string | Record<string, unknown>;
  /** The region to use; default OS_REGION_NAME (named and environment clouds only). */
  regionName?: string;
  /** Default process.env. */
  env?: Record<string, string | undefined>;
  /** Default process.cwd(). */
  cwd?: string;
  /** Default os.homedir(). */
  home?: string;
  /** Default /etc/openstack. */
  systemDir?: string;
}

/** clouds.yaml, secure.yaml or the OS_* variables do not describe a usable cloud; the message says where. */
export class CloudConfigError extends HotstackError {}

type Dict = Record<string, unknown>;

const CONFIG_SUFFIXES = ['.yaml', '.yml', '.json'];
const ENV_SELECTORS = new Set(['OS_CLOUD', 'OS_REGION_NAME', 'OS_CLIENT_CONFIG_FILE', 'OS_CLIENT_SECURE_FILE', 'OS_CLOUD_NAME']);
const DEFAULTS: Dict = { auth_type: 'password', interface: 'public' };
const SECRET_KEYS = ['password', 'application_credential_secret', 'token', 'passcode'];
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
// openstacksdk leaves only password out; no credential should be read as a template.
const FORMAT_EXCLUSIONS = new Set(SECRET_KEYS);

/** Official service types and the aliases openstacksdk also tries (os-service-types), in its order. */
export const SERVICE_TYPES: Readonly<Record<string, readonly string[]>> = {
  compute: [],
  image: [],
  identity: [],
  network: [],
  orchestration: [],
  placement: [],
  'block-storage': ['volumev3', 'volumev2', 'volume', 'block-store'],
  'object-store': [],
  'load-balancer': [],
  'key-manager': [],
  dns: [],
  baremetal: [],
  'baremetal-introspection': [],
  'shared-file-system': ['sharev2', 'share'],
  'container-infrastructure-management': ['container-infrastructure', 'container-infra'],
  workflow: ['workflowv2'],
  message: ['messaging'],
  clustering: [],
  accelerator: [],
};

// keystoneauth plugin options (name, then deprecated names) per auth type.
const V3_BASE = ['auth_url', 'system_scope', 'domain_id', 'domain_name', 'project_id', 'project_name', 'project_domain_id', 'project_domain_name', 'trust_id'];
const GENERIC_BASE = [...V3_BASE, 'default_domain_id', 'default_domain_name'];
const USER = ['user_id', 'username', 'user_domain_id', 'user_domain_name'];
const PLUGIN_OPTIONS: Record<AuthType, string[]> = {
  password: [...GENERIC_BASE, ...USER, 'password'],
  v3password: [...V3_BASE, ...USER, 'password'],
  v3applicationcredential: [...V3_BASE, ...USER, 'application_credential_secret', 'application_credential_id', 'application_credential_name'],
  token: [...GENERIC_BASE, 'token'],
  v3token: [...V3_BASE, 'token'],
};
const DEPRECATED_OPTIONS: Record<string, string[]> = { username: ['user_name'], project_id: ['tenant_id'], project_name: ['tenant_name'] };

// ---------------------------------------------------------------------------------------------
// Small helpers

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Assigns without ever touching a prototype (a `__proto__` key in a file stays a plain key). */
function put(target: Dict, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function has(target: Dict, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(target, key);
}

function get(target: Dict, key: string): unknown {
  return has(target, key) ? target[key] : undefined;
}

function deepCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deepCopy);
  if (isDict(value)) {
    const out: Dict = {};
    for (const [k, v] of Object.entries(value)) put(out, k, deepCopy(v));
    return out;
  }
  return value;
}

/** `_util.normalize_keys`: `-` becomes `_` in keys (recursively in dicts), numbers become strings. */
export function normalizeKeys(config: Dict): Dict {
  const out: Dict = {};
  for (const [rawKey, value] of Object.entries(config)) {
    const key = rawKey.replace(/-/g, '_');
    if (isDict(value)) put(out, key, normalizeKeys(value));
    else if (typeof value === 'number' || typeof value === 'bigint') put(out, key, String(value));
    else put(out, key, deepCopy(value));
  }
  return out;
}

/** `_util.merge_clouds`: `over` wins, dicts merged recursively. */
export function mergeClouds(base: Dict, over: Dict): Dict {
  const out = deepCopy(base) as Dict;
  for (const [k, v] of Object.entries(over)) {
    const current = get(out, k);
    if (isDict(v) && isDict(current)) put(out, k, mergeClouds(current, v));
    else put(out, k, deepCopy(v));
  }
  return out;
}

/** `_auth_update`: top-level keys replaced, the `auth` dict merged key by key. */
function authUpdate(target: Dict, source: Dict): void {
  for (const [k, v] of Object.entries(source)) {
    const current = get(target, k);
    if (k === 'auth' && isDict(v) && isDict(current)) {
      for (const [ak, av] of Object.entries(v)) put(current, ak, deepCopy(av));
    } else {
      put(target, k, deepCopy(v));
    }
  }
}

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0', '']);

/** true/false for boolean-like values, undefined for anything else. */
export function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  return undefined;
}

/** A scalar as the string openstacksdk would hand on; undefined for null, dicts and lists. */
function scalarString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return undefined;
}

function expandUser(file: string, home: string): string {
  if (file === '~') return home;
  if (file.startsWith('~/')) return path.join(home, file.slice(2));
  return file;
}

function quote(name: string): string {
  return JSON.stringify(name);
}

// ---------------------------------------------------------------------------------------------
// Reading files

// PyYAML's safe_load (YAML 1.1), with numbers kept as exact text and dates kept as strings.
const pyBoolTag = defineScalarTag<boolean>('tag:yaml.org,2002:bool', {
  implicit: true,
  implicitFirstChars: ['t', 'T', 'f', 'F', 'y', 'Y', 'n', 'N', 'o', 'O'],
  resolve: (source) => {
    if (/^(?:true|True|TRUE|yes|Yes|YES|on|On|ON)$/.test(source)) return true;
    if (/^(?:false|False|FALSE|no|No|NO|off|Off|OFF)$/.test(source)) return false;
    return NOT_RESOLVED;
  },
  identify: (data) => typeof data === 'boolean',
});
const textIntTag = defineScalarTag<string>('tag:yaml.org,2002:int', {
  implicit: true,
  implicitFirstChars: intYaml11Tag.implicitFirstChars,
  resolve: (source, isExplicit, tagName) => {
    const decimal = /^([-+]?)([1-9][0-9_]*)$/.exec(source);
    if (decimal) return (decimal[1] === '-' ? '-' : '') + BigInt((decimal[2] ?? '').replace(/_/g, '')).toString();
    const value = intYaml11Tag.resolve(source, isExplicit, tagName);
    return value === NOT_RESOLVED ? NOT_RESOLVED : String(value);
  },
  identify: () => false,
});
const textFloatTag = defineScalarTag<string>('tag:yaml.org,2002:float', {
  implicit: true,
  implicitFirstChars: floatYaml11Tag.implicitFirstChars,
  resolve: (source, isExplicit, tagName) => {
    const value = floatYaml11Tag.resolve(source, isExplicit, tagName);
    if (value === NOT_RESOLVED) return NOT_RESOLVED;
    return /^[-+]?[0-9][0-9_]*\.[0-9_]*$/.test(source) ? source.replace(/_/g, '').replace(/^\+/, '') : String(value);
  },
  identify: () => false,
});
const REPLACED_TAGS = new Set(['tag:yaml.org,2002:bool', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:timestamp']);
const PY_YAML_SCHEMA = new Schema([...YAML11_SCHEMA.tags.filter((tag) => !REPLACED_TAGS.has(tag.tagName)), pyBoolTag, textIntTag, textFloatTag]);

/** Parses clouds/secure file text; the error message never quotes the file (it may hold a password). */
export function parseConfigText(text: string, file: string): unknown {
  if (file.endsWith('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error('not valid JSON');
    }
  }
  let documents: unknown[];
  try {
    documents = loadAll(text, { schema: PY_YAML_SCHEMA, filename: file });
  } catch (error) {
    const e = error as { reason?: unknown; mark?: { line?: number; column?: number } };
    const where = typeof e.mark?.line === 'number' ? ` at line ${e.mark.line + 1}, column ${(e.mark.column ?? 0) + 1}` : '';
    throw new Error(`not valid YAML${typeof e.reason === 'string' ? `: ${e.reason}` : ''}${where}`);
  }
  if (documents.length > 1) throw new Error('not valid YAML: expected a single document, found several');
  return documents[0] ?? null;
}

interface LoadedFile {
  file: string;
  data: unknown;
}

/** `_load_yaml_json_file`: the first file that exists and parses; the others are skipped with a warning. */
function loadFirstFile(files: string[], warnings: string[]): LoadedFile | undefined {
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      warnings.push(`Skipping config file ${file}: cannot read it (${code})`);
      continue;
    }
    try {
      return { file, data: parseConfigText(text, file) };
    } catch (error) {
      warnings.push(`Skipping config file ${file}: ${(error as Error).message}`);
    }
  }
  return undefined;
}

/** `_validate_config_file`: a non-empty file must be a mapping; one without `clouds` is warned about. */
function validateConfigFile(loaded: LoadedFile, warnings: string[]): Dict {
  const { file, data } = loaded;
  if (data === null || data === undefined || data === '' || (Array.isArray(data) && data.length === 0)) {
    warnings.push(`Configuration file ${file} is empty`);
    return {};
  }
  if (!isDict(data)) throw new CloudConfigError(`Configuration file ${file} is empty or not a valid mapping`);
  if (!has(data, 'clouds')) warnings.push(`Configuration file ${file} does not contain a 'clouds' key`);
  else if (data.clouds !== null && !isDict(data.clouds)) throw new CloudConfigError(`Configuration file ${file}: 'clouds' is not a mapping`);
  return data;
}

export interface SearchPaths {
  directories: string[];
  cloudFiles: string[];
  secureFiles: string[];
}

/** The files openstacksdk looks at, in order (OS_CLIENT_CONFIG_FILE / OS_CLIENT_SECURE_FILE first). */
export function searchPaths(options: LoadCloudOptions = {}): SearchPaths {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const home = options.home ?? os.homedir();
  const systemDir = options.systemDir ?? '/etc/openstack';
  const directories: string[] = [cwd];
  const xdg = env.XDG_CONFIG_HOME?.trim();
  if (xdg) directories.push(path.join(path.resolve(cwd, xdg), 'openstack'));
  directories.push(path.join(home, '.config', 'openstack'), systemDir);
  const unique = [...new Set(directories)];
  const filesOf = (base: string) => unique.flatMap((dir) => CONFIG_SUFFIXES.map((suffix) => path.join(dir, base + suffix)));
  const cloudFiles = filesOf('clouds');
  const secureFiles = filesOf('secure');
  if (env.OS_CLIENT_CONFIG_FILE) cloudFiles.unshift(path.resolve(cwd, env.OS_CLIENT_CONFIG_FILE));
  if (env.OS_CLIENT_SECURE_FILE) secureFiles.unshift(path.resolve(cwd, env.OS_CLIENT_SECURE_FILE));
  return { directories: unique, cloudFiles, secureFiles };
}

// ---------------------------------------------------------------------------------------------
// The environment cloud

/** `_get_os_environ`: the cloud made of OS_* variables, or undefined when only selectors are set. */
export function environmentCloud(env: Record<string, string | undefined>): Dict | undefined {
  const keys = Object.keys(env).filter(
    (k) => k.startsWith('OS_') && !k.startsWith('OS_TEST') && !k.startsWith('OS_STD') && !k.startsWith('OS_LOG') && env[k] !== undefined,
  );
  if (!keys.some((k) => !ENV_SELECTORS.has(k))) return undefined;
  const cloud: Dict = {};
  for (const k of keys) {
    // The selectors other than the region say which cloud, they are no part of it.
    if (ENV_SELECTORS.has(k) && k !== 'OS_REGION_NAME') continue;
    put(cloud, k.slice(3).toLowerCase(), env[k]);
  }
  return cloud;
}

// ---------------------------------------------------------------------------------------------
// Regions

interface Region {
  name: string;
  values: Dict;
}

function knownRegions(cloudName: string, config: Dict, warnings: string[]): Region[] {
  if (has(config, 'regions')) {
    const regions = config.regions;
    if (regions === null || regions === undefined) return [];
    if (!Array.isArray(regions)) throw new CloudConfigError(`Cloud ${cloudName}: 'regions' must be a list`);
    return regions.map((region, index): Region => {
      if (isDict(region)) {
        const keys = Object.keys(region);
        if (!has(region, 'name') || keys.some((k) => k !== 'name' && k !== 'values')) {
          throw new CloudConfigError(`Cloud ${cloudName}: invalid region entry #${index + 1} (it needs 'name' and may only have 'values' besides)`);
        }
        const name = scalarString(region.name);
        if (name === undefined) throw new CloudConfigError(`Cloud ${cloudName}: region entry #${index + 1} has no usable name`);
        const values = region.values ?? {};
        if (!isDict(values)) throw new CloudConfigError(`Cloud ${cloudName}: 'values' of region ${name} is not a mapping`);
        return { name, values: deepCopy(values) as Dict };
      }
      const name = scalarString(region);
      if (name === undefined) throw new CloudConfigError(`Cloud ${cloudName}: invalid region entry #${index + 1}`);
      return { name, values: {} };
    });
  }
  if (has(config, 'region_name') && config.region_name !== null && config.region_name !== undefined) {
    const value = config.region_name;
    const names = Array.isArray(value) ? value.map((v) => scalarString(v) ?? '') : (scalarString(value) ?? '').split(',');
    if (names.length > 1) warnings.push(`Cloud ${cloudName}: a comma separated (or list) region_name is deprecated, use a 'regions' list`);
    return names.map((name) => ({ name, values: {} }));
  }
  return [];
}

function selectRegion(cloudName: string, regions: Region[], requested: string): Region {
  if (regions.length === 0) return { name: requested, values: {} };
  if (!requested) return regions[0] as Region;
  const found = regions.find((region) => region.name === requested);
  if (found) return found;
  throw new CloudConfigError(
    `Region ${requested} is not a valid region name for cloud ${cloudName}. Valid choices are ${regions.map((r) => r.name).join(',')}. ` +
      'Please note that region names are case sensitive.',
  );
}

// ---------------------------------------------------------------------------------------------
// Fixes of legacy forms (loader.magic_fixes) and auth validation

function fixBackwardsAuth(config: Dict, auth: Dict): void {
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

/** `_fix_backwards_interface`: `*endpoint_type` keys become `*interface` (a `*_interface` given too wins). */
function fixBackwardsInterface(config: Dict): void {
  for (const key of Object.keys(config)) {
    if (!key.endsWith('endpoint_type')) continue;
    const target = key.slice(0, -'endpoint_type'.length) + 'interface';
    const value = config[key];
    delete config[key];
    if (!has(config, target)) put(config, target, value);
  }
}

function handleDomainId(auth: Dict): void {
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
function validateAuth(config: Dict, auth: Dict, authType: AuthType): void {
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
 */
export function pyFormat(template: string, context: Dict): string | undefined {
  if (!template.includes('{') && !template.includes('}')) return template;
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if ((ch === '{' || ch === '}') && template[i + 1] === ch) {
      out += ch;
      i++;
    } else if (ch === '{') {
      const end = template.indexOf('}', i);
      const field = end < 0 ? '' : template.slice(i + 1, end);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) return undefined;
      const value = scalarString(get(context, field));
      if (value === undefined) return undefined;
      out += value;
      i = end;
    } else if (ch === '}') {
      return undefined;
    } else {
      out += ch;
    }
  }
  return out;
}

function requireAuth(cloudName: string, authType: AuthType, auth: Dict): void {
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

function serviceValue(config: Dict, serviceType: string, option: string): string | undefined {
  for (const type of [serviceType, ...(SERVICE_TYPES[serviceType] ?? [])]) {
    const value = scalarString(get(config, `${type.toLowerCase().replace(/-/g, '_')}_${option}`));
    if (value) return value;
  }
  return undefined;
}

/** Files a per-service value under the official type, its underscore spelling and its aliases. */
function fileUnderService(target: Record<string, string>, serviceType: string, value: string): void {
  for (const name of new Set([serviceType, serviceType.replace(/-/g, '_'), ...(SERVICE_TYPES[serviceType] ?? [])])) target[name] = value;
}

// ---------------------------------------------------------------------------------------------
// One cloud

interface BuildContext {
  home: string;
  warnings: string[];
  requestedRegion: string;
  sourceFiles: string[];
}

/** get_one for one cloud entry: defaults, the entry, the region's values, the fixes, the validation. */
export function buildCloudConfig(cloudName: string, rawEntry: unknown, context: BuildContext): CloudConfig {
  const { warnings } = context;
  if (rawEntry === null || rawEntry === undefined) rawEntry = {};
  if (!isDict(rawEntry)) throw new CloudConfigError(`Cloud ${cloudName}: its entry is not a mapping`);
  const entry = normalizeKeys(rawEntry);
  if (has(entry, 'profile') || has(entry, 'cloud')) {
    throw new CloudConfigError(`Cloud ${cloudName}: vendor profiles are not supported (remove '${has(entry, 'profile') ? 'profile' : 'cloud'}' and give the settings in full)`);
  }
  if (has(entry, 'auth') && entry.auth !== null && !isDict(entry.auth)) throw new CloudConfigError(`Cloud ${cloudName}: 'auth' is not a mapping`);
  if (entry.auth === null) delete entry.auth;
  // auth_plugin is the old name of auth_type; auth_type wins when both are given.
  if (has(entry, 'auth_plugin')) {
    if (!has(entry, 'auth_type')) put(entry, 'auth_type', entry.auth_plugin);
    delete entry.auth_plugin;
  }
  fixBackwardsInterface(entry);

  const config: Dict = { ...DEFAULTS, auth: {} };
  authUpdate(config, entry);

  const region = selectRegion(cloudName, knownRegions(cloudName, entry, warnings), context.requestedRegion);
  delete config.regions;
  config.region_name = region.name;
  fixBackwardsInterface(region.values);
  for (const [k, v] of Object.entries(region.values)) {
    if (v === null || v === undefined) continue;
    const current = get(config, 'auth');
    if (k === 'auth' && isDict(v) && isDict(current)) {
      for (const [ak, av] of Object.entries(v)) put(current, ak, deepCopy(av));
    } else {
      put(config, k, deepCopy(v));
    }
  }

  const auth = config.auth as Dict;
  delete config.auth;

  // auth_type
  const rawType = config.auth_type;
  const typeName = scalarString(rawType) || 'none';
  if (!(AUTH_TYPES as readonly string[]).includes(typeName)) {
    throw new CloudConfigError(`Cloud ${cloudName}: auth_type ${quote(typeName)} is not supported (supported: ${AUTH_TYPES.join(', ')})`);
  }
  const authType = typeName as AuthType;

  fixBackwardsAuth(config, auth);
  handleDomainId(auth);
  validateAuth(config, auth, authType);

  // `{key}` references in top-level strings (credentials excepted) and in auth_url. openstacksdk
  // raises on a reference it cannot expand; the value is kept as it is here, with a warning.
  const snapshot = { ...config };
  const expand = (key: string, value: string): string => {
    const expanded = pyFormat(value, snapshot);
    if (expanded !== undefined) return expanded;
    warnings.push(`Cloud ${cloudName}: the value of ${key} has braces that are not {key} references to this cloud; it is used unexpanded`);
    return value;
  };
  for (const [k, v] of Object.entries(config)) {
    if (typeof v === 'string' && !FORMAT_EXCLUSIONS.has(k)) put(config, k, expand(k, v));
  }
  if (typeof auth.auth_url === 'string') put(auth, 'auth_url', expand('auth_url', auth.auth_url));

  const authOut: Record<string, string> = {};
  for (const [k, v] of Object.entries(auth)) {
    const value = scalarString(v);
    if (value !== undefined) authOut[k] = value;
    else if (v !== null && v !== undefined) warnings.push(`Cloud ${cloudName}: auth key ${k} is not a plain value and was ignored`);
  }
  requireAuth(cloudName, authType, authOut);

  // TLS
  const insecure = has(config, 'insecure') ? parseBoolean(config.insecure) === true : false;
  let verify = true;
  let cacertValue = scalarString(config.cacert) || undefined;
  const rawVerify = config.verify;
  if (rawVerify !== null && rawVerify !== undefined) {
    const parsed = parseBoolean(rawVerify);
    if (parsed !== undefined) verify = parsed;
    else if (typeof rawVerify === 'string') {
      // requests takes a string in `verify` as the CA bundle.
      cacertValue ??= rawVerify;
      warnings.push(`Cloud ${cloudName}: 'verify' holds a path; it is used as the CA bundle`);
    }
  }
  if (insecure) verify = false;
  if (!verify && cacertValue) {
    warnings.push(`Cloud ${cloudName}: a cacert is given but verification is off (verify: false or insecure: true); the host certificate will not be verified`);
    cacertValue = undefined;
  }
  const certValue = scalarString(config.cert) || undefined;
  const keyValue = scalarString(config.key) || undefined;

  // Per-service settings
  const endpointOverrides: Record<string, string> = {};
  const serviceInterfaces: Record<string, string> = {};
  const apiVersions: Record<string, string> = {};
  for (const serviceType of Object.keys(SERVICE_TYPES)) {
    const endpoint = serviceValue(config, serviceType, 'endpoint_override') ?? serviceValue(config, serviceType, 'endpoint');
    if (endpoint) fileUnderService(endpointOverrides, serviceType, endpoint);
    const iface = serviceValue(config, serviceType, 'interface');
    if (iface) fileUnderService(serviceInterfaces, serviceType, iface);
    const version = serviceValue(config, serviceType, 'api_version');
    if (version) fileUnderService(apiVersions, serviceType, version);
  }

  // Every credential, wherever it ended up.
  const secrets: string[] = [];
  for (const source of [authOut, config]) {
    for (const key of SECRET_KEYS) {
      const value = scalarString(get(source, key));
      if (value && !secrets.includes(value)) secrets.push(value);
    }
  }

  const result: CloudConfig = {
    name: cloudName,
    authType,
    auth: authOut,
    interface: scalarString(config.interface) || 'public',
    verify,
    endpointOverrides,
    serviceInterfaces,
    apiVersions,
    secrets,
    sourceFiles: context.sourceFiles,
    warnings,
  };
  if (region.name) result.regionName = region.name;
  if (cacertValue) result.cacert = expandUser(cacertValue, context.home);
  if (certValue) result.cert = expandUser(certValue, context.home);
  if (keyValue) result.key = expandUser(keyValue, context.home);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Entry point

/** Loads the cloud openstacksdk would choose, with the same files, environment and rules. */
export function loadCloudConfig(options: LoadCloudOptions = {}): CloudConfig {
  const env = options.env ?? process.env;
  const home = options.home ?? os.homedir();
  const warnings: string[] = [];

  if (isDict(options.cloud)) {
    // A whole entry: no file, no environment.
    return buildCloudConfig('inline', options.cloud, { home, warnings, requestedRegion: options.regionName ?? '', sourceFiles: [] });
  }

  const paths = searchPaths(options);
  if (env.OS_CLIENT_CONFIG_FILE && !fs.existsSync(paths.cloudFiles[0] as string)) {
    warnings.push(`OS_CLIENT_CONFIG_FILE ${paths.cloudFiles[0]} does not exist`);
  }
  if (env.OS_CLIENT_SECURE_FILE && !fs.existsSync(paths.secureFiles[0] as string)) {
    warnings.push(`OS_CLIENT_SECURE_FILE ${paths.secureFiles[0]} does not exist`);
  }
  const sourceFiles: string[] = [];
  let config: Dict = {};
  let configFile: string | undefined;
  const cloudsFile = loadFirstFile(paths.cloudFiles, warnings);
  if (cloudsFile) {
    config = validateConfigFile(cloudsFile, warnings);
    configFile = cloudsFile.file;
    sourceFiles.push(cloudsFile.file);
  }
  const secureFile = loadFirstFile(paths.secureFiles, warnings);
  if (secureFile) {
    config = mergeClouds(config, validateConfigFile(secureFile, warnings));
    sourceFiles.push(secureFile.file);
  }
  const clouds: Dict = isDict(config.clouds) ? config.clouds : {};

  const envKey = env.OS_CLOUD_NAME || 'envvars';
  if (has(clouds, envKey)) {
    throw new CloudConfigError(
      `${configFile ?? sourceFiles.join(', ')} defines a cloud named ${quote(envKey)}, but that name is taken by the cloud made of ` +
        'OS_* environment variables (OS_CLOUD_NAME). Please rename either your environment-based cloud, or one of your file-based clouds.',
    );
  }
  let defaultCloud = env.OS_CLOUD || undefined;
  const envCloud = environmentCloud(env);
  if (envCloud) {
    put(clouds, envKey, envCloud);
    defaultCloud ??= envKey;
  }
  const names = Object.keys(clouds);
  if (!defaultCloud && names.length === 1) defaultCloud = names[0];

  const where = () =>
    sourceFiles.length > 0
      ? `Configuration read from: ${sourceFiles.join(', ')}.`
      : `No clouds file was found; searched: ${paths.cloudFiles.join(', ')}.`;
  const available = () => (names.length > 0 ? `Available clouds: ${names.join(', ')}.` : 'No clouds are defined.');

  const requested = typeof options.cloud === 'string' && options.cloud !== '' ? options.cloud : defaultCloud;
  if (!requested) {
    if (names.length === 0) {
      throw new CloudConfigError(`No cloud is configured: no clouds.yaml entry and no OS_* environment variables. ${where()}`);
    }
    throw new CloudConfigError(`No cloud was chosen and there are several: name one (or set OS_CLOUD). ${available()} ${where()}`);
  }
  if (!has(clouds, requested)) {
    throw new CloudConfigError(`Cloud ${requested} was not found. ${available()} ${where()}`);
  }
  return buildCloudConfig(requested, clouds[requested], {
    home,
    warnings,
    requestedRegion: options.regionName ?? env.OS_REGION_NAME ?? '',
    sourceFiles,
  });
}
