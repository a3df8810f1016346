// The binary-module protocol: validation, check mode, failures, warnings and masking of one run,
// then the process entry (one JSON line on stdout, the exit code, the choice of module) end to end.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { execa, execaSync } from 'execa';
import {
  executeModule,
  type ModuleContext,
  type ModuleDefinition,
  ModuleFailure,
  type ModuleResult,
  readArgsFile,
} from '../../../lib/ansible/module.ts';
import type { ArgsOf, Options } from '../../../lib/ansible/options.ts';
import { AbortedError, HotstackError } from '../../../lib/errors.ts';

const NODE = process.execPath;
const MODULE_TS = new URL('../../../lib/ansible/module.ts', import.meta.url).href;

const FAKE_OPTIONS = {
  name: { type: 'str', description: 'Name.', required: true },
  count: { type: 'int', description: 'Count.', default: 2 },
  wait: { type: 'bool', description: 'Wait.', default: false },
  password: { type: 'str', description: 'Secret.', no_log: true },
} as const satisfies Options;
// Loose on purpose: tests swap the options (typed arguments are tested in options.test.ts).
type FakeOptions = Options;
type FakeArgs = ArgsOf<FakeOptions>;

/** A module whose run() is given by the test; records the calls it gets. */
function fakeModule(
  run: (args: FakeArgs, ctx: ModuleContext) => Promise<ModuleResult>,
  overrides: Partial<ModuleDefinition<FakeOptions>> = {},
): ModuleDefinition<FakeOptions> & { calls: { args: FakeArgs; ctx: ModuleContext }[] } {
  const calls: { args: FakeArgs; ctx: ModuleContext }[] = [];
  return {
    name: 'fake',
    shortDescription: 'A fake module',
    description: ['For tests.'],
    options: FAKE_OPTIONS,
    checkMode: 'full',
    examples: '',
    returns: {},
    ...overrides,
    calls,
    async run(args, ctx) {
      calls.push({ args, ctx });
      return run(args, ctx);
    },
  };
}

const quiet = () => {};
const ok = async (): Promise<ModuleResult> => ({ msg: 'done' });

// ------------------------------------------------------------------------------------------------
// Arguments

test("unknown options fail with Ansible's wording and the list of supported options", async () => {
  const module = fakeModule(ok);
  const result = await executeModule(module, { name: 'x', zeta: 1, bogus: true }, quiet);
  assert.equal(result.failed, true);
  assert.equal(result.changed, false);
  assert.equal(module.calls.length, 0, 'run() must not be called');
  assert.equal(
    result.msg,
    'Unsupported parameters for (fake) module: bogus, zeta. Supported parameters include: count, name, password, wait.',
  );
});

test('a missing required option fails and names it', async () => {
  const module = fakeModule(ok);
  const result = await executeModule(module, { count: 1 }, quiet);
  assert.equal(result.failed, true);
  assert.equal(module.calls.length, 0);
  assert.match(String(result.msg), /missing required arguments: name/);
});

test('a mistyped option fails and names the option', async () => {
  const result = await executeModule(fakeModule(ok), { name: 'x', count: 'many' }, quiet);
  assert.equal(result.failed, true);
  assert.match(String(result.msg), /count/);
});

test('Ansible-style strings are converted and defaults applied before run()', async () => {
  const module = fakeModule(ok);
  const result = await executeModule(module, { name: 'x', count: '1200', wait: 'yes' }, quiet);
  assert.equal(result.failed, undefined);
  assert.deepEqual(module.calls[0]?.args, { name: 'x', count: 1200, wait: true });
  const defaults = fakeModule(ok);
  await executeModule(defaults, { name: 'y' }, quiet);
  assert.deepEqual(defaults.calls[0]?.args, { name: 'y', count: 2, wait: false });
});

test('_ansible_* keys, known and future ones, are accepted and stripped from the arguments', async () => {
  const module = fakeModule(ok);
  const result = await executeModule(
    module,
    {
      name: 'x',
      _ansible_check_mode: false,
      _ansible_no_log: false,
      _ansible_debug: false,
      _ansible_diff: true,
      _ansible_verbosity: 2,
      _ansible_version: '2.18.0',
      _ansible_module_name: 'fake',
      _ansible_remote_tmp: '~/.ansible/tmp',
      _ansible_tracebacks_for: [],
      _ansible_some_future_key: { anything: 1 },
    },
    quiet,
  );
  assert.equal(result.failed, undefined, String(result.msg));
  const call = module.calls[0];
  assert.ok(call);
  assert.deepEqual(Object.keys(call.args).sort(), ['count', 'name', 'wait']);
  assert.equal(call.ctx.diff, true);
  assert.equal(call.ctx.verbosity, 2);
  assert.equal(call.ctx.checkMode, false);
  const invocation = result.invocation as { module_args: Record<string, unknown> };
  assert.ok(!Object.keys(invocation.module_args).some((key) => key.startsWith('_ansible_')));
});

test('invocation.module_args shows the validated arguments with defaults and no_log values hidden', async () => {
  const result = await executeModule(fakeModule(ok), { name: 'x', count: '3', password: 'my-password' }, quiet);
  assert.deepEqual(result.invocation, {
    module_args: { name: 'x', count: 3, wait: false, password: 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' },
  });
});

test('invocation.module_args is present on a validation failure too, without secrets', async () => {
  const result = await executeModule(fakeModule(ok), { name: 'x', password: 'my-password', bogus: 1 }, quiet);
  assert.equal(result.failed, true);
  const invocation = result.invocation as { module_args: Record<string, unknown> };
  assert.equal(invocation.module_args.name, 'x');
  assert.equal(invocation.module_args.password, 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER');
  assert.ok(!JSON.stringify(result).includes('my-password'));
});

// ------------------------------------------------------------------------------------------------
// Check mode

test('check mode with a module that does not support it is skipped without running', async () => {
  const module = fakeModule(ok, { checkMode: 'none' });
  const result = await executeModule(module, { name: 'x', _ansible_check_mode: true }, quiet);
  assert.equal(module.calls.length, 0);
  assert.equal(result.skipped, true);
  assert.equal(result.changed, false);
  assert.equal(result.failed, undefined);
  assert.equal(result.msg, 'remote module (fake) does not support check mode');
});

test('check mode reaches run() of a module that supports it; without check mode a checkMode none module runs', async () => {
  const full = fakeModule(ok, { checkMode: 'full' });
  const result = await executeModule(full, { name: 'x', _ansible_check_mode: true }, quiet);
  assert.equal(result.skipped, undefined);
  assert.equal(full.calls[0]?.ctx.checkMode, true);
  const none = fakeModule(ok, { checkMode: 'none' });
  await executeModule(none, { name: 'x', _ansible_check_mode: false }, quiet);
  assert.equal(none.calls.length, 1);
  assert.equal(none.calls[0]?.ctx.checkMode, false);
});

// ------------------------------------------------------------------------------------------------
// Results and failures

test('the result of run() is returned with changed defaulting to false', async () => {
  const unchanged = await executeModule(
    fakeModule(async () => ({ msg: 'same', data: { a: 1 } })),
    { name: 'x' },
    quiet,
  );
  assert.equal(unchanged.changed, false);
  assert.equal(unchanged.msg, 'same');
  assert.deepEqual(unchanged.data, { a: 1 });
  const changed = await executeModule(
    fakeModule(async () => ({ changed: true })),
    { name: 'x' },
    quiet,
  );
  assert.equal(changed.changed, true);
});

test('a ModuleFailure becomes failed: true with its message and details', async () => {
  const module = fakeModule(async () => {
    throw new ModuleFailure('the server is not stopped', { instance: 'controller', status: 409 });
  });
  const result = await executeModule(module, { name: 'x' }, quiet);
  assert.equal(result.failed, true);
  assert.equal(result.changed, false);
  assert.equal(result.msg, 'the server is not stopped');
  assert.equal(result.instance, 'controller');
  assert.equal(result.status, 409);
  assert.equal(result.exception, undefined);
  const changed = await executeModule(
    fakeModule(async () => {
      throw new ModuleFailure('half done', { changed: true });
    }),
    { name: 'x' },
    quiet,
  );
  assert.equal(changed.changed, true);
  assert.equal(changed.failed, true);
});

test('an unexpected Error fails with its plain message and no traceback below -vvv', async () => {
  const boom = fakeModule(async () => {
    throw new TypeError('cannot read properties of undefined');
  });
  for (const verbosity of [undefined, 0, 2]) {
    const raw: Record<string, unknown> = { name: 'x' };
    if (verbosity !== undefined) raw._ansible_verbosity = verbosity;
    const result = await executeModule(boom, raw, quiet);
    assert.equal(result.failed, true);
    assert.equal(result.msg, 'cannot read properties of undefined');
    assert.ok(!('exception' in result), `no exception at verbosity ${verbosity}`);
    assert.ok(!JSON.stringify(result).includes('    at '), 'no stack anywhere');
  }
});

test('at verbosity 3 and up an unexpected Error carries its stack in `exception`', async () => {
  const boom = fakeModule(async () => {
    throw new Error('kaboom');
  });
  for (const verbosity of [3, 4]) {
    const result = await executeModule(boom, { name: 'x', _ansible_verbosity: verbosity }, quiet);
    assert.equal(result.failed, true);
    assert.equal(result.msg, 'kaboom');
    assert.equal(typeof result.exception, 'string');
    assert.match(String(result.exception), /kaboom/);
    assert.match(String(result.exception), /\n\s+at /);
  }
});

test('a thrown non-Error and an Error without message still give a failure message', async () => {
  const text = await executeModule(
    fakeModule(async () => Promise.reject('plain string')),
    { name: 'x' },
    quiet,
  );
  assert.equal(text.failed, true);
  assert.equal(text.msg, 'plain string');
  const empty = await executeModule(
    fakeModule(async () => Promise.reject(new Error(''))),
    { name: 'x' },
    quiet,
  );
  assert.equal(empty.failed, true);
  assert.ok(typeof empty.msg === 'string' && empty.msg.length > 0);
});

test("warnings from ctx.warn are collected after the module's own, on success and on failure", async () => {
  const success = await executeModule(
    fakeModule(async (_args, ctx) => {
      ctx.warn('first warning');
      ctx.warn('second warning');
      return { warnings: ['own warning'] };
    }),
    { name: 'x' },
    quiet,
  );
  assert.deepEqual(success.warnings, ['own warning', 'first warning', 'second warning']);
  const failure = await executeModule(
    fakeModule(async (_args, ctx) => {
      ctx.warn('before failing');
      throw new ModuleFailure('failed');
    }),
    { name: 'x' },
    quiet,
  );
  assert.equal(failure.failed, true);
  assert.deepEqual(failure.warnings, ['before failing']);
  const none = await executeModule(fakeModule(ok), { name: 'x' }, quiet);
  assert.ok(!('warnings' in none));
});

// ------------------------------------------------------------------------------------------------
// Secrets

const OPTION_SECRET = 'option-secret-123';
const LEARNED_SECRET = 'db-password-456';

test('secrets of no_log options and secrets learned during run() appear nowhere in a successful result', async () => {
  const logged: string[] = [];
  const result = await executeModule(
    fakeModule(async (args, ctx) => {
      ctx.masker.add(LEARNED_SECRET);
      ctx.warn(`using ${LEARNED_SECRET}`);
      ctx.log(`password ${args.password} and ${LEARNED_SECRET}`);
      return {
        msg: `connected with ${args.password} / ${LEARNED_SECRET}`,
        nested: { list: [LEARNED_SECRET, { [OPTION_SECRET]: args.password }] },
        url: `https://db/?p=${encodeURIComponent(`${LEARNED_SECRET}&x`)}`,
      };
    }),
    { name: 'x', password: OPTION_SECRET },
    (line) => logged.push(line),
  );
  const text = JSON.stringify(result);
  assert.ok(!text.includes(OPTION_SECRET), text);
  assert.ok(!text.includes(LEARNED_SECRET), text);
  assert.match(String(result.msg), /^connected with \*+ \/ \*+$/);
  // ctx.log goes to stderr, masked and prefixed with the module name.
  assert.equal(logged.length, 1);
  assert.ok(logged[0]?.startsWith('fake +'));
  assert.ok(!logged[0]?.includes(OPTION_SECRET) && !logged[0]?.includes(LEARNED_SECRET), logged[0]);
});

test('secrets appear nowhere in the result when run() throws an Error holding them, even at -vvv', async () => {
  const module = fakeModule(async (args, ctx) => {
    ctx.masker.add(LEARNED_SECRET);
    throw new Error(`login failed for ${args.password} (db password ${LEARNED_SECRET})`);
  });
  for (const verbosity of [0, 3]) {
    const result = await executeModule(module, { name: 'x', password: OPTION_SECRET, _ansible_verbosity: verbosity }, quiet);
    assert.equal(result.failed, true);
    assert.match(String(result.msg), /^login failed for/);
    const text = JSON.stringify(result);
    assert.ok(!text.includes(OPTION_SECRET), text);
    assert.ok(!text.includes(LEARNED_SECRET), text);
    if (verbosity === 3) assert.equal(typeof result.exception, 'string');
  }
});

test('secrets appear nowhere in the result of a ModuleFailure holding them in message and details', async () => {
  const result = await executeModule(
    fakeModule(async (args, ctx) => {
      ctx.masker.add(LEARNED_SECRET);
      throw new ModuleFailure(`bad ${args.password}`, { body: { echoed: LEARNED_SECRET } });
    }),
    { name: 'x', password: OPTION_SECRET },
    quiet,
  );
  const text = JSON.stringify(result);
  assert.equal(result.failed, true);
  assert.ok(!text.includes(OPTION_SECRET) && !text.includes(LEARNED_SECRET), text);
});

test('secrets of an option with secretValues are masked in the result', async () => {
  const options: Options = {
    cloud: {
      type: 'raw',
      description: 'c',
      secretValues: (value) => [(value as { auth: { password: string } }).auth.password],
    },
  };
  const result = await executeModule(
    fakeModule(async (args) => ({ msg: `echo ${JSON.stringify(args)}` }), { options }),
    { cloud: { auth: { username: 'admin', password: 'inline-cloud-pw' } } },
    quiet,
  );
  const text = JSON.stringify(result);
  assert.ok(text.includes('admin'), 'non-secret values are shown');
  assert.ok(!text.includes('inline-cloud-pw'), text);
});

const ALIASED_OPTIONS: Options = {
  name: { type: 'str', description: 'Name.' },
  password: { type: 'str', description: 'Secret.', no_log: true, aliases: ['pass'] },
};

test('a no_log option given by its alias is hidden when the arguments are rejected', async () => {
  const result = await executeModule(fakeModule(ok, { options: ALIASED_OPTIONS }), { name: 'x', pass: 'aliased-secret', bogus: 1 }, quiet);
  assert.equal(result.failed, true);
  assert.ok(!JSON.stringify(result).includes('aliased-secret'), JSON.stringify(result));
});

test('a no_log option given by its alias is masked in a message of run()', async () => {
  const result = await executeModule(
    fakeModule(
      async (args) => {
        throw new Error(`login failed with ${String(args.password)}`);
      },
      { options: ALIASED_OPTIONS },
    ),
    { name: 'x', pass: 'aliased-secret' },
    quiet,
  );
  assert.equal(result.failed, true);
  assert.ok(!JSON.stringify(result).includes('aliased-secret'), JSON.stringify(result));
});

// ------------------------------------------------------------------------------------------------
// readArgsFile

function tempDir(t: { after: (fn: () => void) => void }, prefix = 'module-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function failureOf(fn: () => unknown): ModuleFailure {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ModuleFailure, `expected a ModuleFailure, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ModuleFailure');
}

test('readArgsFile: no path given says this is an Ansible module', () => {
  assert.match(failureOf(() => readArgsFile(undefined)).message, /no arguments file given/);
  assert.match(failureOf(() => readArgsFile('')).message, /no arguments file given/);
});

test('readArgsFile: a missing or unreadable file is named with the error code', (t) => {
  const dir = tempDir(t);
  const missing = path.join(dir, 'nope.json');
  const error = failureOf(() => readArgsFile(missing));
  assert.ok(error.message.includes(missing));
  assert.match(error.message, /ENOENT/);
  // A directory cannot be read as a file (chmod 000 would not stop root).
  assert.match(failureOf(() => readArgsFile(dir)).message, /cannot read the arguments file .*EISDIR/);
});

test('readArgsFile: a file that is not JSON, or JSON that is not an object, fails', (t) => {
  const dir = tempDir(t);
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  assert.match(failureOf(() => readArgsFile(write('bad.json', 'name=x count=1'))).message, /is not JSON/);
  assert.match(failureOf(() => readArgsFile(write('empty.json', ''))).message, /is not JSON/);
  for (const [file, text] of [
    ['array.json', '[1,2]'],
    ['null.json', 'null'],
    ['number.json', '42'],
    ['string.json', '"x"'],
  ] as const) {
    assert.match(failureOf(() => readArgsFile(write(file, text))).message, /must hold a JSON object/, file);
  }
});

test('readArgsFile: a JSON object is returned, and an ANSIBLE_MODULE_ARGS wrapper is unwrapped', (t) => {
  const dir = tempDir(t);
  const plain = path.join(dir, 'plain.json');
  fs.writeFileSync(plain, JSON.stringify({ name: 'x', _ansible_check_mode: true }));
  assert.deepEqual(readArgsFile(plain), { name: 'x', _ansible_check_mode: true });
  const wrapped = path.join(dir, 'wrapped.json');
  fs.writeFileSync(wrapped, JSON.stringify({ ANSIBLE_MODULE_ARGS: { name: 'y', count: 1 } }));
  assert.deepEqual(readArgsFile(wrapped), { name: 'y', count: 1 });
});

// ------------------------------------------------------------------------------------------------
// main(), in a child process

const ENTRY = `
import { main, ModuleFailure } from ${JSON.stringify(MODULE_TS)};
function make(name) {
  return {
    name,
    shortDescription: name,
    description: [name],
    options: { fail: { type: 'bool', description: 'fail', default: false }, crash: { type: 'bool', description: 'crash', default: false } },
    checkMode: 'full',
    examples: '',
    returns: {},
    async run(args) {
      console.log('noise from', name);
      console.info('more noise');
      if (args.fail) throw new ModuleFailure('asked to fail', { which: name });
      if (args.crash) throw new Error('crashed');
      return { changed: true, which: name };
    },
  };
}
await main({ fake: make('fake'), other: make('other') });
`;

interface ChildRun {
  status: number | null;
  stdout: string;
  stderr: string;
  result: Record<string, unknown>;
}

/** Writes the entry as `script` in a module-type directory and runs it with an args file. */
function runEntry(dir: string, script: string, args: Record<string, unknown> | undefined): ChildRun {
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  const entry = path.join(dir, script);
  fs.writeFileSync(entry, ENTRY);
  const argv = [entry];
  if (args !== undefined) {
    const file = path.join(dir, 'args.json');
    fs.writeFileSync(file, JSON.stringify(args));
    argv.push(file);
  }
  const child = execaSync(NODE, argv, { cwd: dir, timeout: 30_000, reject: false, stripFinalNewline: false });
  const lines = child.stdout.split('\n');
  assert.equal(lines.length, 2, `stdout must be exactly one line: ${JSON.stringify(child.stdout)} (stderr: ${child.stderr})`);
  assert.equal(lines[1], '');
  return {
    status: child.exitCode ?? null,
    stdout: child.stdout,
    stderr: child.stderr,
    result: JSON.parse(lines[0] ?? '') as Record<string, unknown>,
  };
}

test('main(): one JSON line on stdout, console noise on stderr, exit 0 on success', (t) => {
  const run = runEntry(tempDir(t), 'entry.ts', { _ansible_module_name: 'fake' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.result.changed, true);
  assert.equal(run.result.which, 'fake');
  assert.ok(!run.stdout.includes('noise'));
  assert.match(run.stderr, /noise from fake/);
  assert.match(run.stderr, /more noise/);
});

test('main(): exit 1 on a module failure and on an unexpected error', (t) => {
  const failed = runEntry(tempDir(t), 'entry.ts', { _ansible_module_name: 'fake', fail: true });
  assert.equal(failed.status, 1);
  assert.equal(failed.result.failed, true);
  assert.equal(failed.result.msg, 'asked to fail');
  assert.equal(failed.result.which, 'fake');
  const crashed = runEntry(tempDir(t), 'entry.ts', { _ansible_module_name: 'fake', crash: true });
  assert.equal(crashed.status, 1);
  assert.equal(crashed.result.msg, 'crashed');
  const invalid = runEntry(tempDir(t), 'entry.ts', { _ansible_module_name: 'fake', bogus: 1 });
  assert.equal(invalid.status, 1);
  assert.match(String(invalid.result.msg), /^Unsupported parameters for \(fake\) module: bogus\./);
});

test('main(): a missing or broken args file is a failure line with exit 1', (t) => {
  const missing = runEntry(tempDir(t), 'entry.ts', undefined);
  assert.equal(missing.status, 1);
  assert.equal(missing.result.failed, true);
  assert.match(String(missing.result.msg), /no arguments file given/);
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  fs.writeFileSync(path.join(dir, 'entry.ts'), ENTRY);
  fs.writeFileSync(path.join(dir, 'args.json'), 'not json');
  const child = execaSync(NODE, [path.join(dir, 'entry.ts'), path.join(dir, 'args.json')], { timeout: 30_000, reject: false });
  assert.equal(child.exitCode, 1);
  const lines = child.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 1);
  assert.match(String((JSON.parse(lines[0] ?? '') as { msg: string }).msg), /is not JSON/);
});

test('main(): the module is chosen by _ansible_module_name, its last dotted part counting', (t) => {
  const other = runEntry(tempDir(t), 'entry.ts', { _ansible_module_name: 'other' });
  assert.equal(other.status, 0, other.stderr);
  assert.equal(other.result.which, 'other');
  const fqcn = runEntry(tempDir(t), 'entry.ts', { _ansible_module_name: 'ansible.legacy.other' });
  assert.equal(fqcn.result.which, 'other');
  // The argument name wins over the script name.
  const both = runEntry(tempDir(t), 'AnsiballZ_fake.ts', { _ansible_module_name: 'other' });
  assert.equal(both.result.which, 'other');
});

test('main(): without _ansible_module_name the module is chosen by the AnsiballZ_<name> script name', (t) => {
  const fake = runEntry(tempDir(t), 'AnsiballZ_fake.ts', {});
  assert.equal(fake.status, 0, fake.stderr);
  assert.equal(fake.result.which, 'fake');
  const other = runEntry(tempDir(t), 'AnsiballZ_other.ts', {});
  assert.equal(other.result.which, 'other');
  const plain = runEntry(tempDir(t), 'other.ts', {});
  assert.equal(plain.result.which, 'other');
});

test('main(): no matching module name fails and lists the modules the executable provides', (t) => {
  const run = runEntry(tempDir(t), 'entry.ts', { _ansible_module_name: 'nosuch' });
  assert.equal(run.status, 1);
  assert.equal(run.result.failed, true);
  assert.match(String(run.result.msg), /unknown module/);
  assert.match(String(run.result.msg), /fake, other/);
});

test('log lines go to stderr masked and timed, and not at all when the task has no_log', async () => {
  const lines: string[] = [];
  const module = fakeModule(async (args, ctx) => {
    ctx.log(`logging in with ${args.password}`);
    return { changed: false };
  });
  await executeModule(module, { name: 'x', password: 'hunter2-secret' }, (line) => lines.push(line));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^fake \+\d+\.\d\ds: logging in with \*{8}$/);
  lines.length = 0;
  await executeModule(module, { name: 'x', password: 'hunter2-secret', _ansible_no_log: true }, (line) => lines.push(line));
  assert.deepEqual(lines, []);
});

// ------------------------------------------------------------------------------------------------
// The base error, stats and interrupts

class CloudSaidNo extends HotstackError {}

test('any HotstackError subclass becomes a failure with its message and details; its cause shows only at -vvv', async () => {
  const cause = new Error('ECONNRESET on the wire');
  const module = fakeModule(async () => {
    throw new CloudSaidNo('compute refused: HTTP 409', { details: { status: 409 }, cause });
  });
  const result = await executeModule(module, { name: 'x' }, quiet);
  assert.deepEqual([result.failed, result.changed, result.msg, result.status], [true, false, 'compute refused: HTTP 409', 409]);
  assert.equal(result.exception, undefined);
  const verbose = await executeModule(module, { name: 'x', _ansible_verbosity: 3 }, quiet);
  assert.match(String(verbose.exception), /CloudSaidNo: compute refused[\s\S]*Caused by: Error: ECONNRESET on the wire/);
});

const WITH_STATS = { returns: { stats: { description: 's', returned: 'always', type: 'dict' } } };

test('a module documenting stats gets them in every result: success, failure, rejected arguments, skip', async () => {
  let requests = 0;
  const counting = (outcome: 'ok' | 'fail') =>
    fakeModule(async (_args, ctx) => {
      ctx.addStats(() => ({ http_requests: requests }));
      requests = 7;
      if (outcome === 'fail') throw new HotstackError('no');
      return { changed: true };
    }, WITH_STATS);
  for (const outcome of ['ok', 'fail'] as const) {
    const result = await executeModule(counting(outcome), { name: 'x' }, quiet);
    const stats = result.stats as { wall_seconds: number; http_requests: number };
    assert.equal(typeof stats.wall_seconds, 'number', outcome);
    assert.ok(stats.wall_seconds >= 0 && stats.wall_seconds < 5, outcome);
    assert.equal(stats.http_requests, 7, `${outcome}: counters are read when the result is made`);
  }
  const rejected = await executeModule(counting('ok'), { bogus: 1 }, quiet);
  assert.equal(rejected.failed, true);
  assert.equal(typeof (rejected.stats as { wall_seconds: number }).wall_seconds, 'number');
  const skipped = await executeModule(
    fakeModule(ok, { ...WITH_STATS, checkMode: 'none' }),
    { name: 'x', _ansible_check_mode: true },
    quiet,
  );
  assert.equal(skipped.skipped, true);
  assert.ok(skipped.stats);
  const without = await executeModule(fakeModule(ok), { name: 'x' }, quiet);
  assert.equal(without.stats, undefined, 'a module that does not document stats gets none');
});

test("ctx.signal: an interrupted run's failure names the signal once, whatever the module threw", async () => {
  const controller = new AbortController();
  const module = fakeModule(async (_args, ctx) => {
    controller.abort(new AbortedError('interrupted by SIGTERM', { details: { signal: 'SIGTERM' } }));
    assert.equal(ctx.signal.aborted, true);
    throw new HotstackError('removed the 2 image(s) this run had created', { details: { removed_images: ['a', 'b'] } });
  });
  const result = await executeModule(module, { name: 'x' }, { stderr: quiet, signal: controller.signal });
  assert.equal(result.failed, true);
  assert.equal(result.signal, 'SIGTERM');
  assert.equal(result.msg, 'interrupted by SIGTERM: removed the 2 image(s) this run had created');
  assert.deepEqual(result.removed_images, ['a', 'b']);
  const named = fakeModule(async (_args, ctx) => {
    controller.abort();
    throw ctx.signal.reason as Error;
  });
  const again = await executeModule(named, { name: 'x' }, { stderr: quiet, signal: controller.signal });
  assert.equal(again.msg, 'interrupted by SIGTERM', 'not named twice');
});

// ------------------------------------------------------------------------------------------------
// main() and signals, in a child process

const SIGNAL_ENTRY = `
import { main } from ${JSON.stringify(MODULE_TS)};
import { HotstackError } from ${JSON.stringify(new URL('../../../lib/errors.ts', import.meta.url).href)};
const module = {
  name: 'waiter', shortDescription: 'w', description: ['w'], checkMode: 'full', examples: '', returns: { stats: {} },
  options: { ignore: { type: 'bool', description: 'ignore the signal', default: false } },
  async run(args, ctx) {
    ctx.log('ready');
    // Work in flight keeps a real module's process alive; here an interval stands for it.
    setInterval(() => {}, 1000);
    if (args.ignore) await new Promise(() => {});
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the rollback
    throw new HotstackError('removed the 2 image(s) this run had created', { details: { removed_images: ['a', 'b'] } });
  },
};
await main({ waiter: module }, process.argv, { graceMs: Number(process.env.GRACE_MS ?? 60000) });
`;

async function signalled(
  t: { after: (fn: () => void) => void },
  signals: NodeJS.Signals[],
  args: Record<string, unknown>,
  env: Record<string, string> = {},
) {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  fs.writeFileSync(path.join(dir, 'waiter.ts'), SIGNAL_ENTRY);
  fs.writeFileSync(path.join(dir, 'args.json'), JSON.stringify(args));
  const child = execa(NODE, [path.join(dir, 'waiter.ts'), path.join(dir, 'args.json')], {
    reject: false,
    stripFinalNewline: false,
    timeout: 30_000,
    env,
  });
  await new Promise<void>((resolve) => child.stderr.on('data', (chunk: Buffer) => /ready/.test(chunk.toString()) && resolve()));
  const sentAt = Date.now();
  for (const signal of signals) {
    child.kill(signal);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const done = await child;
  const lines = done.stdout.split('\n');
  assert.equal(lines.length, 2, `one line on stdout: ${JSON.stringify(done.stdout)} (stderr ${done.stderr})`);
  return {
    exitCode: done.exitCode,
    result: JSON.parse(lines[0]!) as Record<string, unknown>,
    stderr: done.stderr,
    tookMs: Date.now() - sentAt,
  };
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  test(`main(): ${signal} aborts ctx.signal; the module's rollback result is printed once, naming the signal`, async (t) => {
    const run = await signalled(t, [signal], {});
    assert.equal(run.exitCode, 1);
    assert.equal(run.result.failed, true);
    assert.equal(run.result.signal, signal);
    assert.equal(run.result.msg, `interrupted by ${signal}: removed the 2 image(s) this run had created`);
    assert.deepEqual(run.result.removed_images, ['a', 'b']);
    assert.ok(run.result.stats, 'stats, as documented');
    assert.match(run.stderr, new RegExp(`received ${signal}: starting no new work`));
  });
}

test('main(): a second signal ends the process at once with one failure line', async (t) => {
  const run = await signalled(t, ['SIGTERM', 'SIGINT'], { ignore: true });
  assert.equal(run.exitCode, 128 + 15);
  assert.equal(run.result.failed, true);
  assert.equal(run.result.signal, 'SIGTERM');
  assert.match(
    String(run.result.msg),
    /^interrupted by SIGTERM, then SIGINT during the rollback: ended at once; what this run made may be left behind/,
  );
  assert.ok(run.tookMs < 5_000);
});

test('main(): a rollback that outlasts the grace period is ended with one failure line', async (t) => {
  const run = await signalled(t, ['SIGHUP'], { ignore: true }, { GRACE_MS: '300' });
  assert.equal(run.exitCode, 128 + 1);
  assert.match(String(run.result.msg), /^interrupted by SIGHUP, and the rollback did not end within 0.3s/);
});
