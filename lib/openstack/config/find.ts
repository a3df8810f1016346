// Where clouds.yaml and secure.yaml are found, and how the one found is read (openstacksdk's
// loader.py: CONFIG_SEARCH_PATH, _load_yaml_json_file, _validate_config_file), plus the cloud made
// of OS_* environment variables.
//
// The first file that exists is the one used. A file that exists but cannot be parsed is an error
// naming the file and the line, as openstacksdk up to 4.13 and the `openstack` CLI on Debian 12
// (openstacksdk 0.101) do: falling through to the next file would log into a cloud the user did
// not mean. (openstacksdk 4.14 skips such a file with a log warning; we keep the safe behaviour.)
// A file that cannot be read (EACCES and other I/O errors) is skipped, as openstacksdk does.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Dict, has, isDict, put } from './dict.ts';
import { CloudConfigError } from './errors.ts';
import { type ParsedConfig, parseConfigText } from './yaml.ts';

const CONFIG_SUFFIXES = ['.yaml', '.yml', '.json'];
const ENV_SELECTORS = new Set(['OS_CLOUD', 'OS_REGION_NAME', 'OS_CLIENT_CONFIG_FILE', 'OS_CLIENT_SECURE_FILE', 'OS_CLOUD_NAME']);

export interface SearchOptions {
  env?: Record<string, string | undefined>;
  /** Default process.cwd(). */
  cwd?: string;
  /** Default os.homedir(). */
  home?: string;
  /** The platformdirs site config dir; default from XDG_CONFIG_DIRS (see siteConfigDir). */
  siteDir?: string;
  /** Default /etc/openstack. */
  systemDir?: string;
}

export interface SearchPaths {
  directories: string[];
  cloudFiles: string[];
  secureFiles: string[];
}

/**
 * platformdirs' `site_config_dir` for appname openstack with multipath, as openstacksdk asks for it:
 * every entry of XDG_CONFIG_DIRS (default /etc/xdg) with `/openstack` appended, joined with `:`.
 * With one entry (the usual case) that is one directory, /etc/xdg/openstack by default; with several
 * it is one path that holds a colon, which is what openstacksdk then looks in.
 */
export function siteConfigDir(env: Record<string, string | undefined>, home: string): string {
  const dirs = env.XDG_CONFIG_DIRS?.trim() ? env.XDG_CONFIG_DIRS : '/etc/xdg';
  return dirs
    .split(':')
    .map((dir) => path.join(dir === '~' || dir.startsWith('~/') ? path.join(home, dir.slice(1)) : dir, 'openstack'))
    .join(':');
}

/**
 * The files openstacksdk looks at, in order: the current directory, the user config dir
 * ($XDG_CONFIG_HOME/openstack, else ~/.config/openstack), ~/.config/openstack, the site config dir
 * (/etc/xdg/openstack), /etc/openstack; OS_CLIENT_CONFIG_FILE / OS_CLIENT_SECURE_FILE first.
 */
export function searchPaths(options: SearchOptions = {}): SearchPaths {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const home = options.home ?? os.homedir();
  const directories: string[] = [cwd];
  const xdg = env.XDG_CONFIG_HOME?.trim();
  if (xdg) directories.push(path.join(path.resolve(cwd, xdg), 'openstack'));
  directories.push(path.join(home, '.config', 'openstack'));
  directories.push(options.siteDir ?? siteConfigDir(env, home));
  directories.push(options.systemDir ?? '/etc/openstack');
  const unique = [...new Set(directories)];
  const filesOf = (base: string) => unique.flatMap((dir) => CONFIG_SUFFIXES.map((suffix) => path.join(dir, base + suffix)));
  const cloudFiles = filesOf('clouds');
  const secureFiles = filesOf('secure');
  if (env.OS_CLIENT_CONFIG_FILE) cloudFiles.unshift(path.resolve(cwd, env.OS_CLIENT_CONFIG_FILE));
  if (env.OS_CLIENT_SECURE_FILE) secureFiles.unshift(path.resolve(cwd, env.OS_CLIENT_SECURE_FILE));
  return { directories: unique, cloudFiles, secureFiles };
}

export interface LoadedFile {
  file: string;
  data: unknown;
}

/**
 * `_load_yaml_json_file`: the first file that exists. An unreadable one is skipped with a warning;
 * one that does not parse is a CloudConfigError; duplicated keys are warnings (the last one wins).
 */
export function loadFirstFile(files: string[], warnings: string[]): LoadedFile | undefined {
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
    let parsed: ParsedConfig;
    try {
      parsed = parseConfigText(text, file);
    } catch (error) {
      throw new CloudConfigError(`Configuration file ${file} is ${(error as Error).message}`, { cause: error });
    }
    for (const duplicate of parsed.duplicates) warnings.push(`Configuration file ${file}: ${duplicate}`);
    return { file, data: parsed.data };
  }
  return undefined;
}

/** `_validate_config_file`: a non-empty file must be a mapping; one without `clouds` is warned about. */
export function validateConfigFile(loaded: LoadedFile, warnings: string[]): Dict {
  const { file, data } = loaded;
  if (data === null || data === undefined || data === '' || (Array.isArray(data) && data.length === 0)) {
    warnings.push(`Configuration file ${file} is empty`);
    return {};
  }
  if (!isDict(data)) throw new CloudConfigError(`Configuration file ${file} is empty or not a valid mapping`);
  if (!has(data, 'clouds')) warnings.push(`Configuration file ${file} does not contain a 'clouds' key`);
  else if (data.clouds !== null && !isDict(data.clouds))
    throw new CloudConfigError(`Configuration file ${file}: 'clouds' is not a mapping`);
  return data;
}

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
