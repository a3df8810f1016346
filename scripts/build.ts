// npm run build: bundles every module into one script, embeds it with the pinned Node runtime into
// one standalone executable (Node single executable application), and lays out library/ where
// Ansible finds modules: library/<module> (a hard link to that executable) and library/<module>.yml
// (the ansible-doc sidecar); build/hotstack-snapset, the CLI on the same executable.
import { chmodSync, copyFileSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
const t0 = Date.now();
await build({
  entryPoints: [join(root, 'modules/index.ts')],
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  outfile: bundle,
  minify: true,
  legalComments: 'none',
  // Module files run themselves only when started directly (`node modules/x.ts`), never in the bundle.
  define: { 'import.meta.main': 'false' },
  logLevel: 'warning',
});
log(`bundled modules/index.ts → ${bundle} (${(statSync(bundle).size / 1024).toFixed(0)} KiB, ${Date.now() - t0} ms)`);

const seaConfig = join(buildDir, 'sea-config.json');
const blob = join(buildDir, 'sea-prep.blob');
writeFileSync(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
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
