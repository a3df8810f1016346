// What Ansible's own tools say of what we ship: every module's generated sidecar under ansible-test's
// validate-modules (run as `ansible-test sanity --test validate-modules` runs it, on a collection
// layout in a temporary folder), and the playbooks and sidecars under ansible-lint's production
// profile and yamllint (.yamllint: ansible-lint's settings). Needs only the Debian packages
// ansible-core, ansible-lint and yamllint (scripts/ensure-host.sh), no build and no cloud: the sidecars
// are generated from the module definitions here.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { sidecarYaml } from '../../lib/ansible/sidecar.ts';
import { MODULES } from '../../modules/registry.ts';
import { ROOT } from '../helpers/ansible.ts';

/**
 * validate-modules findings a collection would list in tests/sanity/ignore-2.14.txt, with why.
 * missing-gplv3-license: the check wants a GPLv3 header; this project is Apache-2.0.
 */
const IGNORED_CODES = new Set(['missing-gplv3-license']);

const ENV = { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ANSIBLE_NOCOLOR: '1', NO_COLOR: '1' };

/** validate.py of the installed ansible-test, and the Python that ansible-test itself runs on. */
async function validateModulesCommand(): Promise<{ python: string; script: string }> {
  const which = await execa('sh', ['-c', 'command -v ansible-test'], { reject: false });
  assert.equal(which.exitCode, 0, 'ansible-test is missing: run scripts/ensure-host.sh (Debian package ansible-core)');
  const shebang = readFileSync(which.stdout.trim(), 'utf8').split('\n')[0] ?? '';
  const python = shebang.replace(/^#!\s*/, '').split(/\s+/)[0] || 'python3';
  const where = await execa(python, ['-c', 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))']);
  return { python, script: join(where.stdout.trim(), '_util/controller/sanity/validate-modules/validate.py') };
}

describe('Ansible lint of modules and playbooks', () => {
  let root: string;
  let collection: string;
  let modulesDir: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'hotstack-lint-'));
    collection = join(root, 'ansible_collections', 'hotstack', 'snapset');
    modulesDir = join(collection, 'plugins', 'modules');
    mkdirSync(modulesDir, { recursive: true });
    writeFileSync(
      join(collection, 'galaxy.yml'),
      'namespace: hotstack\nname: snapset\nversion: 0.1.0\nreadme: README.md\nauthors: [Hotstack]\n',
    );
    for (const [name, loadModule] of Object.entries(MODULES)) {
      writeFileSync(join(modulesDir, `${name}.yml`), sidecarYaml(await loadModule()));
      // Stands for the built executable: ansible-lint's syntax check only needs the module to resolve.
      writeFileSync(join(modulesDir, name), '#!/bin/sh\n', { mode: 0o755 });
    }
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('validate-modules accepts every module sidecar', async () => {
    const { python, script } = await validateModulesCommand();
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
      { cwd: collection, env: ENV, reject: false },
    );
    assert.ok(run.exitCode === 0 || run.exitCode === 3, `validate-modules exited ${run.exitCode}: ${run.stderr}`);
    const report = JSON.parse(run.stdout || '{}') as Record<string, { errors: { code: string; msg: string }[] }>;
    const errors = Object.entries(report).flatMap(([file, found]) =>
      found.errors.filter((error) => !IGNORED_CODES.has(error.code)).map((error) => `${file}: ${error.code}: ${error.msg}`),
    );
    assert.deepEqual(errors, []);
  });

  test('yamllint (ansible-lint settings) finds nothing in the playbooks and sidecars', async () => {
    const run = await execa('yamllint', ['-c', join(ROOT, '.yamllint'), '-f', 'parsable', join(ROOT, 'playbooks'), modulesDir], {
      env: ENV,
      reject: false,
    });
    assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
  });

  test('ansible-lint (production profile) passes the playbooks and sidecars', { timeout: 300_000 }, async () => {
    const run = await execa('ansible-lint', ['--profile', 'production', '--nocolor', '-q', join(ROOT, 'playbooks'), modulesDir], {
      cwd: ROOT,
      env: { ...ENV, ANSIBLE_LIBRARY: modulesDir },
      reject: false,
    });
    assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
  });
});
