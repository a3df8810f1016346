// The CLI's arguments: a snap_id that starts with '-' (urlsafe base64: one set in 32) is an operand, not an option;
// the command line read, the scope flags (the modules' scope options), and the delete/prune policy.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cliPrunePolicy, listLimit, readCommandLine, runCli, scopeOfFlags, snapIdsAsOperands, UsageError } from '../../../cli/snapset.ts';
import { SNAPSET_SCOPE_FLAGS, SNAPSET_SCOPE_OPTIONS, scopeOf } from '../../../lib/ansible/snapset-scope.ts';
import { HotstackError } from '../../../lib/errors.ts';

test("a snap_id starting with '-' goes behind --, in order; option values and known options stay", () => {
  assert.deepEqual(snapIdsAsOperands(['verify', '-M8u_k-Y', '--template', 't.yaml']), ['verify', '--template', 't.yaml', '--', '-M8u_k-Y']);
  assert.deepEqual(snapIdsAsOperands(['delete', 'AbCd1234', '--x_k-Y1', '-M8u_k-Y', '--dry-run']), [
    'delete',
    'AbCd1234',
    '--dry-run',
    '--',
    '--x_k-Y1',
    '-M8u_k-Y',
  ]);
  assert.deepEqual(snapIdsAsOperands(['list', '--prefix', '-abc123', '--json']), ['list', '--prefix', '-abc123', '--json']);
  assert.deepEqual(snapIdsAsOperands(['prune', '--prefix', 'p', '--orphans']), ['prune', '--prefix', 'p', '--orphans']);
  assert.deepEqual(snapIdsAsOperands(['show', '--', '-M8u_k-Y']), ['show', '--', '-M8u_k-Y']);
});

/** What the command line says to print instead of running a command. */
function said(args: string[]): { exit: number; out?: string; error?: string } {
  const line = readCommandLine(args);
  assert.ok('exit' in line, `${args.join(' ')} runs a command`);
  return line;
}

test('the command line: help and usage mistakes say what to print and the exit code; a command comes with its operands and flags', () => {
  assert.deepEqual(readCommandLine(['help']), { exit: 0, out: said(['--help']).out! });
  assert.equal(said([]).exit, 2);
  assert.match(String(said(['frobnicate']).error), /^unknown command frobnicate\n\nusage:/);
  assert.match(String(said(['list', '--bogus']).error), /--bogus/);
  const line = readCommandLine(['delete', 'AbCd1234', '-M8u_k-Y', '--dry-run']);
  assert.ok('command' in line);
  assert.equal(line.command, 'delete');
  assert.deepEqual(line.operands, ['AbCd1234', '-M8u_k-Y']);
  assert.equal(line.flags['dry-run'], true);
});

test("the scope flags are the modules' scope options: same fields, same words in the usage, one Scope", () => {
  const usage = said(['help']).out!;
  for (const { flag, option, doc } of SNAPSET_SCOPE_FLAGS) {
    assert.ok(usage.includes(`--${flag} `) && usage.includes(doc), `--${flag} is in the usage with its doc`);
    const description = [SNAPSET_SCOPE_OPTIONS[option].description].flat().join(' ');
    assert.ok(description.includes(doc), `${option} says the same as --${flag}`);
  }
  assert.deepEqual(scopeOfFlags({ prefix: 'sno-', instances: 'controller=controller,master0=ocp_master' }), {
    namePrefix: 'sno-',
    topology: { controller: 'controller', master0: 'ocp_master' },
  });
  assert.deepEqual(scopeOfFlags({}), {});
  assert.deepEqual(scopeOf({ name_prefix: null, instances: null }), {}, 'null is not given');
  assert.throws(
    () => scopeOfFlags({ instances: '=ocp_master' }),
    (e: Error) => e instanceof HotstackError && /^--instances: /.test(e.message),
  );
});

test('delete needs SNAP_IDs; prune needs a scope (or --all) and a rule; each mistake is a UsageError before any cloud is read', () => {
  const flags = (args: string[]) => {
    const line = readCommandLine(['prune', ...args]);
    assert.ok('flags' in line);
    return line.flags;
  };
  assert.deepEqual(cliPrunePolicy('delete', ['AbCd1234'], flags([]), {}), { scope: {}, snapIds: ['AbCd1234'] });
  const policy = cliPrunePolicy('prune', [], flags(['--prefix', 'sno-', '--keep', '2']), { namePrefix: 'sno-' });
  assert.deepEqual(policy, { scope: { namePrefix: 'sno-' }, keep: 2, orphans: false, orphanGraceSeconds: 3600 });
  for (const [command, operands, args, expected] of [
    ['delete', [], [], /delete needs at least one SNAP_ID/],
    ['prune', [], ['--keep', '2'], /prune needs a scope/],
    ['prune', [], ['--all'], /prune needs --older-than, --keep or --orphans/],
    ['prune', [], ['--all', '--keep', 'two'], /--keep two: not a count/],
  ] as const) {
    assert.throws(
      () => cliPrunePolicy(command, [...operands], flags([...args]), {}),
      (e: Error) => e instanceof UsageError && expected.test(e.message),
    );
  }
});

test('runCli: a usage mistake exits 2 with the usage on stderr, before any cloud is read', async () => {
  const err: string[] = [];
  const io = { out: () => {}, err: (text: string) => err.push(text), isTTY: false, env: {} };
  assert.equal(await runCli(['prune', '--orphans'], io), 2);
  assert.match(err.join(''), /^hotstack-snapset: prune needs a scope: --prefix, --instances or --all\n\nusage:/);
});

test('list --limit: a count of 1 or more, else a usage error naming it; absent: every set', () => {
  assert.equal(listLimit({}), undefined);
  assert.equal(listLimit({ limit: '20' }), 20);
  for (const bad of ['0', '-3', 'ten', '2.5', ''])
    assert.throws(
      () => listLimit({ limit: bad }),
      (error: unknown) => error instanceof UsageError && error.message.includes(`--limit ${bad}:`),
    );
  const line = readCommandLine(['list', '--limit', '20', '--prefix', 'ci-']);
  assert.ok('flags' in line && line.flags.limit === '20' && line.flags.prefix === 'ci-');
});
