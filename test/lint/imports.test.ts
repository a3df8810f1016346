// The imports flow one way, and this keeps them so: the client and domain folders of lib/ know
// nothing of Ansible (lib/ansible is the glue above them), the clients know nothing of the domains,
// a module never imports another module, and nothing outside test/ imports test/ (tests may use
// production code, never the reverse).
// Reads the import specifiers of every TypeScript file git tracks (static, re-exports and dynamic
// imports with a literal path) and the npm scripts; no build, no network.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { ROOT } from '../helpers/ansible.ts';

/** The folders below lib/ansible: their files must not import it. */
const ANSIBLE_FREE = ['lib/openstack/', 'lib/cluster/', 'lib/snapset/', 'lib/revive/', 'lib/stack/'];

/** The clients, and the domains built on them. */
const CLIENTS = ['lib/openstack/', 'lib/cluster/'];
const DOMAINS = ['lib/snapset/', 'lib/revive/', 'lib/stack/'];

/** A module is modules/hotstack_*.ts; modules/registry.ts and modules/index.ts are the index and the entry that load them. */
const isModule = (file: string) => /^modules\/hotstack_\w+\.ts$/.test(file);

const IMPORT =
  /^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

/** The repository paths a file imports (relative specifiers only: packages are not ours to judge). */
export function importsOf(file: string, source: string): string[] {
  const out: string[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2] ?? match[3];
    if (spec?.startsWith('.')) out.push(normalize(join(dirname(file), spec)));
  }
  return out;
}

async function trackedTypeScript(): Promise<string[]> {
  const { stdout } = await execa('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: ROOT });
  return stdout.split('\n').filter((f) => f && !f.includes('node_modules/'));
}

/** Every import edge of the tree, "from -> to". */
async function edges(): Promise<{ from: string; to: string }[]> {
  const out: { from: string; to: string }[] = [];
  for (const file of await trackedTypeScript()) {
    let source: string;
    try {
      source = readFileSync(join(ROOT, file), 'utf8');
    } catch {
      continue; // deleted in the work tree, not yet in git
    }
    for (const to of importsOf(file, source)) out.push({ from: file, to });
  }
  return out;
}

/** npm scripts that run a file under test/ other than through the test runner. */
function scriptTestImports(): string[] {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  const out: string[] = [];
  for (const [name, command] of Object.entries(scripts)) {
    if (/\s--test\b/.test(command)) continue;
    for (const match of command.matchAll(/(?:^|\s)(test\/\S+\.ts)\b/g)) out.push(`package.json scripts.${name} -> ${match[1]}`);
  }
  return out;
}

test('the import reader sees static, re-export, side-effect and dynamic imports, and resolves them', () => {
  const source = [
    "import { a } from '../ansible/module.ts';",
    "import type { B } from './b.ts';",
    "export { c } from '../../test/helpers/c.ts';",
    "import './side.ts';",
    "const m = await import('../x/y.ts');",
    "import { got } from 'got';",
    'const s = \'not an import from "./z.ts"\';',
  ].join('\n');
  assert.deepEqual(importsOf('lib/snapset/create.ts', source), [
    'lib/ansible/module.ts',
    'lib/snapset/b.ts',
    'test/helpers/c.ts',
    'lib/snapset/side.ts',
    'lib/x/y.ts',
  ]);
});

test('lib/{openstack,cluster,snapset,revive,stack} import nothing from lib/ansible', async () => {
  const bad = (await edges())
    .filter((e) => ANSIBLE_FREE.some((dir) => e.from.startsWith(dir)) && e.to.startsWith('lib/ansible/'))
    .map((e) => `${e.from} -> ${e.to}`);
  assert.deepEqual(bad, [], 'the client and domain folders must stay Ansible-free: move the Ansible part to lib/ansible');
});

test('the clients (lib/openstack, lib/cluster) import no domain (lib/snapset, lib/revive, lib/stack)', async () => {
  const bad = (await edges())
    .filter((e) => CLIENTS.some((dir) => e.from.startsWith(dir)) && DOMAINS.some((dir) => e.to.startsWith(dir)))
    .map((e) => `${e.from} -> ${e.to}`);
  assert.deepEqual(bad, [], 'a client serves the domains above it: move what it needs from them down into the client');
});

test('no module imports another module', async () => {
  const bad = (await edges()).filter((e) => isModule(e.from) && e.to.startsWith('modules/')).map((e) => `${e.from} -> ${e.to}`);
  assert.deepEqual(bad, [], 'what two modules share belongs in lib/ (lib/ansible for the Ansible side)');
});

test('nothing outside test/ imports test/ (no exceptions: the labs live in labs/, shared helpers in lib/ or labs/)', async () => {
  const found = [
    ...(await edges()).filter((e) => !e.from.startsWith('test/') && e.to.startsWith('test/')).map((e) => `${e.from} -> ${e.to}`),
    ...scriptTestImports(),
  ];
  assert.deepEqual(found, [], 'production code, scripts, benches and labs must not import test/: put what both need in lib/ or labs/');
});
