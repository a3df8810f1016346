// The Ansible binary-module protocol (facts §1): argv holds the path of a JSON args file; exactly one
// JSON object goes to stdout; logs go to stderr. Input validation, check mode, masking of secrets
// and the shape of failures live here once, so that a module is its options plus one run().
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { format } from 'node:util';
import { Ajv, type ErrorObject } from 'ajv';
import { Masker } from './mask.ts';
import {
  argumentSchema,
  coerceScalars,
  invocationArgs,
  noLogValues,
  resolveAliases,
  withDefaults,
  type Options,
} from './options.ts';

export type CheckModeSupport = 'full' | 'partial' | 'none';

export interface ModuleDefinition<Args> {
  name: string;
  shortDescription: string;
  description: string[];
  options: Options;
  /** What check mode does; 'none' makes the protocol answer `skipped` without running. */
  checkMode: CheckModeSupport;
  checkModeDetails?: string;
  notes?: string[];
  /** EXAMPLES block of the sidecar (YAML text). */
  examples: string;
  /** RETURN block of the sidecar. */
  returns: Record<string, unknown>;
  run(args: Args, ctx: ModuleContext): Promise<ModuleResult>;
}

export type ModuleResult = Record<string, unknown> & { changed?: boolean; msg?: string };

export interface ModuleContext {
  readonly moduleName: string;
  readonly checkMode: boolean;
  readonly diff: boolean;
  readonly verbosity: number;
  readonly noLog: boolean;
  /** Every secret the module learns (credentials read from clouds.yaml, say) must be added here. */
  readonly masker: Masker;
  warn(message: string): void;
  /** A log line on stderr, masked. Shown by Ansible only when the module's output cannot be parsed. */
  log(message: string): void;
}

/** A failure the module means to report: its message is shown as is, with the extra result keys. */
export class ModuleFailure extends Error {
  readonly details: Record<string, unknown>;
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ModuleFailure';
    this.details = details;
  }
}

interface AnsibleInternals {
  checkMode: boolean;
  diff: boolean;
  verbosity: number;
  noLog: boolean;
  moduleName?: string;
}

/** Splits the `_ansible_*` keys (today's and future ones) from the module's own arguments. */
export function splitInternals(raw: Record<string, unknown>): { args: Record<string, unknown>; internals: AnsibleInternals } {
  const args: Record<string, unknown> = {};
  const internal: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('_ansible_')) internal[key] = value;
    else args[key] = value;
  }
  const verbosity = Number(internal._ansible_verbosity ?? 0);
  const internals: AnsibleInternals = {
    checkMode: internal._ansible_check_mode === true,
    diff: internal._ansible_diff === true,
    verbosity: Number.isFinite(verbosity) ? verbosity : 0,
    noLog: internal._ansible_no_log === true,
  };
  if (typeof internal._ansible_module_name === 'string') internals.moduleName = internal._ansible_module_name;
  return { args, internals };
}

function pathOf(error: ErrorObject): string {
  return error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

/** Ansible-style messages for schema errors; each names the option (as a dotted path) at fault. */
export function describeSchemaErrors(moduleName: string, options: Options, errors: ErrorObject[]): string {
  const unknown: string[] = [];
  const messages: string[] = [];
  for (const error of errors) {
    const where = pathOf(error);
    if (error.keyword === 'additionalProperties') {
      const extra = String(error.params.additionalProperty);
      if (where === '') unknown.push(extra);
      else messages.push(`${where}: unsupported key '${extra}'`);
    } else if (error.keyword === 'required') {
      const missing = String(error.params.missingProperty);
      messages.push(where === '' ? `missing required arguments: ${missing}` : `${where}: missing required key '${missing}'`);
    } else if (error.keyword === 'enum') {
      const allowed = (error.params.allowedValues as unknown[]).map(String).join(', ');
      messages.push(`value of ${where} must be one of: ${allowed}`);
    } else {
      messages.push(`${where || 'arguments'}: ${error.message ?? 'is invalid'}`);
    }
  }
  if (unknown.length > 0) {
    const supported = Object.keys(options).sort().join(', ');
    messages.unshift(
      `Unsupported parameters for (${moduleName}) module: ${unknown.sort().join(', ')}. Supported parameters include: ${supported}.`,
    );
  }
  return [...new Set(messages)].join('; ');
}

const ajv = new Ajv({ allErrors: true, strict: false });

/**
 * Validates arguments whose aliases are already resolved (executeModule does that first, to know
 * the secrets); returns them typed with defaults applied, or throws ModuleFailure.
 */
export function validateArguments<Args>(definition: ModuleDefinition<Args>, given: Record<string, unknown>): Args {
  const args = coerceScalars(definition.options, given);
  const validate = ajv.compile(argumentSchema(definition.options));
  if (!validate(args)) {
    throw new ModuleFailure(describeSchemaErrors(definition.name, definition.options, validate.errors ?? []));
  }
  return withDefaults(definition.options, args) as Args;
}

/** Runs a module as Ansible does and returns the one result object it prints (already masked). */
export async function executeModule<Args>(
  definition: ModuleDefinition<Args>,
  raw: Record<string, unknown>,
  stderr: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Promise<Record<string, unknown>> {
  const startedAt = performance.now();
  const masker = new Masker();
  const { args: rawArgs, internals } = splitInternals(raw);
  // Aliases first: a secret given under an alias must be known as secret before anything prints.
  const given = resolveAliases(definition.options, rawArgs);
  const warnings: string[] = [];
  let invocation: Record<string, unknown> = { module_args: invocationArgs(definition.options, given) };
  masker.addDeep(noLogValues(definition.options, given));

  const ctx: ModuleContext = {
    moduleName: definition.name,
    checkMode: internals.checkMode,
    diff: internals.diff,
    verbosity: internals.verbosity,
    noLog: internals.noLog,
    masker,
    warn: (message) => warnings.push(message),
    // With no_log on the task, the module keeps quiet on stderr too (Python modules skip syslog then).
    log: (message) => {
      if (!internals.noLog) stderr(masker.maskString(`${definition.name} +${((performance.now() - startedAt) / 1000).toFixed(2)}s: ${message}`));
    },
  };

  let result: Record<string, unknown>;
  try {
    const args = validateArguments(definition, given);
    invocation = { module_args: invocationArgs(definition.options, args as Record<string, unknown>) };
    if (internals.checkMode && definition.checkMode === 'none') {
      result = { skipped: true, changed: false, msg: `remote module (${definition.name}) does not support check mode` };
    } else {
      result = { changed: false, ...(await definition.run(args, ctx)) };
    }
  } catch (error) {
    result = failureResult(error, internals.verbosity);
  }
  if (warnings.length > 0) result.warnings = [...((result.warnings as string[] | undefined) ?? []), ...warnings];
  result.invocation = invocation;
  return masker.mask(result);
}

function failureResult(error: unknown, verbosity: number): Record<string, unknown> {
  if (error instanceof ModuleFailure) return { ...error.details, failed: true, changed: error.details.changed ?? false, msg: error.message };
  const message = error instanceof Error ? error.message : String(error);
  const result: Record<string, unknown> = { failed: true, changed: false, msg: message || 'unexpected error' };
  // A traceback helps only the one who debugs the module, so Ansible's convention: at -vvv and up.
  if (verbosity >= 3 && error instanceof Error && error.stack) result.exception = error.stack;
  return result;
}

/** Reads the args file named on the command line; failures become a failure result. */
export function readArgsFile(path: string | undefined): Record<string, unknown> {
  if (!path) throw new ModuleFailure('no arguments file given: this is an Ansible module, run it from a playbook (argv[1] must name a JSON args file)');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ModuleFailure(`cannot read the arguments file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ModuleFailure(`the arguments file ${path} is not JSON (a binary module gets its arguments as a JSON object)`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ModuleFailure(`the arguments file ${path} must hold a JSON object`);
  }
  // A Python-style wrapper, as `hacking/test-module` and AnsiballZ write it, is accepted too.
  const wrapped = (parsed as Record<string, unknown>).ANSIBLE_MODULE_ARGS;
  if (wrapped && typeof wrapped === 'object' && !Array.isArray(wrapped)) return wrapped as Record<string, unknown>;
  return parsed as Record<string, unknown>;
}

/** Keeps stdout for the result alone: anything a library prints through console goes to stderr. */
function divertConsoleToStderr(): void {
  const toStderr = (...parts: unknown[]) => process.stderr.write(format(...parts) + '\n');
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}

function print(result: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = result.failed ? 1 : 0;
}

/**
 * The process entry of a binary module. `modules` maps module names to definitions; the module is
 * chosen by `_ansible_module_name`, else by the name the executable was called by (Ansible copies
 * it as `AnsiballZ_<name>`), which lets one executable serve every module.
 */
export async function main(modules: Record<string, ModuleDefinition<never>>, argv: string[] = process.argv): Promise<void> {
  divertConsoleToStderr();
  let raw: Record<string, unknown> = {};
  try {
    raw = readArgsFile(argv[2]);
  } catch (error) {
    print(failureResult(error, 0));
    return;
  }
  const name = resolveModuleName(raw, modules, argv);
  const definition = name ? modules[name] : undefined;
  if (!definition) {
    print({ failed: true, changed: false, msg: `unknown module ${JSON.stringify(name ?? '')}: this executable provides ${Object.keys(modules).sort().join(', ')}` });
    return;
  }
  print(await executeModule(definition, raw));
}

function resolveModuleName(raw: Record<string, unknown>, modules: Record<string, unknown>, argv: string[]): string | undefined {
  const candidates: string[] = [];
  if (typeof raw._ansible_module_name === 'string') candidates.push(raw._ansible_module_name.split('.').pop() ?? '');
  for (const path of [process.argv0, argv[1], process.execPath]) {
    if (path) candidates.push(basename(path).replace(/^AnsiballZ_/, '').replace(/\.(ts|js|cjs|mjs)$/, ''));
  }
  if (Object.keys(modules).length === 1) candidates.push(Object.keys(modules)[0] ?? '');
  return candidates.find((candidate) => candidate in modules);
}
