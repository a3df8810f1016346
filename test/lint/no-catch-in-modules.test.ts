// A module's run() is its happy path, and so is the cluster glue: no try/catch and no .catch() in any
// module file (modules/hotstack_*.ts) nor in lib/ansible/cluster.ts. Errors are HotstackErrors that
// carry their own result keys (lib/errors.ts), which the protocol reports once (executeModule); a
// translation that is really needed belongs in the domain or client below (issue 19, point 2).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/ansible.ts';
import { catchLines, parseFiles } from './syntax.ts';

/** Every module file (registry.ts and index.ts load the modules; they are not modules), and the cluster glue. */
function guardedFiles(): string[] {
  const modules = readdirSync(join(ROOT, 'modules'))
    .filter((name) => /^hotstack_\w+\.ts$/.test(name))
    .map((name) => `modules/${name}`);
  return [...modules, 'lib/ansible/cluster.ts'];
}

test('the catch finder sees try/catch and .catch() calls, not the word in strings or names', () => {
  const [parsed] = parseFiles(['lib/ansible/module.ts']);
  const lines = catchLines(parsed!);
  const text = parsed!.text.split('\n');
  assert.ok(lines.length >= 3, `module.ts holds the protocol's catches; found ${lines.length}`);
  for (const line of lines) assert.match(text[line - 1] ?? '', /\bcatch\b/, `line ${line}`);
});

test('no try/catch (nor .catch()) in a module file or in lib/ansible/cluster.ts', () => {
  const files = guardedFiles();
  assert.ok(files.length >= 7, `only ${files.length} module files found`);
  const found = parseFiles(files).flatMap((parsed) => catchLines(parsed).map((line) => `${parsed.file}:${line}`));
  assert.deepEqual(
    found,
    [],
    'a module maps no error: throw (or let through) a HotstackError whose details are the result keys; translate in lib/ if needed',
  );
});
