// Reads a Heat template file as Heat does (YAML; dates stay strings) for the restore check.
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import type { Template } from './restore.ts';

export function readTemplate(path: string): Template {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`template ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let parsed: unknown;
  try {
    parsed = load(text);
  } catch (error) {
    throw new Error(`template ${path}: not valid YAML (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`template ${path}: not a Heat template (a mapping with heat_template_version and resources)`);
  return parsed as Template;
}
