// clouds.yaml as openstacksdk reads it (openstack/config/loader.py, cloud_region.py, _util.py; facts §4):
// where the files are searched, secure.yaml merged over clouds.yaml, the implicit cloud made of the OS_*
// environment variables, which cloud is chosen, regions, the legacy keys moved into `auth`, the auth
// types we speak, TLS settings and the per-service keys.
//
// Deliberate differences from openstacksdk, all in the direction of "what the user meant":
//  - `auth_plugin` in a cloud entry is honoured (openstacksdk lets the default `auth_type: password` win).
//  - `verify` strings accept true/yes/on/1 and false/no/off/0 (openstacksdk hands any string to
//    requests as a CA path). `insecure` is read exactly as openstacksdk does (get_boolean: a boolean,
//    or the string "true" in any case), so OS_INSECURE=1 keeps verification on, as it does there.
//  - a non-boolean string in `verify` is taken as a CA bundle path (requests would do the same).
//  - YAML is read as PyYAML reads it (YAML 1.1 booleans yes/no/on/off, merge keys), except that
//    dates stay strings and integers/floats become their text without losing digits.
//  - vendor profiles (`profile:`/`cloud:`) are refused.
//  - null values count as absent (openstacksdk turns some of them into the string "None").
//  - `OS_REGION_NAME` (or `regionName`) requests a region for named clouds too, as the region
//    argument of get_one does (and as the `openstack` CLI passes it).
//  - a clouds/secure file that does not parse is an error, as in openstacksdk <= 4.13 (4.14 skips it).
//  - an `api_timeout` that is not a number is an error naming it (openstacksdk fails later, in requests).
//
// The parts live in config/: yaml.ts (parsing), find.ts (files, environment cloud), dict.ts
// (merging), auth.ts (auth keys and types), overrides.ts (module options as get_one arguments).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AUTH_TYPES,
  type AuthType,
  applyDefaultDomain,
  fixBackwardsAuth,
  handleDomainId,
  requireAuth,
  requireV3Domains,
  SECRET_KEYS,
  validateAuth,
} from './config/auth.ts';
import {
  authUpdate,
  type Dict,
  deepCopy,
  get,
  has,
  isDict,
  mergeClouds,
  normalizeKeys,
  parseBoolean,
  put,
  scalarString,
  sdkBoolean,
} from './config/dict.ts';
import { CloudConfigError } from './config/errors.ts';
import { environmentCloud, loadFirstFile, searchPaths, validateConfigFile } from './config/find.ts';

export { AUTH_TYPES, type AuthType, credentialsIn } from './config/auth.ts';
export { mergeClouds, normalizeKeys, parseBoolean } from './config/dict.ts';
export { CloudConfigError } from './config/errors.ts';
export { environmentCloud, type SearchPaths, searchPaths, siteConfigDir } from './config/find.ts';
export { parseConfigText } from './config/yaml.ts';

export interface CloudConfig {
  /**
   * The chosen cloud: its name in clouds.yaml, `envvars` (or OS_CLOUD_NAME) for the environment
   * cloud (a dict laid over one of these keeps its name), `inline` for a dict with no cloud to lay
   * it over, `options` for one made of the caller's `auth` alone.
   */
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
  /** `api_timeout` of the cloud (or of a `<service>_timeout` key), in seconds; absent when not set. */
  apiTimeoutSeconds?: number;
  /** Every credential value present (passwords, application credential secrets, tokens), for masking. */
  secrets: string[];
  /** clouds and secure files actually read. */
  sourceFiles: string[];
  /** Files skipped, values ignored, deprecated forms used. Never holds a secret. */
  warnings: string[];
}

export interface LoadCloudOptions {
  /**
   * A cloud name, or a dict of settings as openstack.cloud passes it to `connect(**dict)`: laid over
   * the cloud its `cloud` key names, else over the default cloud (see connectArguments).
   */
  cloud?: string | Record<string, unknown>;
  /** The region to use; default OS_REGION_NAME (named and environment clouds only). */
  regionName?: string;
  /** Default process.env. */
  env?: Record<string, string | undefined>;
  /** Default process.cwd(). */
  cwd?: string;
  /** Default os.homedir(). */
  home?: string;
  /** The site config dir; default from XDG_CONFIG_DIRS (/etc/xdg/openstack). */
  siteDir?: string;
  /** Default /etc/openstack. */
  systemDir?: string;
  /**
   * Settings given by the caller (get_one's keyword arguments, as openstack.cloud's auth options
   * pass them): applied after the cloud entry and its region's values, `auth` merged key by key,
   * null values skipped. See config/overrides.ts.
   */
  overrides?: Record<string, unknown>;
}

const DEFAULTS: Dict = { auth_type: 'password', interface: 'public' };
// openstacksdk leaves only password out; no credential should be read as a template.
const FORMAT_EXCLUSIONS = new Set(SECRET_KEYS);

/** Official service types and the aliases openstacksdk also tries (os-service-types), in its order. */
const SERVICE_TYPES: Readonly<Record<string, readonly string[]>> = {
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

function expandUser(file: string, home: string): string {
  if (file === '~') return home;
  if (file.startsWith('~/')) return path.join(home, file.slice(2));
  return file;
}

function quote(name: string): string {
  return JSON.stringify(name);
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
          throw new CloudConfigError(
            `Cloud ${cloudName}: invalid region entry #${index + 1} (it needs 'name' and may only have 'values' besides)`,
          );
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
// Fixes of legacy forms (loader.magic_fixes), {key} templates, per-service keys

/** `_fix_backwards_interface`: `*endpoint_type` keys become `*interface` (a `*_interface` given too wins). */
function fixBackwardsInterface(config: Dict): void {
  for (const key of Object.keys(config)) {
    if (!key.endsWith('endpoint_type')) continue;
    const target = `${key.slice(0, -'endpoint_type'.length)}interface`;
    const value = config[key];
    delete config[key];
    if (!has(config, target)) put(config, target, value);
  }
}

/**
 * Python's `str.format(**config)` for `{key}` references, as get_one applies it to top-level strings.
 * Returns undefined when the template is not one openstacksdk could expand (it would raise).
 */
function pyFormat(template: string, context: Dict): string | undefined {
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
  /** The caller's settings (LoadCloudOptions.overrides). */
  overrides?: Dict | undefined;
}

/**
 * `_fix_backwards_api_timeout`: a key ending in `timeout` other than `timeout` and `api_timeout`
 * (legacy `compute_timeout`, `image_api_timeout`...) replaces api_timeout; the last one wins.
 */
function fixBackwardsApiTimeout(config: Dict): void {
  let serviceTimeout: unknown;
  for (const key of Object.keys(config)) {
    if (key.endsWith('timeout') && key !== 'timeout' && key !== 'api_timeout') {
      serviceTimeout = config[key];
      delete config[key];
    }
  }
  if (serviceTimeout !== undefined && serviceTimeout !== null) put(config, 'api_timeout', serviceTimeout);
}

/** api_timeout in seconds (keystoneauth's Session takes float(api_timeout)); undefined when unset. */
function apiTimeoutOf(cloudName: string, value: unknown): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const text = scalarString(value);
  const seconds = text === undefined || text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new CloudConfigError(`Cloud ${cloudName}: api_timeout must be a positive number of seconds, got ${quote(text ?? typeof value)}`);
  }
  return seconds;
}

/** The cloud's own entry, checked and with its old spellings fixed (auth_plugin, *_interface). */
function normalizeEntry(cloudName: string, rawEntry: unknown): Dict {
  if (rawEntry === null || rawEntry === undefined) rawEntry = {};
  if (!isDict(rawEntry)) throw new CloudConfigError(`Cloud ${cloudName}: its entry is not a mapping`);
  const entry = normalizeKeys(rawEntry);
  if (has(entry, 'profile') || has(entry, 'cloud')) {
    throw new CloudConfigError(
      `Cloud ${cloudName}: vendor profiles are not supported (remove '${has(entry, 'profile') ? 'profile' : 'cloud'}' and give the settings in full)`,
    );
  }
  if (has(entry, 'auth') && entry.auth !== null && !isDict(entry.auth))
    throw new CloudConfigError(`Cloud ${cloudName}: 'auth' is not a mapping`);
  if (entry.auth === null) delete entry.auth;
  // auth_plugin is the old name of auth_type; auth_type wins when both are given.
  if (has(entry, 'auth_plugin')) {
    if (!has(entry, 'auth_type')) put(entry, 'auth_type', entry.auth_plugin);
    delete entry.auth_plugin;
  }
  fixBackwardsInterface(entry);
  return entry;
}

/** The settings in get_one's order: defaults, the entry, the region's values, the caller's overrides; `auth` apart. */
function layeredSettings(
  cloudName: string,
  entry: Dict,
  context: BuildContext,
): { config: Dict; auth: Dict; regionName: string | undefined; overrides: Dict } {
  const config: Dict = { ...DEFAULTS, auth: {} };
  authUpdate(config, entry);
  const region = selectRegion(cloudName, knownRegions(cloudName, entry, context.warnings), context.requestedRegion);
  delete config.regions;
  config.region_name = region.name;
  fixBackwardsInterface(region.values);
  authUpdate(config, region.values, true);
  // The caller's settings (openstack.cloud's auth options) come last, as get_one's arguments do.
  const overrides = normalizeKeys(context.overrides ?? {});
  if (has(overrides, 'auth') && overrides.auth !== null && !isDict(overrides.auth))
    throw new CloudConfigError(`Cloud ${cloudName}: the 'auth' given is not a mapping`);
  authUpdate(config, overrides, true);
  if (!isDict(config.auth)) config.auth = {};
  fixBackwardsApiTimeout(config);
  const auth = config.auth as Dict;
  delete config.auth;
  return { config, auth, regionName: region.name, overrides };
}

function authTypeOf(cloudName: string, config: Dict): AuthType {
  const typeName = scalarString(config.auth_type) || 'none';
  if (!(AUTH_TYPES as readonly string[]).includes(typeName)) {
    throw new CloudConfigError(`Cloud ${cloudName}: auth_type ${quote(typeName)} is not supported (supported: ${AUTH_TYPES.join(', ')})`);
  }
  return typeName as AuthType;
}

/**
 * `{key}` references in top-level strings (credentials excepted) and in auth_url. openstacksdk
 * raises on a reference it cannot expand; the value is kept as it is here, with a warning.
 */
function expandReferences(cloudName: string, config: Dict, auth: Dict, warnings: string[]): void {
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
}

/** The auth values as strings; anything else is warned about and left out. */
function plainAuth(cloudName: string, auth: Dict, warnings: string[]): Record<string, string> {
  const authOut: Record<string, string> = {};
  for (const [k, v] of Object.entries(auth)) {
    const value = scalarString(v);
    if (value !== undefined) authOut[k] = value;
    else if (v !== null && v !== undefined) warnings.push(`Cloud ${cloudName}: auth key ${k} is not a plain value and was ignored`);
  }
  return authOut;
}

/** TLS: verify (insecure wins, as in openstacksdk; a path in verify is the CA bundle), cacert (dropped when not verifying), cert, key. */
function tlsSettings(
  cloudName: string,
  config: Dict,
  overrides: Dict,
  warnings: string[],
): { verify: boolean; cacert: string | undefined; cert: string | undefined; key: string | undefined } {
  const insecure = has(config, 'insecure') ? sdkBoolean(config.insecure) : false;
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
  if (insecure && verify && parseBoolean(overrides.verify) === true) {
    warnings.push(
      `Cloud ${cloudName}: validate_certs is true but the cloud says insecure: true, which wins (as in openstacksdk); the host certificate will not be verified`,
    );
  }
  if (insecure) verify = false;
  if (!verify && cacertValue) {
    warnings.push(
      `Cloud ${cloudName}: a cacert is given but verification is off (verify: false or insecure: true); the host certificate will not be verified`,
    );
    cacertValue = undefined;
  }
  return { verify, cacert: cacertValue, cert: scalarString(config.cert) || undefined, key: scalarString(config.key) || undefined };
}

/** Per-service endpoint overrides, interfaces and API versions, each filed under every name of its service. */
function serviceSettings(config: Dict): Pick<CloudConfig, 'endpointOverrides' | 'serviceInterfaces' | 'apiVersions'> {
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
  return { endpointOverrides, serviceInterfaces, apiVersions };
}

/** Every credential, wherever it ended up. */
function secretsOf(authOut: Record<string, string>, config: Dict): string[] {
  const secrets: string[] = [];
  for (const source of [authOut, config]) {
    for (const key of SECRET_KEYS) {
      const value = scalarString(get(source, key));
      if (value && !secrets.includes(value)) secrets.push(value);
    }
  }
  return secrets;
}

/** get_one for one cloud entry: defaults, the entry, the region's values, the fixes, the validation. */
function buildCloudConfig(cloudName: string, rawEntry: unknown, context: BuildContext): CloudConfig {
  const { warnings } = context;
  const entry = normalizeEntry(cloudName, rawEntry);
  const { config, auth, regionName, overrides } = layeredSettings(cloudName, entry, context);
  const authType = authTypeOf(cloudName, config);
  fixBackwardsAuth(config, auth);
  handleDomainId(auth);
  validateAuth(config, auth, authType);
  applyDefaultDomain(authType, auth);
  expandReferences(cloudName, config, auth, warnings);
  const authOut = plainAuth(cloudName, auth, warnings);
  requireAuth(cloudName, authType, authOut);
  requireV3Domains(cloudName, authType, authOut);
  const tls = tlsSettings(cloudName, config, overrides, warnings);
  const result: CloudConfig = {
    name: cloudName,
    authType,
    auth: authOut,
    interface: scalarString(config.interface) || 'public',
    verify: tls.verify,
    ...serviceSettings(config),
    secrets: secretsOf(authOut, config),
    sourceFiles: context.sourceFiles,
    warnings,
  };
  if (regionName) result.regionName = regionName;
  const apiTimeout = apiTimeoutOf(cloudName, config.api_timeout);
  if (apiTimeout !== undefined) result.apiTimeoutSeconds = apiTimeout;
  if (tls.cacert) result.cacert = expandUser(tls.cacert, context.home);
  if (tls.cert) result.cert = expandUser(tls.cert, context.home);
  if (tls.key) result.key = expandUser(tls.key, context.home);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Entry point

/**
 * A cloud given as a dict, as openstack.cloud hands it to openstacksdk's `connect(**dict)`: the
 * dict's keys are get_one's arguments (`_fix_args`: `-` becomes `_`, an `os_` prefix is dropped,
 * nested dicts likewise). `cloud` names the cloud to lay them over (else the default cloud:
 * OS_CLOUD, the OS_* cloud, the only cloud of the file), `region_name` chooses the region, the
 * rest is laid over that cloud as the caller's settings (`auth` key by key). `profile` is a vendor
 * profile, which we do not support.
 */
function connectArguments(dict: Dict): { cloud?: string; regionName?: string; settings: Dict } {
  const fix = (args: Dict): Dict => {
    const out: Dict = {};
    const prefixed: Dict = {};
    for (const [rawKey, value] of Object.entries(args)) {
      if (isDict(value)) {
        put(out, rawKey, fix(value));
        continue;
      }
      const key = rawKey.replace(/-/g, '_');
      if (key.startsWith('os_')) put(prefixed, key.slice(3), deepCopy(value));
      else put(out, key, deepCopy(value));
    }
    for (const [key, value] of Object.entries(prefixed)) put(out, key, value);
    return out;
  };
  const settings = fix(dict);
  if (has(settings, 'profile') && settings.profile !== null) {
    throw new CloudConfigError("The cloud dict names a vendor profile ('profile'), which is not supported: give the settings in full");
  }
  delete settings.profile;
  const out: { cloud?: string; regionName?: string; settings: Dict } = { settings };
  if (has(settings, 'cloud') && settings.cloud !== null && settings.cloud !== undefined) {
    if (typeof settings.cloud !== 'string') throw new CloudConfigError("The cloud dict's 'cloud' must be the name of a cloud");
    if (settings.cloud !== '') out.cloud = settings.cloud;
  }
  delete settings.cloud;
  const region = scalarString(get(settings, 'region_name'));
  if (region) out.regionName = region;
  delete settings.region_name;
  return out;
}

/** Loads the cloud openstacksdk would choose, with the same files, environment and rules. */
export function loadCloudConfig(options: LoadCloudOptions = {}): CloudConfig {
  const env = options.env ?? process.env;
  const home = options.home ?? os.homedir();
  const warnings: string[] = [];

  // A dict is connect(**dict): arguments laid over the cloud it names or the default cloud, not a
  // cloud of its own (openstack.cloud's OpenStackModule; loader.get_one).
  const dict = isDict(options.cloud) ? connectArguments(options.cloud) : undefined;
  const named = dict ? dict.cloud : typeof options.cloud === 'string' && options.cloud !== '' ? options.cloud : undefined;
  const overrides = dict ? mergeClouds(dict.settings, options.overrides ?? {}) : options.overrides;
  const regionName = dict?.regionName ?? options.regionName;

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

  const requested = named ?? defaultCloud;
  const requestedRegion = regionName ?? env.OS_REGION_NAME ?? '';
  if (!requested && (dict || isDict(overrides?.auth))) {
    // No cloud chosen (none configured, or several and none named) but settings given (a cloud
    // dict, or openstack.cloud's `auth` option alone): openstacksdk builds the cloud from its
    // defaults and the arguments only.
    return buildCloudConfig(dict ? 'inline' : 'options', {}, { home, warnings, requestedRegion, sourceFiles, overrides });
  }
  if (!requested) {
    if (names.length === 0) {
      throw new CloudConfigError(`No cloud is configured: no clouds.yaml entry and no OS_* environment variables. ${where()}`);
    }
    throw new CloudConfigError(`No cloud was chosen and there are several: name one (or set OS_CLOUD). ${available()} ${where()}`);
  }
  if (!has(clouds, requested)) {
    throw new CloudConfigError(`Cloud ${requested} was not found. ${available()} ${where()}`);
  }
  return buildCloudConfig(requested, clouds[requested], { home, warnings, requestedRegion, sourceFiles, overrides });
}
