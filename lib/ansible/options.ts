// A module's options, written once: the same spec validates the arguments (as JSON Schema for ajv),
// types them (ArgsOf: the argument type of run() is computed from the spec written `as const` or
// through defineModule) and documents the module (the DOCUMENTATION block of its ansible-doc sidecar).
import { NO_LOG_PLACEHOLDER } from './mask.ts';

export type OptionType = 'str' | 'int' | 'float' | 'bool' | 'dict' | 'list' | 'raw' | 'path';

export interface OptionSpec {
  readonly type: OptionType;
  readonly description: string | readonly string[];
  readonly required?: boolean;
  readonly default?: unknown;
  readonly choices?: readonly (string | number)[];
  /** Element type of a list. */
  readonly elements?: OptionType;
  /** Secret: masked in `invocation` and in every string the module prints. */
  readonly no_log?: boolean;
  /** Documented keys of a dict (or of each dict element of a list). */
  readonly suboptions?: Options;
  readonly minimum?: number;
  readonly maximum?: number;
  /** Extra JSON Schema merged into the generated one (for rules the option types cannot say). */
  readonly schema?: Record<string, unknown>;
  readonly aliases?: readonly string[];
  /** For options that are not secret as a whole but may hold secrets (a cloud entry's password). */
  readonly secretValues?: (value: unknown) => unknown[];
}

export type Options = { readonly [name: string]: OptionSpec };

/** The value type of one Ansible option type. */
type ValueOfType<T extends OptionType> = T extends 'str' | 'path'
  ? string
  : T extends 'int' | 'float'
    ? number
    : T extends 'bool'
      ? boolean
      : T extends 'dict'
        ? Record<string, unknown>
        : T extends 'list'
          ? unknown[]
          : unknown;

/** The value of an option as run() gets it: its choices, its suboptions, its list elements. */
export type ValueOf<S extends OptionSpec> = S extends { readonly choices: readonly (infer C)[] }
  ? C
  : S extends { readonly type: 'dict'; readonly suboptions: infer Sub extends Options }
    ? ArgsOf<Sub>
    : S extends { readonly type: 'list'; readonly suboptions: infer Sub extends Options }
      ? ArgsOf<Sub>[]
      : S extends { readonly type: 'list'; readonly elements: infer E extends OptionType }
        ? ValueOfType<E>[]
        : ValueOfType<S['type']>;

/** Whether run() always gets the option: it is required or has a default. */
type AlwaysThere<S extends OptionSpec> = S extends { readonly required: true }
  ? true
  : S extends { readonly default: infer D }
    ? undefined extends D
      ? false
      : true
    : false;

type Flatten<T> = { [K in keyof T]: T[K] } & {};

/** The arguments of a module with options O, after validation and defaults. */
export type ArgsOf<O extends Options> = Flatten<
  { -readonly [K in keyof O as AlwaysThere<O[K]> extends true ? K : never]: ValueOf<O[K]> } & {
    -readonly [K in keyof O as AlwaysThere<O[K]> extends true ? never : K]?: ValueOf<O[K]> | undefined;
  }
>;

type JsonSchema = Record<string, unknown>;

const JSON_TYPES: Record<OptionType, JsonSchema> = {
  str: { type: 'string' },
  path: { type: 'string' },
  int: { type: 'integer' },
  float: { type: 'number' },
  bool: { type: 'boolean' },
  dict: { type: 'object' },
  list: { type: 'array' },
  raw: {},
};

function optionSchema(spec: OptionSpec): JsonSchema {
  const schema: JsonSchema = { ...JSON_TYPES[spec.type] };
  if (spec.choices) schema.enum = [...spec.choices];
  if (spec.minimum !== undefined) schema.minimum = spec.minimum;
  if (spec.maximum !== undefined) schema.maximum = spec.maximum;
  if (spec.type === 'dict' && spec.suboptions) Object.assign(schema, objectSchema(spec.suboptions));
  if (spec.type === 'list' && spec.elements) {
    schema.items = optionSchema({ type: spec.elements, description: '', ...(spec.suboptions ? { suboptions: spec.suboptions } : {}) });
  }
  return { ...schema, ...(spec.schema ?? {}) };
}

function objectSchema(options: Options): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, spec] of Object.entries(options)) properties[name] = optionSchema(spec);
  const required = Object.entries(options)
    .filter(([, spec]) => spec.required)
    .map(([name]) => name);
  return { type: 'object', properties, required, additionalProperties: false };
}

/** JSON Schema of a module's arguments (without the `_ansible_*` keys, which the protocol strips first). */
export function argumentSchema(options: Options): JsonSchema {
  return objectSchema(options);
}

/** Applies defaults of top-level options that were not given. */
export function withDefaults(options: Options, args: Record<string, unknown>): Record<string, unknown> {
  const out = { ...args };
  for (const [name, spec] of Object.entries(options)) {
    if (out[name] === undefined && spec.default !== undefined) out[name] = structuredClone(spec.default);
  }
  return out;
}

/** Renames aliases to their option's name. */
export function resolveAliases(options: Options, args: Record<string, unknown>): Record<string, unknown> {
  const out = { ...args };
  for (const [name, spec] of Object.entries(options)) {
    for (const alias of spec.aliases ?? []) {
      if (alias in out && !(name in out)) {
        out[name] = out[alias];
        delete out[alias];
      }
    }
  }
  return out;
}

const TRUE_STRINGS = new Set(['yes', 'on', '1', 'true', 'y', 't']);
const FALSE_STRINGS = new Set(['no', 'off', '0', 'false', 'n', 'f']);

/** One scalar as AnsibleModule converts it to `type` (a string "1200" to 1200, "yes" to true...); else unchanged. */
function coerceScalar(type: OptionType | undefined, value: unknown): unknown {
  if (typeof value === 'string') {
    const lowered = value.trim().toLowerCase();
    if (type === 'bool' && TRUE_STRINGS.has(lowered)) return true;
    if (type === 'bool' && FALSE_STRINGS.has(lowered)) return false;
    if (type === 'int' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
    if (type === 'float' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
    if (type === 'dict') return parseDictString(value) ?? value;
  } else if (typeof value === 'number' && type === 'bool' && (value === 0 || value === 1)) {
    return value === 1;
  } else if (typeof value === 'number' && (type === 'str' || type === 'path')) {
    return String(value);
  }
  return value;
}

/**
 * Ansible's `list` type (check_type_list): a list as it is, a string split on commas (nothing
 * trimmed: "a, b" is "a" and " b", as there), a number as the one-element list of its text; then each
 * element converted to the option's `elements` type, as AnsibleModule does.
 */
export function coerceList(spec: Pick<OptionSpec, 'elements'>, value: unknown): unknown {
  let list: unknown = value;
  if (typeof value === 'string') list = value.split(',');
  else if (typeof value === 'number') list = [String(value)];
  if (!Array.isArray(list) || !spec.elements) return list;
  return list.map((element) => coerceScalar(spec.elements, element));
}

/**
 * Ansible hands templated values over as strings ("1200", "yes", "a,b"); AnsibleModule converts them.
 * We do the same for the top-level options before validation, so the schema can stay strict.
 */
export function coerceScalars(options: Options, args: Record<string, unknown>): Record<string, unknown> {
  const out = { ...args };
  for (const [name, spec] of Object.entries(options)) {
    if (!(name in out)) continue;
    out[name] = spec.type === 'list' ? coerceList(spec, out[name]) : coerceScalar(spec.type, out[name]);
  }
  return out;
}

/**
 * A dict option given as a string, as AnsibleModule reads one (ad-hoc `-a`, a templated string): JSON
 * when it starts with `{`, else `key=value` pairs separated by commas or spaces, quotes and
 * backslashes protecting separators. Undefined when the string is neither; validation then names
 * the option.
 */
export function parseDictString(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  if (!trimmed.includes('=')) return undefined;
  const fields: string[] = [];
  let field = '';
  let quote: string | undefined;
  let escaped = false;
  for (const c of trimmed) {
    if (escaped) {
      field += c;
      escaped = false;
    } else if (c === '\\') escaped = true;
    else if (!quote && (c === "'" || c === '"')) quote = c;
    else if (quote === c) quote = undefined;
    else if (!quote && (c === ',' || c === ' ')) {
      if (field) fields.push(field);
      field = '';
    } else field += c;
  }
  if (field) fields.push(field);
  const out: Record<string, unknown> = {};
  for (const pair of fields) {
    const at = pair.indexOf('=');
    if (at < 0) return undefined;
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/** Values of the secret (no_log) options, including secret suboptions of dict options. */
export function noLogValues(options: Options, args: Record<string, unknown>): unknown[] {
  const values: unknown[] = [];
  for (const [name, spec] of Object.entries(options)) {
    const value = args[name];
    if (value === undefined || value === null) continue;
    if (spec.no_log) values.push(value);
    else if (spec.secretValues) values.push(...spec.secretValues(value));
    else if (spec.suboptions) {
      for (const element of Array.isArray(value) ? value : [value]) {
        if (element && typeof element === 'object' && !Array.isArray(element)) {
          values.push(...noLogValues(spec.suboptions, element as Record<string, unknown>));
        }
      }
    }
  }
  return values;
}

/** The `invocation.module_args` Ansible shows: arguments with no_log options replaced. */
export function invocationArgs(options: Options, args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    const spec = options[name];
    const isDict = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
    if (spec?.no_log && value !== undefined && value !== null) out[name] = NO_LOG_PLACEHOLDER;
    else if (spec?.suboptions && isDict(value)) out[name] = invocationArgs(spec.suboptions, value);
    else if (spec?.suboptions && Array.isArray(value)) {
      out[name] = value.map((element) => (isDict(element) ? invocationArgs(spec.suboptions!, element) : element));
    } else out[name] = value;
  }
  return out;
}

/** The DOCUMENTATION `options:` mapping of ansible-doc. */
export function documentOptions(options: Options): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(options)) {
    const description = Array.isArray(spec.description) ? [...spec.description] : [spec.description];
    if (spec.no_log) description.push('Secret: masked in the invocation and in every message the module returns.');
    const doc: Record<string, unknown> = {
      description,
      type: spec.type,
    };
    if (spec.required) doc.required = true;
    if (spec.default !== undefined) doc.default = spec.default;
    if (spec.choices) doc.choices = [...spec.choices];
    if (spec.elements) doc.elements = spec.elements;
    if (spec.aliases) doc.aliases = spec.aliases;
    if (spec.suboptions) doc.suboptions = documentOptions(spec.suboptions);
    out[name] = doc;
  }
  return out;
}
