// npm test: everything the test suite needs, then the suite — on a fresh machine as on a used one.
//   1. type check, then the clusterlab's Go build starts in the background (cold: long, see the
//   README; cached: seconds; it needs only Go and the Go module proxy), 2. host packages (ansible-core;
//   QEMU and arm64 libraries, which the build needs), 3. build the module executables and the
//   collection (scripts/collection.ts), 4. the local cloud comes up (devcloud: installs its Debian
//   packages when missing, starts what is not running),
//   5. the clusterlab (real kube-apiserver + etcd + kube-controller-manager) up,
//   6. unit, lint (biome, validate-modules, ansible-lint, yamllint) and integration tests, in three
//   lanes side by side (scripts/test-lanes.ts says which file goes where): local (unit, lint, the
//   integration files that use no lab), lab (the files that use only the clusterlab) and cloud (the
//   rest, one at a time; those that also use the clusterlab once the lab lane is done). Each lane is
//   one node:test run with files one at a time; its lines come prefixed with its name, and a summary
//   per lane ends the run. HOTSTACK_TEST_LANES=1: one node:test run of every file, one at a time (as
//   before the lanes). `npm test -- FILE...` runs those files, in lanes the same way.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExecaError, execa } from 'execa';
import { startLabBuild } from './lab-build.ts';
import { NODE_TEST, runLanes } from './run-lanes.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const started = Date.now();
const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(0)} s`;
const step = async (title: string, command: string, args: string[]) => {
  process.stdout.write(`\n=== ${title}: ${[command, ...args].join(' ')}\n`);
  const t0 = Date.now();
  await execa(command, args, { cwd: root, stdio: 'inherit' });
  process.stdout.write(`=== ${title}: done in ${elapsed(t0)} (total ${elapsed(started)})\n`);
};

let labBuildStop: (() => void) | undefined;
try {
  await step('type check', join(root, 'node_modules/.bin/tsc'), ['-p', '.']);
  // The longest cold step, first: it runs beside host packages, the build and devcloud's bring-up.
  const labBuild = startLabBuild(root);
  labBuildStop = labBuild.stop;
  process.stdout.write(`\n=== clusterlab build (background, log ${labBuild.log}): bash labs/clusterlab/build.sh\n`);
  // Before the build: it makes the arm64 executable under QEMU (qemu-user-static, arm64 libraries).
  await step('host packages', 'bash', ['scripts/ensure-host.sh']);
  await step('build', process.execPath, ['scripts/build.ts']);
  await step('collection', process.execPath, ['scripts/collection.ts']);
  await step('local cloud', 'bash', ['labs/devcloud/up.sh']);
  const t0 = Date.now();
  process.stdout.write('\n=== waiting for the clusterlab build\n');
  const { code, seconds } = await labBuild.done;
  process.stdout.write(`=== clusterlab build: exit ${code} after ${seconds.toFixed(0)} s\n`);
  if (code !== 0) throw new Error(`clusterlab build failed (exit ${code}); read ${labBuild.log}`);
  process.stdout.write(`=== clusterlab build: waited ${elapsed(t0)} after the local cloud was up\n`);
  await step('cluster lab', 'bash', ['labs/clusterlab/lab.sh', 'up']);
  const only = process.argv.slice(2);
  const patterns = only.length ? only : ['test/unit/**/*.test.ts', 'test/lint/**/*.test.ts', 'test/integration/**/*.test.ts'];
  if (process.env.HOTSTACK_TEST_LANES === '1') await step('tests', process.execPath, [...NODE_TEST, ...patterns]);
  else await runLanes(root, patterns, started);
} catch (error) {
  labBuildStop?.();
  const status = error instanceof ExecaError ? error.exitCode : (error as { status?: number }).status;
  process.stderr.write(`\nnpm test failed${status !== undefined ? ` (exit ${status})` : ''}: ${(error as Error).message.split('\n')[0]}\n`);
  process.exit(status || 1);
}
