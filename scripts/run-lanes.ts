// npm test's lanes, run side by side (scripts/test-lanes.ts plans them): each lane is node:test runs
// of its files one at a time, its output lines prefixed with the lane's name; a summary per lane at the
// end. Also usable alone, without npm test's bring-up (the labs must be up for integration files):
//   node -e "import('./scripts/run-lanes.ts').then((m) => m.runLanes(process.cwd(), ['test/unit/**/*.test.ts']))"
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { type Lane, planLanes, specTotals } from './test-lanes.ts';

export const NODE_TEST = ['--test', '--test-concurrency=1', '--test-reporter=spec'];
const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(0)} s`;

/** The test files of these globs or paths, each once, in the order given (a glob's matches sorted). */
function expand(root: string, patterns: readonly string[]): string[] {
  const files = patterns.flatMap((p) => (/[*?[{]/.test(p) ? globSync(p, { cwd: root }).sort() : [p]));
  return [...new Set(files.map((f) => f.replace(/^\.\//, '')))];
}

/** Runs the lanes side by side, every line prefixed with its lane; fails when any lane fails. */
export async function runLanes(root: string, patterns: readonly string[], started = Date.now()): Promise<void> {
  const lanes = planLanes(expand(root, patterns), (file) => readFileSync(join(root, file), 'utf8'));
  const t0 = Date.now();
  process.stdout.write(`\n=== tests in ${lanes.length} lane(s) (HOTSTACK_TEST_LANES=1: one at a time):\n`);
  for (const lane of lanes)
    process.stdout.write(
      `=== ${lane.name}: ${lane.runs.map((r) => `${r.afterLab ? 'after the lab lane: ' : ''}${r.files.join(' ')}`).join('; then ')}\n`,
    );
  let labFinished: () => void = () => {};
  const labDone = new Promise<void>((resolve) => {
    labFinished = resolve;
  });
  if (!lanes.some((lane) => lane.name === 'lab')) labFinished();
  const results = await Promise.all(lanes.map((lane) => runLane(root, lane, labDone).finally(() => lane.name === 'lab' && labFinished())));
  process.stdout.write('\n=== lanes:\n');
  for (const r of results) {
    process.stdout.write(
      `=== ${r.name.padEnd(5)} ${r.seconds.toFixed(0).padStart(5)} s, exit ${r.code}, ${r.totals.tests} tests, ${r.totals.pass} passed, ${r.totals.fail} failed\n`,
    );
  }
  process.stdout.write(`=== tests: done in ${elapsed(t0)} (total ${elapsed(started)})\n`);
  const failed = results.filter((r) => r.code !== 0);
  if (failed.length) throw Object.assign(new Error(`lane(s) ${failed.map((r) => r.name).join(', ')} failed`), { status: 1 });
}

async function runLane(root: string, lane: Lane, labDone: Promise<void>) {
  const t0 = Date.now();
  const prefix = `[${lane.name}]`.padEnd(8);
  let output = '';
  let code = 0;
  for (const run of lane.runs) {
    if (run.afterLab) {
      process.stdout.write(`${prefix}=== waiting for the lab lane (these files use the clusterlab too)\n`);
      await labDone;
    }
    const child = execa(process.execPath, [...NODE_TEST, ...run.files], { cwd: root, all: true, reject: false, buffer: false });
    for await (const line of child.iterable({ from: 'all' })) {
      process.stdout.write(`${prefix}${line}\n`);
      output += `${line}\n`;
    }
    const { exitCode } = await child;
    if (exitCode !== 0) code = exitCode ?? 1;
  }
  return { name: lane.name, seconds: (Date.now() - t0) / 1000, code, totals: specTotals(output) };
}
