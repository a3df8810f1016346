// The Ansible binary-module protocol (facts §1): argv holds the path of a JSON args file; exactly one
// JSON object goes to stdout; logs go to stderr. Input validation, check mode, masking of secrets,
// `stats`, the shape of failures (any HotstackError → failed: true, msg, details) and interrupts
// (SIGTERM/SIGINT/SIGHUP → ctx.signal) live here once, so that a module is its options plus one
// happy-path run().
import { readFileSync } from 'node:fs';
import { format } from 'node:util';
import { Ajv, type ErrorObject } from 'ajv';
import { AbortedError, HotstackError } from '../errors.ts';
import { Masker } from './mask.ts';
import { moduleNameCandidates } from './module-name.ts';
import {
  type ArgsOf,
  argumentSchema,
  coerceScalars,
  invocationArgs,
  noLogValues,
  type Options,
  resolveAliases,
  withDefaults,
} from './options.ts';

export type CheckModeSupport = 'full' | 'partial' | 'none';

export interface ModuleDefinition<O extends Options = Options> {
  name: string;
  shortDescription: string;
  description: readonly string[];
  options: O;
  /** What check mode does; 'none' makes the protocol answer `skipped` without running. */
  checkMode: CheckModeSupport;
  checkModeDetails?: string;
  notes?: readonly string[];
  /** EXAMPLES block of the sidecar (YAML text). */
  examples: string;
  /**
   * RETURN block of the sidecar. When it documents `stats`, the protocol adds `stats` to every
   * result (success, failure, skip): `wall_seconds` plus what the module's clients count
   * (ctx.addStats), so the docs' `returned: always` holds.
   */
  returns: Record<string, unknown>;
  /** The happy path: throw a HotstackError (or let one through) to fail; the protocol maps it. */
  run(args: ArgsOf<O>, ctx: ModuleContext): Promise<ModuleResult>;
}

/**
 * A module definition whose run() gets arguments typed from its option spec: write the options
 * inline (or `as const`) and `args.timeout` is a number, `args.concurrency` a number | undefined.
 */
export function defineModule<const O extends Options>(definition: ModuleDefinition<O>): ModuleDefinition<O> {
  return definition;
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
  /**
   * Aborted when the process gets SIGTERM, SIGINT or SIGHUP (reason: an AbortedError "interrupted
   * by SIGTERM" with details.signal). A module then starts no new work, waits a bounded time for
   * what is in flight, puts things back as they were before the step, and throws a HotstackError
   * saying what it removed; the protocol prints that as the one failure result.
   */
  readonly signal: AbortSignal;
  warn(message: string): void;
  /** A log line on stderr, masked. Shown by Ansible only when the module's output cannot be parsed. */
  log(message: string): void;
  /** Adds counters to the result's `stats` (read when the result is made, success or failure). */
  addStats(provider: () => Record<string, unknown>): void;
}

/** A failure the module means to report: its message is shown as is, with the extra result keys. */
export class ModuleFailure extends HotstackError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, { details });
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
function splitInternals(raw: Record<string, unknown>): { args: Record<string, unknown>; internals: AnsibleInternals } {
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
function describeSchemaErrors(moduleName: string, options: Options, errors: ErrorObject[]): string {
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

// validateSchema off: checking each generated schema against JSON Schema's meta-schema would compile
// that meta-schema at every start (20 ms, a fifth of a cold start); the unit tests check every
// module's schema against it instead.
const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });

/**
 * Validates arguments whose aliases are already resolved (executeModule does that first, to know
 * the secrets); returns them typed with defaults applied, or throws ModuleFailure.
 */
function validateArguments<O extends Options>(definition: ModuleDefinition<O>, given: Record<string, unknown>): ArgsOf<O> {
  const args = coerceScalars(definition.options, given);
  const validate = ajv.compile(argumentSchema(definition.options));
  if (!validate(args)) {
    throw new ModuleFailure(describeSchemaErrors(definition.name, definition.options, validate.errors ?? []));
  }
  // The one place where a value becomes ArgsOf<O>: the schema made from O has just accepted it.
  return withDefaults(definition.options, args) as ArgsOf<O>;
}

export interface ExecuteOptions {
  /** Where log lines go (default stderr). */
  stderr?: (line: string) => void;
  /** ctx.signal: main() aborts it on SIGTERM/SIGINT/SIGHUP. */
  signal?: AbortSignal;
}

/** Runs a module as Ansible does and returns the one result object it prints (already masked). */
export async function executeModule<O extends Options>(
  definition: ModuleDefinition<O>,
  raw: Record<string, unknown>,
  options: ExecuteOptions | ((line: string) => void) = {},
): Promise<Record<string, unknown>> {
  const { stderr = (line: string) => process.stderr.write(`${line}\n`), signal = new AbortController().signal } =
    typeof options === 'function' ? { stderr: options } : options;
  const startedAt = performance.now();
  const masker = new Masker();
  const statsProviders: (() => Record<string, unknown>)[] = [];
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
    signal,
    warn: (message) => warnings.push(message),
    addStats: (provider) => statsProviders.push(provider),
    // With no_log on the task, the module keeps quiet on stderr too (Python modules skip syslog then).
    log: (message) => {
      if (!internals.noLog)
        stderr(masker.maskString(`${definition.name} +${((performance.now() - startedAt) / 1000).toFixed(2)}s: ${message}`));
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
  if (signal.aborted) markInterrupted(result, signal);
  if ('stats' in definition.returns) {
    const stats: Record<string, unknown> = { wall_seconds: Math.round(performance.now() - startedAt) / 1000 };
    for (const provider of statsProviders) Object.assign(stats, provider());
    result.stats = { ...stats, ...(result.stats as Record<string, unknown> | undefined) };
  }
  if (warnings.length > 0) result.warnings = [...((result.warnings as string[] | undefined) ?? []), ...warnings];
  result.invocation = invocation;
  return masker.mask(result);
}

/** Any HotstackError is an expected failure: its message and details; anything else is a bug. */
function failureResult(error: unknown, verbosity: number): Record<string, unknown> {
  let result: Record<string, unknown>;
  if (error instanceof HotstackError) {
    result = { ...error.details, failed: true, changed: error.details.changed ?? false, msg: error.message };
  } else {
    const message = error instanceof Error ? error.message : String(error);
    result = { failed: true, changed: false, msg: message || 'unexpected error' };
  }
  // A traceback helps only the one who debugs the module, so Ansible's convention: at -vvv and up.
  if (verbosity >= 3 && error instanceof Error && error.stack) result.exception = stackWithCauses(error);
  return result;
}

function stackWithCauses(error: Error): string {
  const parts = [error.stack ?? String(error)];
  for (let cause = error.cause, depth = 0; cause !== undefined && depth < 5; depth++) {
    parts.push(`Caused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return parts.join('\n');
}

/** The signal that interrupted a run, named in its result (failed or not). */
function markInterrupted(result: Record<string, unknown>, signal: AbortSignal): void {
  const reason: unknown = signal.reason;
  const name = reason instanceof HotstackError && typeof reason.details.signal === 'string' ? reason.details.signal : undefined;
  if (!name) return;
  result.signal = name;
  if (result.failed && typeof result.msg === 'string' && !result.msg.includes(name)) result.msg = `interrupted by ${name}: ${result.msg}`;
}

/** Reads the args file named on the command line; failures become a failure result. */
export function readArgsFile(path: string | undefined): Record<string, unknown> {
  if (!path)
    throw new ModuleFailure(
      'no arguments file given: this is an Ansible module, run it from a playbook (argv[1] must name a JSON args file)',
    );
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
  const toStderr = (...parts: unknown[]) => process.stderr.write(`${format(...parts)}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}

function print(result: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = result.failed ? 1 : 0;
}

/** A module, or a loader that imports it: main() loads only the module that runs (cold start). */
export type ModuleSource = ModuleDefinition | (() => Promise<ModuleDefinition>);

export interface InterruptOptions {
  /** After the first signal, how long run() has to roll back before the process ends anyway. */
  graceMs: number;
}

const INTERRUPT_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
const SIGNAL_NUMBERS: Record<(typeof INTERRUPT_SIGNALS)[number], number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/**
 * SIGTERM, SIGINT and SIGHUP abort `controller` with an AbortedError naming the signal; the run then
 * rolls back and its failure is printed as usual. A second signal, or the run outlasting
 * `graceMs`, calls `emergency` (which prints one failure and ends the process). Returns the uninstaller.
 */
function handleInterrupts(
  controller: AbortController,
  emergency: (why: string, signal: string) => void,
  options: InterruptOptions,
  log: (line: string) => void,
): () => void {
  let first: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (first === undefined) {
      first = signal;
      log(`received ${signal}: starting no new work, rolling back what this run made (a second signal ends the process at once)`);
      controller.abort(new AbortedError(`interrupted by ${signal}`, { details: { signal } }));
      setTimeout(
        () => emergency(`interrupted by ${signal}, and the rollback did not end within ${options.graceMs / 1000}s`, signal),
        options.graceMs,
      ).unref();
    } else {
      emergency(`interrupted by ${first}, then ${signal} during the rollback: ended at once`, first);
    }
  };
  for (const signal of INTERRUPT_SIGNALS) process.on(signal, onSignal);
  return () => {
    for (const signal of INTERRUPT_SIGNALS) process.off(signal, onSignal);
  };
}

/**
 * The process entry of a binary module. `modules` maps module names to definitions or loaders; the
 * module is chosen by `_ansible_module_name`, else by the name the executable was called by (Ansible
 * copies it as `AnsiballZ_<name>`), which lets one executable serve every module.
 */
export async function main(
  modules: Record<string, ModuleSource>,
  argv: string[] = process.argv,
  interrupts: InterruptOptions = { graceMs: 150_000 },
): Promise<void> {
  divertConsoleToStderr();
  // When Ansible is gone (Ctrl-C on ansible-playbook closes the pipes), writes fail with EPIPE: the
  // rollback must go on regardless, so a failed write is not a crash.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  let raw: Record<string, unknown> = {};
  try {
    raw = readArgsFile(argv[2]);
  } catch (error) {
    print(failureResult(error, 0));
    return;
  }
  const name = resolveModuleName(raw, modules, argv);
  const source = name ? modules[name] : undefined;
  if (!source) {
    print({
      failed: true,
      changed: false,
      msg: `unknown module ${JSON.stringify(name ?? '')}: this executable provides ${Object.keys(modules).sort().join(', ')}`,
    });
    return;
  }
  let printed = false;
  const controller = new AbortController();
  const stderr = (line: string) => process.stderr.write(`${line}\n`);
  // On a second signal (or a rollback that hangs) the run is abandoned: one failure is still printed.
  const emergency = (why: string, signal: string) => {
    if (!printed) {
      printed = true;
      print({
        failed: true,
        changed: true,
        signal,
        msg: `${why}; what this run made may be left behind: see "Interrupted runs" in the README to find and remove it`,
      });
    }
    process.exit(128 + (SIGNAL_NUMBERS[signal as keyof typeof SIGNAL_NUMBERS] ?? 15));
  };
  const uninstall = handleInterrupts(controller, emergency, interrupts, stderr);
  let result: Record<string, unknown>;
  try {
    const definition = typeof source === 'function' ? await source() : source;
    result = await executeModule(definition, raw, { stderr, signal: controller.signal });
  } catch (error) {
    result = failureResult(error, 0);
  }
  uninstall();
  if (printed) return;
  printed = true;
  print(result);
  // Requests abandoned by an interrupted run must not keep the process alive.
  if (controller.signal.aborted) process.exit();
}

function resolveModuleName(raw: Record<string, unknown>, modules: Record<string, unknown>, argv: string[]): string | undefined {
  const candidates = moduleNameCandidates(raw, [process.argv0, argv[1], process.execPath]);
  if (Object.keys(modules).length === 1) candidates.push(Object.keys(modules)[0] ?? '');
  return candidates.find((candidate) => candidate in modules);
}
