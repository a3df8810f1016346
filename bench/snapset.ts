// npm run bench — not a test: measurements printed as ratios against baselines taken in the same run.
//   1. Cold start of the module executable vs. `node -e 0` (same Node 24), and its size.
//   2. hotstack_snapset on devcloud with N = 1, 4, 16 SHUTOFF servers: wall time of one run vs. its
//      slowest image (create → active) plus the start-up; HTTP requests per image.
// Targets (issue 2): wall ≤ 1.1 × (slowest image + start-up); ≤ 4 requests per image on average.
// Needs devcloud up (npm run devcloud:up) and a build (npm run build).
// `npm run bench -- --cold-start` measures only 1. (no devcloud needed); BENCH_BASELINE=<executable>
// measures another build beside this one, interleaved (before/after a change).
// spawnSync, not execa: a synchronous spawn times the child alone, without the event loop's own delays.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, requireBuilt } from '../test/helpers/ansible.ts';
import { bootDeployment, cleanEnv, cleanup, devcloudConnection, devcloudEnv } from '../test/helpers/devcloud.ts';

const sizes = (process.env.BENCH_SIZES ?? '1,4,16').split(',').map(Number);
const executable = requireBuilt('hotstack_snapset');
const dir = mkdtempSync(join(tmpdir(), 'hotstack-bench-'));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const timeMs = (fn: () => void) => {
  const start = performance.now();
  fn();
  return performance.now() - start;
};

// 1. Cold start: an argument error answers right after start-up, without touching the network.
const badArgs = join(dir, 'bad-args');
writeFileSync(badArgs, JSON.stringify({ unknown_option: 1 }));
const runs = Number(process.env.BENCH_RUNS ?? 15);
// Interleaved, so that the machine's load hits every candidate alike. BENCH_BASELINE=<executable>
// adds another build (e.g. the one before a change) to the same run.
const baseline = process.env.BENCH_BASELINE;
const samples = { node: [] as number[], module: [] as number[], baseline: [] as number[] };
for (let i = 0; i < runs; i++) {
  samples.node.push(timeMs(() => execFileSync(process.execPath, ['-e', '0'])));
  samples.module.push(timeMs(() => spawnSync(executable, [badArgs])));
  if (baseline) samples.baseline.push(timeMs(() => spawnSync(baseline, [badArgs])));
}
const nodeMs = median(samples.node);
const moduleMs = median(samples.module);
const sizeMiB = statSync(executable).size / 1048576;
const nodeMiB = statSync(process.execPath).size / 1048576;
console.log('cold start (median of %d)', runs);
console.log(`  node -e 0            ${nodeMs.toFixed(1)} ms`);
console.log(`  hotstack_snapset     ${moduleMs.toFixed(1)} ms   ratio ${(moduleMs / nodeMs).toFixed(2)} × node`);
if (baseline) {
  const baselineMs = median(samples.baseline);
  console.log(`  baseline build       ${baselineMs.toFixed(1)} ms   ratio ${(baselineMs / nodeMs).toFixed(2)} × node   (this build / baseline: ${(moduleMs / baselineMs).toFixed(2)})`);
}
console.log(`  size                 ${sizeMiB.toFixed(1)} MiB   ratio ${(sizeMiB / nodeMiB).toFixed(3)} × the node binary (one executable serves every module)`);

if (process.argv.includes('--cold-start')) process.exit(0);

// 2. Snapshot runs on devcloud.
const conn = devcloudConnection();
console.log('\nhotstack_snapset on devcloud (one run per N)');
console.log('   N   wall s  slowest s  wall/(slowest+start)  requests  req/image');
for (const n of sizes) {
  const roles = Object.fromEntries(Array.from({ length: n }, (_, i) => [i === 0 ? 'controller' : `master${i}`, i === 0 ? 'controller' : 'ocp_master']));
  const deployment = await bootDeployment(conn, roles);
  try {
    const argsFile = join(dir, `args-${n}`);
    writeFileSync(argsFile, JSON.stringify({ cloud: 'devcloud', snapset_data: deployment.snapsetData }));
    const start = performance.now();
    const child = spawnSync(executable, [argsFile], { env: { ...cleanEnv(), ...devcloudEnv() }, encoding: 'utf8', cwd: ROOT });
    const wallS = (performance.now() - start) / 1000;
    const result = JSON.parse(child.stdout) as { failed?: boolean; msg?: string; images?: { seconds_to_active: number }[]; stats: { http_requests: number } };
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
