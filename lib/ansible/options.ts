// A module's options, written once: the same spec validates the arguments (as JSON Schema for ajv)
// and documents the module (the DOCUMENTATION block of its ansible-doc sidecar).
import { NO_LOG_PLACEHOLDER } from './mask.ts';

export type OptionType = 'str' | 'int' | 'float' | 'bool' | 'dict' | 'list' | 'raw' | 'path';

export interface OptionSpec {
  type: OptionType;
  description: string | string[];
  required?: boolean;
  default?: unknown;
  choices?: readonly (string | number)[];
  /** Element type of a list. */
  elements?: OptionType;
  /** Secret: masked in `invocation` and in every string the module prints. */
  no_log?: boolean;
  /** Documented keys of a dict (or of each dict element of a list). */
  suboptions?: Record<string, OptionSpec>;
  minimum?: number;
  maximum?: number;
  /** Extra JSON Schema merged into the generated one (for rules the option types cannot say). */
  schema?: Record<string, unknown>;
  aliases?: string[];
  /** For options that are not secret as a whole but may hold secrets (a cloud entry's password). */
  secretValues?: (value: unknown) => unknown[];
}

export type Options = Record<string, OptionSpec>;

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
    const element: OptionSpec = { type: spec.elements, description: '' };
    if (spec.suboptions) element.suboptions = spec.suboptions;
    schema.items = optionSchema(element);
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

/**
 * A dict option given as a string, as AnsibleModule's check_type_dict reads it: JSON when it starts
 * with `{`, else `k=v` pairs separated by commas or spaces (quotes group, backslash escapes).
 * undefined when the string is neither (the schema then reports the option's type).
 */
export function parseDictString(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  if (!text.includes('=')) return undefined;
  const fields: string[] = [];
  let field = '';
  let quote = '';
  let escaped = false;
  for (const ch of text) {
    if (escaped) {
      field += ch;
      escaped = false;
    } else if (ch === '\\') escaped = true;
    else if (!quote && (ch === "'" || ch === '"')) quote = ch;
    else if (quote && ch === quote) quote = '';
    else if (!quote && (ch === ',' || ch === ' ')) {
      if (field) fields.push(field);
      field = '';
    } else field += ch;
  }
  if (field) fields.push(field);
  if (fields.some((f) => !f.includes('='))) return undefined;
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const at = f.indexOf('=');
    Object.defineProperty(out, f.slice(0, at), { value: f.slice(at + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const TRUE_STRINGS = new Set(['yes', 'on', '1', 'true', 'y', 't']);
const FALSE_STRINGS = new Set(['no', 'off', '0', 'false', 'n', 'f']);

/**
 * Ansible hands templated values over as strings ("1200", "yes", '{"a": 1}'); AnsibleModule converts
 * them. We do the same for the top-level options before validation, so the schema can stay strict.
 */
export function coerceScalars(options: Options, args: Record<string, unknown>): Record<string, unknown> {
  const out = { ...args };
  for (const [name, spec] of Object.entries(options)) {
    const value = out[name];
    if (typeof value === 'string') {
      const lowered = value.trim().toLowerCase();
      if (spec.type === 'bool' && TRUE_STRINGS.has(lowered)) out[name] = true;
      else if (spec.type === 'bool' && FALSE_STRINGS.has(lowered)) out[name] = false;
      else if (spec.type === 'int' && /^-?\d+$/.test(value.trim())) out[name] = Number(value.trim());
      else if (spec.type === 'float' && value.trim() !== '' && !Number.isNaN(Number(value))) out[name] = Number(value);
      else if (spec.type === 'dict') out[name] = parseDictString(value) ?? value;
    } else if (typeof value === 'number' && spec.type === 'bool' && (value === 0 || value === 1)) {
      out[name] = value === 1;
    } else if (typeof value === 'number' && (spec.type === 'str' || spec.type === 'path')) {
      out[name] = String(value);
    }
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
