// Where the repository is, and its built module executables: shared by the labs, the benches and the tests.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const LIBRARY = join(ROOT, 'library');

/** The path of a built module executable; throws when `npm run build` has not made it. */
export function requireBuilt(module: string): string {
  const path = join(LIBRARY, module);
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build first`);
  return path;
}
