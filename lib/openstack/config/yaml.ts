// Reading a clouds.yaml / secure.yaml text as openstacksdk does (PyYAML's safe_load, or json.load for
// *.json): YAML 1.1 booleans and merge keys, the last of duplicated keys wins (reported here, since
// PyYAML says nothing), one document only. Errors name the line and column but never quote the text:
// the file may hold a password.
import {
  constructFromEvents,
  defineScalarTag,
  EVENT_ID,
  type Event,
  floatYaml11Tag,
  getScalarValue,
  intYaml11Tag,
  NOT_RESOLVED,
  parseEvents,
  Schema,
  YAML11_SCHEMA,
} from 'js-yaml';
import { HotstackError } from '../../errors.ts';

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
const REPLACED_TAGS = new Set([
  'tag:yaml.org,2002:bool',
  'tag:yaml.org,2002:int',
  'tag:yaml.org,2002:float',
  'tag:yaml.org,2002:timestamp',
]);
const PY_YAML_SCHEMA = new Schema([
  ...YAML11_SCHEMA.tags.filter((tag) => !REPLACED_TAGS.has(tag.tagName)),
  pyBoolTag,
  textIntTag,
  textFloatTag,
]);

/** A file that cannot be read as configuration; the message names the line, never the content. */
class ConfigSyntaxError extends HotstackError {}

export interface ParsedConfig {
  data: unknown;
  /** "duplicate key 'password' at line 7 (in clouds.x.auth): the last value is used", one per repeat. */
  duplicates: string[];
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

interface Frame {
  kind: 'document' | 'mapping' | 'sequence';
  /** Children seen so far (in a mapping, even positions are keys). */
  count: number;
  /** The key whose value is being read (mapping) or the index (sequence): for the path in messages. */
  label: string;
  keys: Set<string>;
}

/** Keys given twice in one mapping, with their line, from the parser's event stream. */
function duplicateKeys(text: string, events: Event[]): string[] {
  const found: string[] = [];
  const stack: Frame[] = [];
  const pathOf = () =>
    stack
      .slice(1, -1)
      .map((frame) => frame.label)
      .join('.');
  const child = (keyText?: string, offset?: number) => {
    const parent = stack.at(-1);
    if (!parent) return;
    if (parent.kind === 'mapping') {
      if (parent.count % 2 === 0) {
        parent.label = keyText ?? '?';
        if (keyText !== undefined && keyText !== '<<') {
          if (parent.keys.has(keyText)) {
            const where = pathOf();
            found.push(
              `duplicate key '${keyText}' at line ${lineOf(text, offset ?? 0)}${where ? ` (in ${where})` : ''}: the last value is used`,
            );
          }
          parent.keys.add(keyText);
        }
      }
    } else if (parent.kind === 'sequence') {
      parent.label = `[${parent.count}]`;
    }
    parent.count++;
  };
  for (const event of events) {
    switch (event.type) {
      case EVENT_ID.DOCUMENT:
        stack.push({ kind: 'document', count: 0, label: '', keys: new Set() });
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE:
        child();
        stack.push({
          kind: event.type === EVENT_ID.MAPPING ? 'mapping' : 'sequence',
          count: 0,
          label: '',
          keys: new Set(),
        });
        break;
      case EVENT_ID.SCALAR:
        child(getScalarValue(text, event), event.valueStart);
        break;
      case EVENT_ID.ALIAS:
        child();
        break;
      case EVENT_ID.POP:
        stack.pop();
        break;
    }
  }
  return found;
}

/** Where the second document starts (its `---`, as PyYAML reports it), if that can be told. */
function secondDocumentOffset(text: string, events: Event[]): number | undefined {
  let documents = 0;
  for (const event of events) {
    if (event.type === EVENT_ID.DOCUMENT) documents++;
    else if (documents >= 2) {
      let node: number | undefined;
      if (event.type === EVENT_ID.SCALAR) node = event.valueStart;
      else if (event.type === EVENT_ID.MAPPING || event.type === EVENT_ID.SEQUENCE) node = event.start;
      if (node === undefined || node < 0) continue;
      const marker = text.lastIndexOf('---', node);
      return marker >= 0 ? marker : node;
    }
  }
  return undefined;
}

function yamlError(error: unknown): ConfigSyntaxError {
  const e = error as { reason?: unknown; mark?: { line?: number; column?: number } };
  const where = typeof e.mark?.line === 'number' ? ` at line ${e.mark.line + 1}, column ${(e.mark.column ?? 0) + 1}` : '';
  return new ConfigSyntaxError(`not valid YAML${typeof e.reason === 'string' ? `: ${e.reason}` : ''}${where}`);
}

function jsonError(text: string, error: unknown): ConfigSyntaxError {
  // V8's message may quote the text around the fault: only the position is kept.
  const position = /at position (\d+)/.exec(error instanceof Error ? error.message : '');
  if (!position) return new ConfigSyntaxError('not valid JSON (it ends too early or is empty)');
  const offset = Number(position[1]);
  const line = lineOf(text, offset);
  const column = offset - text.lastIndexOf('\n', offset - 1);
  return new ConfigSyntaxError(`not valid JSON at line ${line}, column ${column}`);
}

/**
 * Parses clouds/secure file text (`file` is used for its suffix only). Throws ConfigSyntaxError for
 * text that PyYAML's safe_load (or json.load) would refuse, several YAML documents included.
 */
export function parseConfigText(text: string, file: string): ParsedConfig {
  if (file.endsWith('json')) {
    try {
      // Python's json.load also keeps the last of duplicated keys.
      return { data: JSON.parse(text) as unknown, duplicates: [] };
    } catch (error) {
      throw jsonError(text, error);
    }
  }
  let documents: unknown[];
  let events: Event[];
  try {
    events = parseEvents(text, { filename: file });
    documents = constructFromEvents(events, { source: text, filename: file, schema: PY_YAML_SCHEMA, json: true });
  } catch (error) {
    throw yamlError(error);
  }
  if (documents.length > 1) {
    const second = secondDocumentOffset(text, events);
    const where = second === undefined ? '' : ` at line ${lineOf(text, second)}`;
    throw new ConfigSyntaxError(`not valid YAML: expected a single document in the stream, but found another document${where}`);
  }
  return { data: documents[0] ?? null, duplicates: duplicateKeys(text, events) };
}
