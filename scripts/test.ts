// npm test: everything the test suite needs, then the suite — on a fresh machine as on a used one.
//   1. type check, 2. build the module executables, 3. host packages (ansible-core) and the local
//   cloud (devcloud: installs its Debian packages when missing, starts what is not running),
//   4. unit, lint (biome, validate-modules, ansible-lint, yamllint) and integration tests in one
//   node:test run (files one at a time: they share the cloud).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, ExecaError } from 'execa';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = async (title: string, command: string, args: string[]) => {
  process.stdout.write(`\n=== ${title}: ${[command, ...args].join(' ')}\n`);
  await execa(command, args, { cwd: root, stdio: 'inherit' });
};

try {
  await step('type check', join(root, 'node_modules/.bin/tsc'), ['-p', '.']);
  await step('build', process.execPath, ['scripts/build.ts']);
  await step('host packages', 'bash', ['scripts/ensure-host.sh']);
  await step('local cloud', 'bash', ['devcloud/up.sh']);
  const only = process.argv.slice(2);
  await step('tests', process.execPath, [
    '--test', '--test-concurrency=1', '--test-reporter=spec',
    ...(only.length ? only : ['test/unit/**/*.test.ts', 'test/lint/**/*.test.ts', 'test/integration/**/*.test.ts']),
  ]);
} catch (error) {
  const status = error instanceof ExecaError ? error.exitCode : undefined;
  process.stderr.write(`\nnpm test failed${status !== undefined ? ` (exit ${status})` : ''}\n`);
  process.exit(status || 1);
}
