// npm run collection (also the last step of npm run build): the Ansible collection hotstack.snapset,
// built by the real `ansible-galaxy collection build` from a tree staged under
// build/collection/ansible_collections/hotstack/snapset (where ansible-test sanity runs too):
//   plugins/modules/<module>      a small launcher (collection/launcher.sh) and <module>.yml, its docs
//   plugins/action/<module>.py    the action that caches the executable on the host (collection/plugins/plugin_utils/launch.py)
//   payload/<arch>/hotstack-modules.xz, payload/payloads.json   the executable of each architecture
//       the build made (x86_64: build/hotstack-modules; aarch64: build/linux-arm64/hotstack-modules)
//   playbooks/                    the workflow playbooks, by FQCN (lib/collection/playbooks.ts)
// Output: build/collection/hotstack-snapset-<version>.tar.gz. xz of an executable takes about a
// minute: the compressed payload is kept in build/payload-cache/<sha256>.xz, so a rebuild with an
// unchanged executable reuses it.
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { sidecarYaml } from '../lib/ansible/sidecar.ts';
import { COLLECTION, collectionPlaybook, collectionPlaybookFile, galaxyYml } from '../lib/collection/playbooks.ts';
import { MODULES } from '../modules/registry.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build');
const source = join(root, 'collection');
const log = (message: string) => process.stdout.write(`[collection] ${message}\n`);

/** The executables of each architecture, by the name `uname -m` gives on Linux. */
const EXECUTABLES: Record<string, string> = {
  x86_64: join(buildDir, 'hotstack-modules'),
  aarch64: join(buildDir, 'linux-arm64', 'hotstack-modules'),
};

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** build/payload-cache/<sha256>.xz, made when missing; entries of other executables are removed. */
async function compressed(executable: string, sha256: string, keep: Set<string>): Promise<string> {
  const cacheDir = join(buildDir, 'payload-cache');
  mkdirSync(cacheDir, { recursive: true });
  const target = join(cacheDir, `${sha256}.xz`);
  keep.add(`${sha256}.xz`);
  if (existsSync(target)) return target;
  const t0 = Date.now();
  const partial = `${target}.partial`;
  // -6 (xz's default): -9 saves 1 % of the size (30.1 vs 30.5 MB) for more time and 4 × the memory to unpack.
  await execa('xz', ['-6', '-T2', '-c', executable], { stdout: { file: partial } });
  renameSync(partial, target);
  log(`xz ${executable} → ${target} (${(statSync(target).size / 1e6).toFixed(1)} MB, ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  return target;
}

const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const description = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { description: string }).description;
// The payloads first (minutes when an executable changed), so the old tarball stays usable meanwhile.
const payloads: Record<string, { sha256: string; file: string; size: number; executable_size: number }> = {};
const keep = new Set<string>();
const compressedFiles: Record<string, string> = {};
for (const [arch, executable] of Object.entries(EXECUTABLES)) {
  if (!existsSync(executable)) {
    if (arch === 'x86_64') throw new Error(`${executable} is missing: run node scripts/build.ts first`);
    log(`no ${arch} executable (${executable}): the collection carries x86_64 only`);
    continue;
  }
  const sha256 = await sha256Of(executable);
  const xz = await compressed(executable, sha256, keep);
  const file = `${arch}/hotstack-modules.xz`;
  compressedFiles[file] = xz;
  payloads[arch] = { sha256, file, size: statSync(xz).size, executable_size: statSync(executable).size };
  log(`payload ${arch}: ${(statSync(xz).size / 1e6).toFixed(1)} MB (executable ${sha256.slice(0, 12)}…)`);
}
for (const entry of readdirSync(join(buildDir, 'payload-cache')))
  if (!keep.has(entry)) rmSync(join(buildDir, 'payload-cache', entry), { force: true });
const outDir = join(buildDir, 'collection');
const tree = join(outDir, 'ansible_collections', COLLECTION.namespace, COLLECTION.name);
rmSync(outDir, { recursive: true, force: true });
for (const dir of [
  'plugins/modules',
  'plugins/action',
  'plugins/plugin_utils',
  'payload',
  'playbooks',
  'meta',
  'changelogs/fragments',
  'tests/sanity',
])
  mkdirSync(join(tree, dir), { recursive: true });

writeFileSync(join(tree, 'galaxy.yml'), galaxyYml(version, description));
for (const file of ['README.md', 'meta/runtime.yml', 'plugins/plugin_utils/launch.py', 'changelogs/README.md'])
  writeFileSync(join(tree, file), readFileSync(join(source, file)));
for (const file of readdirSync(join(source, 'changelogs/fragments')))
  writeFileSync(join(tree, 'changelogs/fragments', file), readFileSync(join(source, 'changelogs/fragments', file)));

const launcher = readFileSync(join(source, 'launcher.sh'), 'utf8');
const action = (name: string) =>
  [
    '# -*- coding: utf-8 -*-',
    `# Generated by scripts/collection.ts: the action of ${COLLECTION.namespace}.${COLLECTION.name}.${name}.`,
    '# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)',
    'from __future__ import absolute_import, division, print_function',
    '',
    '__metaclass__ = type',
    '',
    'from ansible_collections.hotstack.snapset.plugins.plugin_utils.launch import ActionModule  # noqa: F401 pylint: disable=unused-import',
    '',
  ].join('\n');
// ansible-test's sanity checks know only Python modules: each module's launcher and action are
// named here with why, generated from the registry so that a new module cannot be left out.
const ignores = Object.keys(MODULES).flatMap((name) => [
  `plugins/action/${name}.py action-plugin-docs # documented by plugins/modules/${name}.yml, the sidecar of a non-Python module (the check only counts .py modules)`,
  `plugins/modules/${name} shebang # a POSIX sh launcher (WANT_JSON) of the module executable, not a Python module`,
]);
writeFileSync(join(tree, 'tests/sanity/ignore-2.14.txt'), `${ignores.join('\n')}\n`);
for (const [name, load] of Object.entries(MODULES)) {
  writeFileSync(join(tree, 'plugins/modules', name), launcher);
  writeFileSync(join(tree, 'plugins/modules', `${name}.yml`), sidecarYaml(await load()));
  writeFileSync(join(tree, 'plugins/action', `${name}.py`), action(name));
}

for (const [file, xz] of Object.entries(compressedFiles)) {
  mkdirSync(dirname(join(tree, 'payload', file)), { recursive: true });
  linkSync(xz, join(tree, 'payload', file));
}
writeFileSync(join(tree, 'payload/payloads.json'), `${JSON.stringify(payloads, null, 2)}\n`);

const playbookFiles = readdirSync(join(root, 'playbooks')).filter((f) => /^[\w-]+\.ya?ml$/.test(f));
for (const file of playbookFiles) {
  const text = readFileSync(join(root, 'playbooks', file), 'utf8');
  writeFileSync(join(tree, 'playbooks', collectionPlaybookFile(file)), collectionPlaybook(text, file, Object.keys(MODULES), playbookFiles));
}

const t0 = Date.now();
await execa('ansible-galaxy', ['collection', 'build', '--force', '--output-path', outDir, tree], {
  env: { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ANSIBLE_NOCOLOR: '1' },
  stdout: 'ignore',
});
const tarball = join(outDir, `${COLLECTION.namespace}-${COLLECTION.name}-${version}.tar.gz`);
log(`${tarball} (${(statSync(tarball).size / 1e6).toFixed(1)} MB, ansible-galaxy collection build ${Date.now() - t0} ms)`);
