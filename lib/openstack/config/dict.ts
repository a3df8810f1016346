// Plain-dict helpers for cloud entries as openstacksdk handles them (_util.normalize_keys,
// merge_clouds, _auth_update, get_boolean). Keys come from user files: values are set with
// defineProperty so that a `__proto__` key stays a plain key.

export type Dict = Record<string, unknown>;

export function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Assigns without ever touching a prototype. */
export function put(target: Dict, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function has(target: Dict, key: string): boolean {
  return Object.hasOwn(target, key);
}

export function get(target: Dict, key: string): unknown {
  return has(target, key) ? target[key] : undefined;
}

export function deepCopy(value: unknown): unknown {
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

/**
 * `_auth_update` as get_one applies a layer (the entry, the region's values, the caller's
 * arguments): top-level keys replaced, the `auth` dict merged key by key, null values skipped
 * when `skipNull` (get_one's "None values do not take over").
 */
export function authUpdate(target: Dict, source: Dict, skipNull = false): void {
  for (const [k, v] of Object.entries(source)) {
    if (skipNull && (v === null || v === undefined)) continue;
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

/** true/false for boolean-like values (true/yes/on/1, false/no/off/0), undefined for anything else. */
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

/**
 * openstacksdk's `get_boolean`, applied to `insecure`: a boolean as is, a string only when it is
 * "true" in any case; everything else ("1", "yes", null) is false.
 */
export function sdkBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.toLowerCase() === 'true';
  return false;
}

/** A scalar as the string openstacksdk would hand on; undefined for null, dicts and lists. */
export function scalarString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return undefined;
}
