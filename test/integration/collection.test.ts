// The collection the way users meet it: the tarball npm run build makes, installed with the real
// `ansible-galaxy collection install` into a temporary collections path, then everything by FQCN
// through real ansible-doc, ansible-test and ansible-playbook on this host (connection local): a
// module against devcloud with a fresh payload cache (the payload copied once, later tasks copy
// none), check mode, no_log, async, become, delegate_to; concurrent first runs on a fresh cache; a
// cache on a noexec mount; a real SnapSet through the shipped 04 playbook by FQCN; an aarch64 host (QEMU user emulation); a host of another architecture, one without xz or Python 3; the shipped
// playbooks by FQCN.
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { load } from 'js-yaml';
import { bootDeployment, cleanup, devcloudConnection, devcloudEnv, imagesOfSet, uniqueSuffix } from '../../labs/devcloud/devcloud.ts';
import { collectionPlaybookFile } from '../../lib/collection/playbooks.ts';
import { MODULES } from '../../modules/registry.ts';
import { ROOT, runPlaybook } from '../helpers/ansible.ts';
import { ANSIBLE_ENV, installCollection, payloadsOf } from '../helpers/collection.ts';

type Json = Record<string, unknown>;
const FQCN = (name: string) => `hotstack.snapset.${name}`;
/** The offline sanity tests of Debian's ansible-test (the others install their requirements from PyPI). */
const NEEDS_DOWNLOADS = ['changelog', 'import', 'pep8', 'pylint', 'runtime-metadata', 'validate-modules', 'yamllint'];

describe('hotstack.snapset installed from its tarball', { timeout: 900_000 }, () => {
  let dir: string;
  let tree: string;
  let env: Record<string, string>;
  const prefix = `coll-${uniqueSuffix()}-`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hotstack-collection-'));
    tree = await installCollection(join(dir, 'collections'));
    env = { ...devcloudEnv(), ...ANSIBLE_ENV, ANSIBLE_COLLECTIONS_PATH: join(dir, 'collections') };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** One play on localhost; each task's result is saved under its register name. */
  async function play(tasks: Json[], options: { cacheDir: string; verbosity?: number; name?: string; env?: Record<string, string> }) {
    const file = join(dir, `${options.name ?? 'play'}.json`);
    const results = join(dir, `${options.name ?? 'play'}-results.json`);
    const names = tasks.map((task) => task.register as string);
    writeFileSync(
      file,
      JSON.stringify([
        {
          hosts: 'localhost',
          gather_facts: false,
          vars: { hotstack_snapset_cache_dir: options.cacheDir },
          tasks: [
            ...tasks.map((task) => ({ ignore_errors: true, ...task })),
            {
              name: 'save the results',
              'ansible.builtin.copy': { content: `{{ {${names.map((n) => `'${n}': ${n}`).join(', ')}} | to_json }}`, dest: results },
              check_mode: false,
            },
          ],
        },
      ]),
    );
    const run = await runPlaybook(file, {
      env: { ...env, ...options.env },
      resultFile: results,
      timeoutMs: 600_000,
      ...(options.verbosity ? { verbosity: options.verbosity } : {}),
    });
    return { ...run, results: (run.result ?? {}) as Record<string, Json> };
  }
  const info = (extra: Json = {}) => ({ [FQCN('hotstack_snapset_info')]: { cloud: 'devcloud', name_prefix: prefix, ...extra } });

  test('ansible-doc shows every module by FQCN with its options', async () => {
    const names = Object.keys(MODULES);
    const doc = await execa('ansible-doc', names.map(FQCN), { env, reject: false });
    assert.equal(doc.exitCode, 0, doc.stderr);
    for (const [name, load] of Object.entries(MODULES)) {
      assert.match(doc.stdout, new RegExp(`^> ${FQCN(name).toUpperCase()}\\s+\\(${tree}/plugins/modules/${name}\\.yml\\)`, 'm'));
      for (const option of Object.keys((await load()).options))
        assert.match(doc.stdout, new RegExp(`^[-= ] ${option}\\b`, 'm'), `${name}: option ${option}`);
    }
    assert.match(doc.stdout, /^RETURN VALUES:/m);
  });

  test('ansible-test sanity (the tests that run offline) and validate-modules pass on the installed tree', async () => {
    // A network namespace of its own: nothing ansible-test does can reach beyond loopback.
    const sanity = await execa(
      'unshare',
      ['-n', 'ansible-test', 'sanity', '--python', '3.11', ...NEEDS_DOWNLOADS.flatMap((name) => ['--skip-test', name])],
      { cwd: tree, env: { ...process.env, ...ANSIBLE_ENV }, reject: false, all: true },
    );
    assert.equal(sanity.exitCode, 0, sanity.all);
    assert.match(sanity.all ?? '', /Running sanity test "action-plugin-docs"[\s\S]*Running sanity test "shebang"/);
    // validate-modules, run by the lint test's way (test/lint/ansible.test.ts) on the built sidecars.
    // validate.py on the Python ansible-test runs on (the one of its shebang).
    const which = await execa('sh', ['-c', 'command -v ansible-test']);
    const python = (readFileSync(which.stdout.trim(), 'utf8').split('\n')[0] ?? '').replace(/^#!\s*/, '').split(/\s+/)[0] || 'python3';
    const where = await execa(python, ['-c', 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))']);
    const script = join(where.stdout.trim(), '_util/controller/sanity/validate-modules/validate.py');
    const files = Object.keys(MODULES).map((name) => `plugins/modules/${name}.yml`);
    const run = await execa(
      python,
      [
        script,
        '--format',
        'json',
        '--arg-spec',
        '--collection',
        'ansible_collections/hotstack/snapset',
        '--collection-version',
        '0.1.0',
        ...files,
      ],
      { cwd: tree, env: { ...process.env, ...ANSIBLE_ENV }, reject: false },
    );
    const report = JSON.parse(run.stdout || '{}') as Record<string, { errors: { code: string; msg: string }[] }>;
    const errors = Object.entries(report).flatMap(([file, found]) =>
      found.errors.filter((error) => error.code !== 'missing-gplv3-license').map((error) => `${file}: ${error.code}: ${error.msg}`),
    );
    assert.deepEqual(errors, [], run.stderr);
  });

  test('a module against devcloud: the first task copies the payload once, later ones (check mode, no_log, async, become, delegate_to) none', async () => {
    const cacheDir = join(dir, 'cache');
    const payload = payloadsOf(tree).x86_64!;
    const run = await play(
      [
        { name: 'first', ...info(), register: 'first' },
        { name: 'warm', ...info(), register: 'warm' },
        { name: 'check mode', ...info(), check_mode: true, register: 'checked' },
        { name: 'no_log', ...info(), no_log: true, register: 'hidden' },
        { name: 'async', ...info(), async: 120, poll: 1, register: 'backgrounded' },
        { name: 'become', ...info(), become: true, register: 'became' },
        { name: 'delegated', ...info(), delegate_to: 'localhost', register: 'delegated' },
      ],
      { cacheDir, verbosity: 3 },
    );
    assert.equal(run.exitCode, 0, run.output);
    const { first, warm, checked, hidden, backgrounded, became, delegated } = run.results as Record<string, Json>;
    assert.equal(first!.failed, false, JSON.stringify(first));
    assert.deepEqual(first!.snapsets, []);
    assert.deepEqual(first!.hotstack_snapset_payload, {
      arch: 'x86_64',
      sha256: payload.sha256,
      bytes_copied: payload.size,
      path: join(cacheDir, payload.sha256, 'hotstack-modules'),
    });
    assert.ok(payload.size <= 35 * 1048576, `payload ${payload.size} bytes`);
    for (const [name, result] of Object.entries({ warm, checked, backgrounded, became, delegated })) {
      assert.equal(result!.failed, false, `${name}: ${JSON.stringify(result)}`);
      assert.equal(result!.hotstack_snapset_payload, undefined, `${name} copied no payload`);
      assert.deepEqual(result!.snapsets, [], name);
    }
    assert.equal(backgrounded!.finished, 1);
    assert.ok(backgrounded!.ansible_job_id, 'ran through async_wrapper');
    assert.equal(hidden!.failed, false, JSON.stringify(hidden));
    assert.match(
      run.output,
      /TASK \[no_log\][\s\S]*?"censored": "the output has been hidden due to the fact that 'no_log: true' was specified for this result"/,
    );
    const hiddenTask = run.output.slice(run.output.indexOf('TASK [no_log]'), run.output.indexOf('TASK [async]'));
    assert.doesNotMatch(hiddenTask, /snapsets|name_prefix/, 'neither the arguments nor the result shown');
    // Ansible's own account of what it copied (-vvv: one PUT line per file): the payload once.
    const puts = run.output.split('\n').filter((line) => /PUT .* TO /.test(line));
    assert.equal(puts.filter((line) => line.includes('hotstack-modules.xz')).length, 1, puts.join('\n'));
    assert.deepEqual(readdirSync(cacheDir), [payload.sha256]);
    assert.deepEqual(readdirSync(join(cacheDir, payload.sha256)), ['hotstack-modules']);
    assert.equal(statSync(join(cacheDir, payload.sha256, 'hotstack-modules')).size, payload.executable_size);
  });

  test('concurrent first runs on a fresh cache each succeed and leave one executable; another version unused for 7 days is pruned, a recent one kept', async () => {
    const cacheDir = join(dir, 'cache-concurrent');
    const stale = join(cacheDir, 'f'.repeat(64));
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'hotstack-modules'), 'an older version');
    const nineDaysAgo = new Date(Date.now() - 9 * 86_400_000);
    utimesSync(stale, nineDaysAgo, nineDaysAgo);
    const recent = join(cacheDir, 'e'.repeat(64));
    mkdirSync(recent);
    writeFileSync(join(recent, 'hotstack-modules'), 'another version, used yesterday');
    utimesSync(recent, new Date(Date.now() - 86_400_000), new Date(Date.now() - 86_400_000));
    mkdirSync(join(cacheDir, 'not-a-version'));
    const runs = await Promise.all(
      [1, 2, 3].map((n) => play([{ name: 'first', ...info(), register: 'first' }], { cacheDir, name: `race${n}` })),
    );
    for (const run of runs) {
      assert.equal(run.exitCode, 0, run.output);
      assert.equal(run.results.first!.failed, false, JSON.stringify(run.results.first));
    }
    const { sha256 } = payloadsOf(tree).x86_64!;
    assert.deepEqual(
      readdirSync(cacheDir).sort(),
      [sha256, 'e'.repeat(64), 'not-a-version'].sort(),
      'the version unused for 9 days pruned; one used yesterday (another collection version on this host) and other entries left alone',
    );
    assert.deepEqual(readdirSync(join(cacheDir, sha256)), ['hotstack-modules'], 'no temporary file left');
  });

  test('a cache directory on a noexec mount fails clearly, naming the directory and the variable', async () => {
    const mount = join(dir, 'noexec');
    mkdirSync(mount);
    const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'noexec,size=300m', 'hotstack-noexec', mount], { reject: false });
    assert.equal(mounted.exitCode, 0, mounted.stderr);
    try {
      const run = await play([{ name: 'first', ...info(), register: 'first' }], { cacheDir: join(mount, 'cache') });
      const first = run.results.first!;
      assert.equal(first.failed, true);
      assert.match(
        String(first.msg),
        new RegExp(
          `could not install the module executable on localhost: cannot execute files in ${mount}/cache \\(mounted noexec\\?\\): set hotstack_snapset_cache_dir`,
        ),
      );
    } finally {
      await execa('umount', [mount], { reject: false });
    }
  });

  test('an aarch64 host gets the arm64 payload and runs it (QEMU user emulation here) against devcloud', async () => {
    // uname -m says aarch64 to the action's probe; binfmt_misc hands the arm64 executable to QEMU.
    const fake = join(dir, 'aarch64-bin');
    mkdirSync(fake);
    writeFileSync(join(fake, 'uname'), '#!/bin/sh\nif [ "$1" = -m ]; then echo aarch64; else exec /usr/bin/uname "$@"; fi\n', {
      mode: 0o755,
    });
    const arm = payloadsOf(tree).aarch64;
    assert.ok(arm, 'the collection carries an aarch64 payload (npm run build makes build/linux-arm64/hotstack-modules)');
    const run = await play([{ name: 'first', ...info(), register: 'first' }], {
      cacheDir: join(dir, 'cache-aarch64'),
      name: 'aarch64',
      env: { PATH: `${fake}:${process.env.PATH}` },
    });
    const first = run.results.first!;
    assert.equal(first.failed, false, JSON.stringify(first));
    assert.deepEqual(first.snapsets, []);
    assert.equal((first.hotstack_snapset_payload as Json).arch, 'aarch64');
    assert.equal((first.hotstack_snapset_payload as Json).bytes_copied, arm.size);
    const file = await execa('file', ['-L', join(dir, 'cache-aarch64', arm.sha256, 'hotstack-modules')]);
    assert.match(file.stdout, /ARM aarch64/);
  });

  test('a host of another architecture, or without xz and Python 3, fails naming what it lacks', async () => {
    // The local connection's commands see ansible-playbook's PATH: a uname that says riscv64, then a
    // PATH of every tool but xz and python3 (ansible-playbook itself runs on its absolute /usr/bin/python3).
    const fake = join(dir, 'fake-bin');
    mkdirSync(fake);
    writeFileSync(join(fake, 'uname'), '#!/bin/sh\nif [ "$1" = -m ]; then echo riscv64; else exec /usr/bin/uname "$@"; fi\n', {
      mode: 0o755,
    });
    const riscv = await play([{ name: 'first', ...info(), register: 'first' }], {
      cacheDir: join(dir, 'cache-riscv'),
      name: 'riscv',
      env: { PATH: `${fake}:${process.env.PATH}` },
    });
    assert.equal(riscv.results.first!.failed, true);
    assert.equal(riscv.results.first!.msg, 'hotstack.snapset modules run on Linux x86_64 or aarch64 hosts; localhost is Linux riscv64');

    const bare = join(dir, 'bare-bin');
    mkdirSync(bare);
    for (const folder of ['/usr/local/bin', '/usr/bin', '/bin'])
      for (const tool of readdirSync(folder))
        if (!/^(xz|unxz|xzcat|lzma|python)/.test(tool) && !existsSync(join(bare, tool))) symlinkSync(join(folder, tool), join(bare, tool));
    const run = await play([{ name: 'first', ...info(), register: 'first' }], {
      cacheDir: join(dir, 'cache-bare'),
      name: 'bare',
      env: { PATH: bare },
    });
    assert.equal(run.results.first!.failed, true, JSON.stringify(run.results.first));
    assert.equal(
      run.results.first!.msg,
      'hotstack.snapset: could not install the module executable on localhost: the host has neither xz nor python3 with lzma to unpack the module executable: install xz-utils (or xz)',
    );
    assert.deepEqual(readdirSync(join(dir, 'cache-bare', payloadsOf(tree).x86_64!.sha256)), [], 'no temporary file left');
  });

  test('hotstack.snapset.04_create_snapset makes a real SnapSet of a tiny devcloud server; hotstack_snapset_info finds it', async () => {
    const conn = devcloudConnection();
    const deployment = await bootDeployment(conn, { [`${prefix}vm`]: 'controller' });
    try {
      const workDir = join(dir, 'work');
      mkdirSync(workDir);
      const run = await runPlaybook(FQCN('04_create_snapset'), {
        env,
        extraVars: {
          snapset_data: deployment.snapsetData,
          hotstack_work_dir: workDir,
          os_cloud: 'devcloud',
          hotstack_snapset_cache_dir: join(dir, 'cache'),
        },
        timeoutMs: 600_000,
      });
      assert.equal(run.exitCode, 0, run.output);
      assert.match(run.output, /TASK \[Snapshot every instance into one SnapSet\][\s\S]*?changed: \[localhost\]/);
      const saved = load(readFileSync(join(workDir, 'snapset-snapset.yaml'), 'utf8')) as Json;
      const images = await imagesOfSet(conn, saved.snap_id as string);
      assert.equal(images.length, 1);
      const found = await play([{ name: 'info', ...info({ snap_id: saved.snap_id }), register: 'found' }], {
        cacheDir: join(dir, 'cache'),
        name: 'found',
      });
      assert.equal(found.results.found!.failed, false, JSON.stringify(found.results.found));
      assert.equal((found.results.found!.snapset as Json).snap_id, saved.snap_id);
      assert.equal((found.results.found!.snapset as Json).status, 'usable');
    } finally {
      await cleanup(conn, deployment);
    }
  });

  test('the shipped playbooks pass ansible-lint and run by FQCN (syntax check)', async () => {
    const lint = await execa('ansible-lint', ['--profile', 'production', '--nocolor', '-q', 'playbooks'], {
      cwd: tree,
      env: { ...process.env, ...env },
      reject: false,
      all: true,
    });
    assert.equal(lint.exitCode, 0, `ansible-lint (production profile) of the shipped playbooks: ${lint.all}`);
    const shipped = readdirSync(join(ROOT, 'playbooks')).filter((file) => file.endsWith('.yml'));
    assert.deepEqual(readdirSync(join(tree, 'playbooks')).sort(), shipped.map(collectionPlaybookFile).sort());
    for (const name of shipped.map((file) => collectionPlaybookFile(file).replace(/\.yml$/, ''))) {
      const run = await execa('ansible-playbook', ['--syntax-check', FQCN(name)], { env, reject: false, all: true });
      assert.equal(run.exitCode, 0, `${name}: ${run.all}`);
      assert.match(run.all ?? '', new RegExp(`playbook: ${tree}/playbooks/${name}\\.yml`));
    }
  });
});
