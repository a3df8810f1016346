// The built library as Ansible sees it: ansible-doc reads each module's sidecar, made from the same
// option definitions that validate the arguments.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { load } from 'js-yaml';
import { MODULES } from '../../modules/registry.ts';
import { LIBRARY, ROOT, requireBuilt, runExecutable } from '../helpers/ansible.ts';

for (const [name, loadModule] of Object.entries(MODULES)) {
  const definition = await loadModule();
  test(`ansible-doc shows ${name} with every option of its definition`, async () => {
    requireBuilt(name);
    const doc = await execa('ansible-doc', ['-M', LIBRARY, name], {
      cwd: ROOT,
      env: { ANSIBLE_NOCOLOR: '1', PAGER: 'cat' },
      reject: false,
    });
    assert.equal(doc.exitCode, 0, doc.stderr);
    assert.match(doc.stdout, new RegExp(`^> ${name.toUpperCase()}\\s+\\(${LIBRARY}/${name}\\.yml\\)`, 'm'));
    // The first words of the description (ansible-doc wraps the rest).
    assert.ok(doc.stdout.includes(definition.description[0]!.split(' ').slice(0, 4).join(' ')));
    for (const option of Object.keys(definition.options))
      assert.match(doc.stdout, new RegExp(`^[-= ] ${option}\\b`, 'm'), `option ${option} in ansible-doc`);
    const sidecar = load(readFileSync(join(LIBRARY, `${name}.yml`), 'utf8')) as { DOCUMENTATION: { options: Record<string, unknown> } };
    assert.deepEqual(Object.keys(sidecar.DOCUMENTATION.options).sort(), Object.keys(definition.options).sort());
  });

  test(`the ${name} executable answers Ansible's protocol with one JSON object`, async () => {
    const run = await runExecutable(name, {
      _ansible_module_name: name,
      _ansible_check_mode: true,
      _ansible_some_future_key: [1],
      bogus_option: true,
    });
    assert.equal(run.exitCode, 1);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1, run.stdout);
    const result = JSON.parse(lines[0]!) as { failed: boolean; msg: string };
    assert.equal(result.failed, true);
    assert.match(result.msg, new RegExp(`Unsupported parameters for \\(${name}\\) module: bogus_option\\.`));
    assert.doesNotMatch(result.msg, /_ansible_/);
  });
}

// scripts/sea-main.ts runs the bundle with the V8 code cache written for the module's group: the
// cluster modules' cache holds the Kubernetes client, which the OpenStack modules' start must not read.
const CLUSTER_CACHE = new Set(['hotstack_prepare', 'hotstack_revive']);
for (const name of Object.keys(MODULES)) {
  const cache = CLUSTER_CACHE.has(name) ? 'code-cache-cluster' : 'code-cache-openstack';
  test(`${name}, started by its name alone, runs with ${cache}, which V8 accepts`, async () => {
    const run = await runExecutable(name, { bogus_option: true }, { HOTSTACK_CODE_CACHE_REPORT: '1' });
    assert.equal(run.stderr.trim(), `code cache ${cache} accepted`);
    assert.match(run.stdout, new RegExp(`Unsupported parameters for \\(${name}\\) module: bogus_option\\.`));
  });
}

test('_ansible_module_name picks the cache, and a cache V8 rejects only costs compile time', async () => {
  const named = await runExecutable(
    'hotstack_snapset',
    { _ansible_module_name: 'hotstack_revive', bogus_option: true },
    {
      HOTSTACK_CODE_CACHE_REPORT: '1',
    },
  );
  assert.match(named.stderr, /^code cache code-cache-cluster accepted$/m);
  assert.match(named.stdout, /Unsupported parameters for \(hotstack_revive\) module: bogus_option\./);
  // Another V8 flag than the build's: V8 refuses the cache, and the module answers all the same.
  const otherFlags = await runExecutable(
    'hotstack_snapset',
    { bogus_option: true },
    {
      HOTSTACK_CODE_CACHE_REPORT: '1',
      NODE_OPTIONS: '--stack-trace-limit=5',
    },
  );
  assert.match(otherFlags.stderr, /^code cache code-cache-openstack rejected$/m);
  assert.equal(otherFlags.exitCode, 1);
  assert.match(otherFlags.stdout, /Unsupported parameters for \(hotstack_snapset\) module: bogus_option\./);
});

test("the CLI, run as hotstack-snapset, runs with the OpenStack modules' cache", async () => {
  const run = await execa(join(ROOT, 'build/hotstack-snapset'), ['--help'], {
    env: { HOTSTACK_CODE_CACHE_REPORT: '1' },
    reject: false,
  });
  assert.equal(run.exitCode, 0, run.stderr);
  assert.match(run.stderr, /^code cache code-cache-openstack accepted$/m);
  assert.match(run.stdout, /^usage: hotstack-snapset/m);
});
