// npm run build: bundles every module into one script, embeds it with the pinned Node runtime and
// V8's code caches of its start-up into one standalone executable (a Node single executable
// application: scripts/sea-main.ts is its main, scripts/code-cache.ts writes the caches,
// scripts/sea-executable.ts puts them together), and lays out library/ where Ansible finds modules:
// library/<module> (a hard link to that executable) and library/<module>.yml (the ansible-doc
// sidecar); build/hotstack-snapset, the CLI on the same executable. Then the same executable for
// arm64, build/linux-arm64/hotstack-modules, from Node's arm64 build (scripts/node-for-arch.ts)
// run under QEMU (scripts/targets.ts).
import { linkSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { sidecarYaml } from '../lib/ansible/sidecar.ts';
import { MODULES } from '../modules/registry.ts';
import { nodeForArch } from './node-for-arch.ts';
import { makeExecutable } from './sea-executable.ts';
import { buildTargets, type Target } from './targets.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build');
const libraryDir = join(root, 'library');
const log = (message: string) => process.stdout.write(`[build] ${message}\n`);

const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  throw new Error(`build with the pinned Node 24 (npm run build uses node_modules/.bin/node); this is Node ${process.versions.node}`);
}

mkdirSync(buildDir, { recursive: true });
const bundle = join(buildDir, 'hotstack-modules.cjs');
// Both scripts of the executable: CommonJS for the pinned Node, its built-ins left to it.
const FOR_NODE = { bundle: true, platform: 'node', target: 'node24', format: 'cjs', logLevel: 'warning' } as const;
const t0 = Date.now();
await build({
  ...FOR_NODE,
  entryPoints: [join(root, 'modules/index.ts')],
  outfile: bundle,
  minify: true,
  legalComments: 'none',
  // Module files run themselves only when started directly (`node modules/x.ts`), never in the bundle.
  define: { 'import.meta.main': 'false' },
  // A CommonJS wrapper, as Node's loader would add: scripts/sea-main.ts compiles the text with its
  // code cache and calls the function it evaluates to.
  banner: { js: '(function (exports, require, module, __filename, __dirname) {' },
  footer: { js: '})' },
});
log(`bundled modules/index.ts → ${bundle} (${(statSync(bundle).size / 1024).toFixed(0)} KiB, ${Date.now() - t0} ms)`);

// V8's code caches of the bundle, each written after the start-up of a group of modules ran once
// (scripts/code-cache.ts). V8 reads a whole cache at every start, and the Kubernetes client's
// compiled code is twice the rest: so the cluster modules have a cache of their own, and the
// OpenStack modules' start does not read it. scripts/sea-main.ts picks the cache by module name
// (code-caches.json); any cache is valid for the bundle, a wrong pick only costs compile time.
const CLUSTER_MODULES = ['hotstack_prepare', 'hotstack_revive'];
const unknownCluster = CLUSTER_MODULES.filter((name) => !(name in MODULES));
if (unknownCluster.length > 0) throw new Error(`CLUSTER_MODULES names no module: ${unknownCluster.join(', ')}`);
const CACHE_GROUPS: Record<string, string[]> = {
  openstack: Object.keys(MODULES).filter((name) => !CLUSTER_MODULES.includes(name)),
  cluster: CLUSTER_MODULES,
};
const [host, ...others] = buildTargets(process.arch);
const seaMain = join(buildDir, 'sea-main.cjs');
// The executable's main: picks the cache and runs the bundle with it (a few lines, Node built-ins only).
await build({ ...FOR_NODE, entryPoints: [join(root, 'scripts/sea-main.ts')], outfile: seaMain });
const executableOf = async (target: Target) =>
  makeExecutable({
    root,
    buildDir,
    target,
    node: await nodeForArch(target.arch, process.versions.node, log),
    bundle,
    seaMain,
    cacheGroups: CACHE_GROUPS,
    log,
  });
const executable = await executableOf(host!);

// The human CLI is the same executable under another name.
const cli = join(buildDir, 'hotstack-snapset');
rmSync(cli, { force: true });
linkSync(executable, cli);
log(`${cli} (the CLI: list, show, verify, delete, prune)`);

// library/ holds only what this build makes: stale modules of an earlier build must not linger.
mkdirSync(libraryDir, { recursive: true });
for (const entry of readdirSync(libraryDir)) rmSync(join(libraryDir, entry), { force: true });
for (const [name, load] of Object.entries(MODULES)) {
  const definition = await load();
  linkSync(executable, join(libraryDir, name));
  writeFileSync(join(libraryDir, `${name}.yml`), sidecarYaml(definition));
  log(`library/${name} and library/${name}.yml`);
}

// The same executable for the other architectures (arm64: build/linux-arm64/hotstack-modules), each
// made by its own Node under QEMU; not linked into library/, which serves this host.
for (const target of others) {
  const t0 = Date.now();
  await executableOf(target);
  log(`${target.arch} done in ${Date.now() - t0} ms`);
}
