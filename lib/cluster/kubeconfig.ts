// kubeconfig loading as kubectl does it: an explicit path, else KUBECONFIG (a list, first file wins
// per entry), else ~/.kube/config; or an inline dict; `context` picks the context. Client
// certificates, bearer tokens (token, tokenFile), certificate-authority(-data) and
// insecure-skip-tls-verify are honoured by @kubernetes/client-node's KubeConfig. Everything secret
// in the chosen user is returned for masking. A broken kubeconfig is an error naming the file and
// the field, never a silent fallback to another one.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { dump, load } from 'js-yaml';
import { KubeconfigError } from './errors.ts';

export interface KubeconfigSource {
  /** A path, an inline kubeconfig mapping, or nothing (KUBECONFIG, then ~/.kube/config). */
  kubeconfig?: string | Record<string, unknown> | null;
  context?: string | null;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

export interface LoadedKubeconfig {
  kc: KubeConfig;
  /** Every credential of the chosen user (tokens, passwords, keys): mask them everywhere. */
  secrets: string[];
  /** Where it came from: a path, "KUBECONFIG=…", or "the inline kubeconfig". */
  origin: string;
  server: string;
  context: string;
  user: string;
}

type Raw = Record<string, unknown>;
const isMap = (v: unknown): v is Raw => !!v && typeof v === 'object' && !Array.isArray(v);

function readYaml(path: string, origin: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KubeconfigError(`${origin}: cannot read ${path} (${code === 'ENOENT' ? 'no such file' : (code ?? String(error))})`);
  }
  let parsed: unknown;
  try {
    parsed = load(text);
  } catch (error) {
    throw new KubeconfigError(`${origin}: ${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!isMap(parsed)) throw new KubeconfigError(`${origin}: ${path} does not hold a kubeconfig mapping`);
  return makePathsAbsolute(parsed, dirname(path));
}

const PATH_KEYS: [string, string][] = [
  ['clusters', 'certificate-authority'],
  ['users', 'client-certificate'],
  ['users', 'client-key'],
  ['users', 'tokenFile'],
  ['users', 'token-file'],
];

/** Relative file references in a kubeconfig are relative to the file (kubectl's rule). */
function makePathsAbsolute(config: Raw, base: string): Raw {
  for (const [list, key] of PATH_KEYS) {
    for (const entry of Array.isArray(config[list]) ? (config[list] as unknown[]) : []) {
      const inner = isMap(entry) ? (entry[list === 'clusters' ? 'cluster' : 'user'] as unknown) : undefined;
      if (isMap(inner) && typeof inner[key] === 'string' && !isAbsolute(inner[key] as string))
        inner[key] = resolve(base, inner[key] as string);
    }
  }
  return config;
}

/** kubectl's merge of a KUBECONFIG list: the first file that sets a name (or current-context) wins. */
function merge(configs: Raw[]): Raw {
  const out: Raw = { clusters: [], users: [], contexts: [] };
  for (const config of configs) {
    for (const list of ['clusters', 'users', 'contexts'] as const) {
      const have = new Set((out[list] as Raw[]).map((e) => e.name));
      for (const entry of Array.isArray(config[list]) ? (config[list] as unknown[]) : []) {
        if (isMap(entry) && !have.has(entry.name)) (out[list] as Raw[]).push(entry);
      }
    }
    if (out['current-context'] === undefined && typeof config['current-context'] === 'string' && config['current-context']) {
      out['current-context'] = config['current-context'];
    }
  }
  return out;
}

function named(config: Raw, list: string, name: string): Raw | undefined {
  const entries = Array.isArray(config[list]) ? (config[list] as unknown[]) : [];
  return entries.find((e): e is Raw => isMap(e) && e.name === name);
}

function secretsOf(user: Raw): string[] {
  const out: string[] = [];
  for (const key of ['token', 'password', 'client-key-data', 'client-certificate-data']) {
    if (typeof user[key] === 'string') out.push(user[key] as string);
  }
  const tokenFile = (user.tokenFile ?? user['token-file']) as unknown;
  if (typeof tokenFile === 'string') {
    try {
      out.push(readFileSync(tokenFile, 'utf8').trim());
    } catch {
      // Reported by the file check below.
    }
  }
  const keyFile = user['client-key'];
  if (typeof keyFile === 'string' && existsSync(keyFile)) {
    try {
      const pem = readFileSync(keyFile, 'utf8');
      out.push(pem.trim(), Buffer.from(pem).toString('base64'));
    } catch {
      // Not readable: the file check reports it.
    }
  }
  const provider = user['auth-provider'];
  if (isMap(provider) && isMap(provider.config))
    for (const value of Object.values(provider.config)) if (typeof value === 'string') out.push(value);
  const exec = user.exec;
  if (isMap(exec) && Array.isArray(exec.env)) for (const e of exec.env) if (isMap(e) && typeof e.value === 'string') out.push(e.value);
  return out.filter((s) => s.length >= 3);
}

function checkFile(origin: string, field: string, path: unknown): void {
  if (typeof path !== 'string') return;
  if (!existsSync(path)) throw new KubeconfigError(`${origin}: ${field} ${path} does not exist`);
  try {
    readFileSync(path);
  } catch (error) {
    throw new KubeconfigError(`${origin}: ${field} ${path} is not readable (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

/** Credentials held by an inline kubeconfig (for masking before anything is validated or printed). */
export function inlineKubeconfigSecrets(value: unknown): string[] {
  if (!isMap(value) || !Array.isArray(value.users)) return [];
  return value.users.flatMap((entry) => (isMap(entry) && isMap(entry.user) ? secretsOf(entry.user) : []));
}

export function loadKubeconfig(source: KubeconfigSource = {}): LoadedKubeconfig {
  const env = source.env ?? process.env;
  let config: Raw;
  let origin: string;
  if (isMap(source.kubeconfig)) {
    origin = 'the inline kubeconfig';
    config = makePathsAbsolute(structuredClone(source.kubeconfig), process.cwd());
  } else if (typeof source.kubeconfig === 'string' && source.kubeconfig.trim() !== '') {
    const path = resolve(source.kubeconfig.replace(/^~(?=$|\/)/, source.home ?? homedir()));
    origin = `kubeconfig ${path}`;
    config = readYaml(path, 'kubeconfig');
  } else if (env.KUBECONFIG && env.KUBECONFIG.trim() !== '') {
    const paths = env.KUBECONFIG.split(delimiter).filter((p) => p !== '');
    origin = `KUBECONFIG=${env.KUBECONFIG}`;
    // kubectl skips list entries that do not exist, but a file that exists and is broken is an error.
    const present = paths.filter((p) => existsSync(p));
    if (present.length === 0) throw new KubeconfigError(`${origin}: none of these files exists`);
    config = merge(present.map((p) => readYaml(resolve(p), 'KUBECONFIG')));
  } else {
    const path = join(source.home ?? homedir(), '.kube', 'config');
    origin = `kubeconfig ${path}`;
    if (!existsSync(path)) {
      throw new KubeconfigError(`no kubeconfig: the kubeconfig option is not set, KUBECONFIG is empty, and ${path} does not exist`);
    }
    config = readYaml(path, 'kubeconfig');
  }

  const contextName = source.context ?? (typeof config['current-context'] === 'string' ? (config['current-context'] as string) : '');
  if (!contextName) throw new KubeconfigError(`${origin}: no current-context is set and the context option is not given`);
  const context = named(config, 'contexts', contextName);
  if (!context) {
    const known = (Array.isArray(config.contexts) ? (config.contexts as Raw[]) : []).map((c) => c.name).join(', ') || 'none';
    throw new KubeconfigError(`${origin}: context ${JSON.stringify(contextName)} not found (contexts: ${known})`);
  }
  const ctx = isMap(context.context) ? context.context : {};
  const clusterName = String(ctx.cluster ?? '');
  const userName = String(ctx.user ?? '');
  const clusterEntry = named(config, 'clusters', clusterName);
  if (!clusterEntry || !isMap(clusterEntry.cluster))
    throw new KubeconfigError(`${origin}: context ${contextName} names cluster ${JSON.stringify(clusterName)}, which is not in clusters`);
  const cluster = clusterEntry.cluster;
  const server = typeof cluster.server === 'string' ? cluster.server : '';
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KubeconfigError(`${origin}: clusters[${clusterName}].server ${JSON.stringify(server)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new KubeconfigError(`${origin}: clusters[${clusterName}].server must be https:// (got ${url.protocol})`);
  checkFile(origin, `clusters[${clusterName}].certificate-authority`, cluster['certificate-authority']);
  const userEntry = userName ? named(config, 'users', userName) : undefined;
  if (userName && !userEntry)
    throw new KubeconfigError(`${origin}: context ${contextName} names user ${JSON.stringify(userName)}, which is not in users`);
  const user = userEntry && isMap(userEntry.user) ? userEntry.user : {};
  checkFile(origin, `users[${userName}].client-certificate`, user['client-certificate']);
  checkFile(origin, `users[${userName}].client-key`, user['client-key']);
  checkFile(origin, `users[${userName}].tokenFile`, user.tokenFile ?? user['token-file']);
  const secrets = secretsOf(user);

  // kubectl reads `tokenFile` (client-node only knows `token-file`): read it here, token wins over it.
  const tokenFile = user.tokenFile ?? user['token-file'];
  if (userEntry && typeof tokenFile === 'string' && typeof user.token !== 'string') {
    userEntry.user = { ...user, token: readFileSync(tokenFile, 'utf8').trim() };
    delete (userEntry.user as Raw).tokenFile;
    delete (userEntry.user as Raw)['token-file'];
  }
  const kc = new KubeConfig();
  // Only the chosen context, cluster and user go to the client: nothing else can be picked by accident.
  const single = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': contextName,
    contexts: [context],
    clusters: [clusterEntry],
    users: userEntry ? [userEntry] : [],
  };
  try {
    kc.loadFromString(dump(single), { onInvalidEntry: 'throw' });
  } catch (error) {
    throw new KubeconfigError(`${origin}: ${(error as Error).message}`);
  }
  return { kc, secrets, origin, server, context: contextName, user: userName };
}
