// npm run build: bundles every module into one script, embeds it with the pinned Node runtime and
// V8's code caches of its start-up into one standalone executable (a Node single executable
// application: scripts/sea-main.ts is its main, scripts/code-cache.ts writes the caches), and lays
// out library/ where Ansible finds modules: library/<module> (a hard link to that executable) and
// library/<module>.yml (the ansible-doc sidecar); build/hotstack-snapset, the CLI on the same
// executable.
import {
  chmodSync,
  copyFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { execa } from 'execa';
import { sidecarYaml } from '../lib/ansible/sidecar.ts';
import { MODULES } from '../modules/registry.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build');
const libraryDir = join(root, 'library');
const executable = join(buildDir, 'hotstack-modules');
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
const cacheAssets: Record<string, string> = {};
const cacheOf: Record<string, string> = {};
for (const [group, modules] of Object.entries(CACHE_GROUPS)) {
  const file = join(buildDir, `code-cache-${group}.bin`);
  rmSync(file, { force: true });
  await execa(process.execPath, [join(root, 'scripts/code-cache.ts'), bundle, file, ...modules], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { NODE_OPTIONS: '' },
  });
  cacheAssets[`code-cache-${group}`] = file;
  for (const name of modules) cacheOf[name] = `code-cache-${group}`;
  log(`code cache of ${modules.join(', ')} → ${file} (${(statSync(file).size / 1024).toFixed(0)} KiB)`);
}
const cacheIndex = join(buildDir, 'code-caches.json');
writeFileSync(cacheIndex, JSON.stringify({ default: 'code-cache-openstack', modules: cacheOf }));

// The executable's main: picks the cache and runs the bundle with it (a few lines, Node built-ins only).
const seaMain = join(buildDir, 'sea-main.cjs');
await build({ ...FOR_NODE, entryPoints: [join(root, 'scripts/sea-main.ts')], outfile: seaMain });

const seaConfig = join(buildDir, 'sea-config.json');
const blob = join(buildDir, 'sea-prep.blob');
writeFileSync(
  seaConfig,
  JSON.stringify({
    main: seaMain,
    output: blob,
    disableExperimentalSEAWarning: true,
    useCodeCache: true,
    assets: { bundle, 'code-caches.json': cacheIndex, ...cacheAssets },
  }),
);
await execa(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: ['ignore', 'ignore', 'inherit'] });

rmSync(executable, { force: true });
copyFileSync(process.execPath, executable);
chmodSync(executable, 0o755);
const require = createRequire(import.meta.url);
const { inject } = require('postject') as {
  inject: (file: string, name: string, data: Buffer, options: Record<string, unknown>) => Promise<void>;
};
await inject(executable, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2' });
log(`executable ${executable} (Node ${process.versions.node} embedded, ${(statSync(executable).size / 1048576).toFixed(1)} MiB)`);

// The embedded Node must accept each cache (same V8, same flags), and pick it for its modules.
const probeDir = mkdtempSync(join(tmpdir(), 'hotstack-build-'));
try {
  for (const [group, modules] of Object.entries(CACHE_GROUPS)) {
    const probe = join(probeDir, 'args.json');
    writeFileSync(probe, JSON.stringify({ _ansible_module_name: modules[0], code_cache_probe: true }));
    const { stderr } = await execa(executable, [probe], { reject: false, env: { HOTSTACK_CODE_CACHE_REPORT: '1', NODE_OPTIONS: '' } });
    if (!stderr.includes(`code cache code-cache-${group} accepted`))
      throw new Error(`${modules[0]}: the executable did not use its code cache: ${stderr}`);
  }
} finally {
  rmSync(probeDir, { recursive: true, force: true });
}
log('the executable accepts its code caches');

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
