// A Heat template as a file on disk: read and parsed as Heat reads it (YAML, a mapping with
// heat_template_version), and the files it includes with get_file. The one reader of templates:
// hotstack_stack sends the text and the files to Heat; the restore check (lib/snapset) reads the
// parsed mapping. Its failures name the template and carry no other result key.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { load } from 'js-yaml';
import { HotstackError } from '../errors.ts';

/** A template that cannot be read, is not YAML, is not a Heat template, or includes a file that cannot be read. */
export class HeatTemplateError extends HotstackError {}

export interface HeatTemplate {
  /** The path it was read from (get_file names are relative to it). */
  path: string;
  /** The text as written, for Heat. */
  text: string;
  /** The parsed mapping (heat_template_version, parameters, resources, outputs…). */
  template: Record<string, unknown>;
}

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);

/** Reads and parses a Heat template file. */
export function readHeatTemplate(path: string): HeatTemplate {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new HeatTemplateError(`template ${path}: cannot read it (${codeOf(error)})`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = load(text);
  } catch (error) {
    throw new HeatTemplateError(
      `template ${path}: not valid YAML (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
      { cause: error },
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !('heat_template_version' in parsed))
    throw new HeatTemplateError(`template ${path}: not a Heat template (a mapping with heat_template_version and resources)`);
  return { path, text, template: parsed as Record<string, unknown> };
}

/** Pure: every get_file name a template uses (Heat needs their contents in `files`). */
export function getFileNames(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) getFileNames(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'get_file' && typeof value === 'string') found.add(value);
      else getFileNames(value, found);
    }
  }
  return found;
}

/** The contents of every file the template includes with get_file (relative to the template, or file:// absolute), by the name it gives. */
export function templateFiles(heatTemplate: HeatTemplate): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of getFileNames(heatTemplate.template)) {
    const bare = name.replace(/^file:\/\//, '');
    const file = isAbsolute(bare) ? bare : join(dirname(heatTemplate.path), name);
    try {
      files[name] = readFileSync(file, 'utf8');
    } catch (error) {
      throw new HeatTemplateError(`template ${heatTemplate.path}: get_file ${name}: cannot read ${file} (${codeOf(error)})`, {
        cause: error,
      });
    }
  }
  return files;
}
