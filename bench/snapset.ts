// npm run bench — not a test: measurements printed as ratios against baselines taken in the same run.
//   1. Cold start of the module executable vs. `node -e 0` (same Node 24), and its size.
//   2. hotstack_snapset on devcloud with N = 1, 4, 16 SHUTOFF servers: wall time of one run vs. its
//      slowest image (create → active) plus the start-up; HTTP requests per image.
// Targets (issue 2): wall ≤ 1.1 × (slowest image + start-up); ≤ 4 requests per image on average.
// Needs devcloud up (npm run devcloud:up) and a build (npm run build).
// `npm run bench -- --cold-start` measures only 1. (no devcloud needed); BENCH_BASELINE=<executable>
// measures another build beside this one, interleaved (before/after a change); BENCH_MODULE=<name>
// starts another module than hotstack_snapset in 1. (e.g. hotstack_revive, with its own code cache).
// spawnSync, not execa: a synchronous spawn times the child alone, without the event loop's own delays.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bootDeployment, cleanEnv, cleanup, devcloudConnection, devcloudEnv } from '../labs/devcloud/devcloud.ts';
import { ROOT, requireBuilt } from '../labs/repo.ts';

const sizes = (process.env.BENCH_SIZES ?? '1,4,16').split(',').map(Number);
const executable = requireBuilt('hotstack_snapset');
const startModule = process.env.BENCH_MODULE ?? 'hotstack_snapset';
const startExecutable = requireBuilt(startModule);
const dir = mkdtempSync(join(tmpdir(), 'hotstack-bench-'));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const timeMs = (fn: () => void) => {
  const start = performance.now();
  fn();
  return performance.now() - start;
};

// 1. Cold start: an argument error answers right after start-up, without touching the network.
const badArgs = join(dir, 'bad-args');
writeFileSync(badArgs, JSON.stringify({ _ansible_module_name: startModule, unknown_option: 1 }));
const runs = Number(process.env.BENCH_RUNS ?? 15);

/**
 * Wall time of one start, and its CPU time (user + system, from bash's `times` for its child, ms
 * precision): on a loaded machine the wall time mostly measures the wait for a core, the CPU time
 * what the start-up itself costs.
 */
function coldStart(command: string, args: string[]): { wallMs: number; cpuMs: number } {
  let out = '';
  const wallMs = timeMs(() => {
    out = spawnSync('bash', ['-c', '"$@" >/dev/null 2>&1; times', 'bench', command, ...args], { encoding: 'utf8' }).stdout;
  });
  // `times` prints the shell's own times, then its children's: "0m0.213s 0m0.046s".
  const children = out.trim().split('\n')[1] ?? '';
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { wallMs, cpuMs: seconds.reduce((sum, value) => sum + value, 0) * 1000 };
}

// Interleaved, so that the machine's load hits every candidate alike. BENCH_BASELINE=<executable>
// adds another build (e.g. the one before a change) to the same run.
const baseline = process.env.BENCH_BASELINE;
const candidates: [string, string, string[]][] = [
  ['node -e 0', process.execPath, ['-e', '0']],
  [startModule, startExecutable, [badArgs]],
  ...(baseline ? [['baseline build', baseline, [badArgs]] as [string, string, string[]]] : []),
];
const samples = new Map(candidates.map(([label]) => [label, { wall: [] as number[], cpu: [] as number[] }]));
for (let i = 0; i < runs; i++) {
  for (const [label, command, args] of candidates) {
    const { wallMs, cpuMs } = coldStart(command, args);
    samples.get(label)!.wall.push(wallMs);
    samples.get(label)!.cpu.push(cpuMs);
  }
}
const wallOf = (label: string) => median(samples.get(label)!.wall);
const cpuOf = (label: string) => median(samples.get(label)!.cpu);
const moduleMs = wallOf(startModule);
console.log('cold start (median of %d; wall time, and CPU time user+sys)', runs);
for (const [label] of candidates) {
  const vsNode = `${(wallOf(label) / wallOf('node -e 0')).toFixed(2)} × node wall, ${(cpuOf(label) / cpuOf('node -e 0')).toFixed(2)} × node CPU`;
  console.log(
    `  ${label.padEnd(18)} ${wallOf(label).toFixed(1).padStart(7)} ms wall  ${cpuOf(label).toFixed(0).padStart(5)} ms CPU   ${vsNode}`,
  );
}
if (baseline) {
  console.log(
    `  this build / baseline: ${(moduleMs / wallOf('baseline build')).toFixed(2)} wall, ${(cpuOf(startModule) / cpuOf('baseline build')).toFixed(2)} CPU`,
  );
}
const sizeMiB = statSync(executable).size / 1048576;
const nodeMiB = statSync(process.execPath).size / 1048576;
console.log(`  size ${sizeMiB.toFixed(1)} MiB, ${(sizeMiB / nodeMiB).toFixed(3)} × the node binary (one executable serves every module)`);

if (process.argv.includes('--cold-start')) process.exit(0);

// 2. Snapshot runs on devcloud.
const conn = devcloudConnection();
console.log('\nhotstack_snapset on devcloud (one run per N)');
console.log('   N   wall s  slowest s  wall/(slowest+start)  requests  req/image');
for (const n of sizes) {
  const roles = Object.fromEntries(
    Array.from({ length: n }, (_, i) => [i === 0 ? 'controller' : `master${i}`, i === 0 ? 'controller' : 'ocp_master']),
  );
  const deployment = await bootDeployment(conn, roles);
  try {
    const argsFile = join(dir, `args-${n}`);
    writeFileSync(argsFile, JSON.stringify({ cloud: 'devcloud', snapset_data: deployment.snapsetData }));
    const start = performance.now();
    const child = spawnSync(executable, [argsFile], { env: { ...cleanEnv(), ...devcloudEnv() }, encoding: 'utf8', cwd: ROOT });
    const wallS = (performance.now() - start) / 1000;
    const result = JSON.parse(child.stdout) as {
      failed?: boolean;
      msg?: string;
      images?: { seconds_to_active: number }[];
      stats: { http_requests: number };
    };
    if (result.failed) throw new Error(`N=${n}: ${result.msg}`);
    const slowest = Math.max(...result.images!.map((image) => image.seconds_to_active));
    const ratio = wallS / (slowest + moduleMs / 1000);
    console.log(
      `${String(n).padStart(4)}  ${wallS.toFixed(2).padStart(7)}  ${slowest.toFixed(2).padStart(9)}  ${ratio.toFixed(2).padStart(20)}  ${String(result.stats.http_requests).padStart(8)}  ${(result.stats.http_requests / n).toFixed(2).padStart(9)}`,
    );
  } finally {
    await cleanup(conn, deployment);
  }
}
