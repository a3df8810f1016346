// Biome (biome.json: lint and format in one tool) over the TypeScript sources. Until the tree-wide
// format pass, only the files listed in FORMATTED are held to it; after that pass the list becomes
// ['.'] (the whole tree, minus what biome.json and .gitignore leave out).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { ROOT } from '../helpers/ansible.ts';

const FORMATTED = [
  'lib/openstack/config',
  'lib/openstack/clouds.ts',
  'lib/ansible/sidecar.ts',
  'test/unit/clouds.test.ts',
  'test/unit/cloud-options.test.ts',
  'test/unit/clouds-oracle.test.ts',
  'test/unit/examples.test.ts',
  'test/integration/playbooks-check.test.ts',
  'test/integration/cloud-options.test.ts',
  'test/lint',
];

test('biome check: lint and format of the sources held to it', async () => {
  const run = await execa(join(ROOT, 'node_modules/.bin/biome'), ['check', '--colors=off', ...FORMATTED], { cwd: ROOT, reject: false });
  assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
});
