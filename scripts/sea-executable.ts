// One target's standalone executable (scripts/build.ts runs this per architecture): V8 code caches
// of the bundle written by that target's Node after running each group's start-up once
// (scripts/code-cache.ts), the SEA blob prepared by that same Node (its own code cache of the main
// script inside), the blob injected into a copy of that Node, and a check that the result accepts
// its caches. Another architecture's Node runs under the target's emulator (QEMU): V8 accepts a
// cache only from its own build and flags, so every cache comes from the Node that reads it.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type Options } from 'execa';
import type { Target } from './targets.ts';

export interface ExecutableInputs {
  root: string;
  buildDir: string;
  target: Target;
  /** The Node binary of the target's architecture (scripts/node-for-arch.ts). */
  node: string;
  /** The wrapped module bundle and the executable's main script (esbuild outputs, in buildDir). */
  bundle: string;
  seaMain: string;
  /** Code cache group name → the modules whose start-up writes it (the first one is the build's probe). */
  cacheGroups: Record<string, string[]>;
  log: (message: string) => void;
}

const SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const STAMP = 'inputs.sha256';

/** Makes <buildDir>/<target.dir>/hotstack-modules and returns its path. */
export async function makeExecutable(inputs: ExecutableInputs): Promise<string> {
  const { root, target, node, bundle, seaMain, cacheGroups, log } = inputs;
  const dir = join(inputs.buildDir, target.dir);
  const executable = join(dir, 'hotstack-modules');
  // An ELF file of the target run on this host: directly, or as the emulator's argument.
  const run = (file: string, args: string[], options: Options = {}) => {
    const [command, ...prefix] = [...target.emulator, file];
    return execa(command!, [...prefix, ...args], options);
  };
  mkdirSync(dir, { recursive: true });

  // Rebuilt only when what goes into it changed: an emulated target takes tens of seconds, and an
  // executable is not byte-reproducible (its V8 code caches differ run to run), so an unchanged one
  // also keeps the collection's compressed payload (build/payload-cache, scripts/collection.ts) valid.
  const stamp = join(dir, STAMP);
  const key = inputsKey(inputs);
  if (key && existsSync(executable) && existsSync(stamp) && readFileSync(stamp, 'utf8') === `${key} ${fileSha256(executable)}\n`) {
    log(`${target.arch}: ${executable} is up to date (same Node, bundle and build scripts)`);
    return executable;
  }
  rmSync(stamp, { force: true });
  const absent = target.emulatorFiles.filter((file) => !existsSync(file));
  if (absent.length > 0)
    throw new Error(
      `the ${target.arch} executable is made by Node's ${target.arch} build under QEMU, and ${absent.join(', ')} ${absent.length > 1 ? 'are' : 'is'} missing: ` +
        'run scripts/ensure-host.sh as root (Debian packages qemu-user-static, libc6-arm64-cross, libstdc++6-arm64-cross)',
    );

  const cacheAssets: Record<string, string> = {};
  const cacheOf: Record<string, string> = {};
  // The groups at once: under QEMU each takes seconds of one core.
  await Promise.all(
    Object.entries(cacheGroups).map(async ([group, modules]) => {
      const file = join(dir, `code-cache-${group}.bin`);
      rmSync(file, { force: true });
      const t0 = Date.now();
      await run(node, [join(root, 'scripts/code-cache.ts'), bundle, file, ...modules], {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { NODE_OPTIONS: '' },
      });
      log(
        `${target.arch}: code cache of ${modules.join(', ')} → ${file} (${(statSync(file).size / 1024).toFixed(0)} KiB, ${Date.now() - t0} ms)`,
      );
    }),
  );
  for (const [group, modules] of Object.entries(cacheGroups)) {
    cacheAssets[`code-cache-${group}`] = join(dir, `code-cache-${group}.bin`);
    for (const name of modules) cacheOf[name] = `code-cache-${group}`;
  }
  const cacheIndex = join(dir, 'code-caches.json');
  writeFileSync(cacheIndex, JSON.stringify({ default: `code-cache-${Object.keys(cacheGroups)[0]}`, modules: cacheOf }));

  const seaConfig = join(dir, 'sea-config.json');
  const blob = join(dir, 'sea-prep.blob');
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
  await run(node, ['--experimental-sea-config', seaConfig], { stdio: ['ignore', 'ignore', 'inherit'] });

  rmSync(executable, { force: true });
  copyFileSync(node, executable);
  chmodSync(executable, 0o755);
  const require = createRequire(import.meta.url);
  const { inject } = require('postject') as {
    inject: (file: string, name: string, data: Buffer, options: Record<string, unknown>) => Promise<void>;
  };
  await inject(executable, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SENTINEL_FUSE });
  log(
    `${target.arch}: executable ${executable} (Node ${process.versions.node} embedded, ${(statSync(executable).size / 1048576).toFixed(1)} MiB)`,
  );

  // The embedded Node must accept each cache (same V8, same flags), and pick it for its modules.
  const probeDir = mkdtempSync(join(tmpdir(), 'hotstack-build-'));
  try {
    await Promise.all(
      Object.entries(cacheGroups).map(async ([group, modules]) => {
        const probe = join(probeDir, `${group}.json`);
        writeFileSync(probe, JSON.stringify({ _ansible_module_name: modules[0], code_cache_probe: true }));
        const { stderr } = await run(executable, [probe], { reject: false, env: { HOTSTACK_CODE_CACHE_REPORT: '1', NODE_OPTIONS: '' } });
        if (!String(stderr).includes(`code cache code-cache-${group} accepted`))
          throw new Error(`${target.arch} ${modules[0]}: the executable did not use its code cache: ${stderr}`);
      }),
    );
  } finally {
    rmSync(probeDir, { recursive: true, force: true });
  }
  log(`${target.arch}: the executable accepts its code caches`);
  if (key) writeFileSync(stamp, `${key} ${fileSha256(executable)}\n`);
  return executable;
}

function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Everything an executable is made from: the Node, the two scripts, the groups, and the scripts that make it. */
function inputsKey({ root, target, node, bundle, seaMain, cacheGroups }: ExecutableInputs): string {
  // The Node by its path and version: scripts/node-for-arch.ts keys another architecture's by version
  // and checked its integrity; this host's is the pinned Node running the build.
  const hash = createHash('sha256').update(
    JSON.stringify({ arch: target.arch, emulator: target.emulator, node, version: process.versions.node, cacheGroups }),
  );
  for (const file of [bundle, seaMain, join(root, 'scripts/code-cache.ts'), join(root, 'scripts/sea-executable.ts')])
    hash.update(readFileSync(file));
  return hash.digest('hex');
}
