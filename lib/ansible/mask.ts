// Masking of secrets in everything a module prints. Ansible masks nothing for binary modules
// (facts §1.5), so every string that leaves the process goes through one Masker.

export const MASK = '********';
/** What Ansible's AnsibleModule puts in `invocation` for a no_log option. */
export const NO_LOG_PLACEHOLDER = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER';

export class Masker {
  readonly #secrets = new Set<string>();

  /** Registers a secret; strings shorter than 3 characters would mask too much and are ignored. */
  add(secret: unknown): void {
    if (typeof secret === 'string' && secret.length >= 3) this.#secrets.add(secret);
    else if (typeof secret === 'number') this.add(String(secret));
  }

  /** Registers every string found in a value (for no_log options that are dicts or lists). */
  addDeep(value: unknown): void {
    if (typeof value === 'string' || typeof value === 'number') this.add(value);
    else if (Array.isArray(value)) for (const v of value) this.addDeep(v);
    else if (value && typeof value === 'object') for (const v of Object.values(value)) this.addDeep(v);
  }

  get size(): number {
    return this.#secrets.size;
  }

  maskString(text: string): string {
    let out = text;
    // Longest first, so that a secret containing another one is masked whole.
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join(MASK);
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join(MASK);
    }
    return out;
  }

  /** A deep copy of value with every secret replaced, in keys and in values. */
  mask<T>(value: T): T {
    return this.#maskValue(value) as T;
  }

  #maskValue(value: unknown): unknown {
    if (typeof value === 'string') return this.maskString(value);
    // A numeric secret returned as a number (a PIN, a port used as a key) is masked as Ansible does.
    if (typeof value === 'number' && this.#secrets.has(String(value))) return MASK;
    if (Array.isArray(value)) return value.map((v) => this.#maskValue(v));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[this.maskString(k)] = this.#maskValue(v);
      return out;
    }
    return value;
  }
}
