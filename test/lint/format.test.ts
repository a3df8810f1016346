// Biome (biome.json: lint and format in one tool) over the whole tree, minus what biome.json and
// .gitignore leave out. `npm run format` fixes what it can.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { ROOT } from '../helpers/ansible.ts';

const FORMATTED = ['.'];

test('biome check: lint and format of the sources held to it', async () => {
  const run = await execa(join(ROOT, 'node_modules/.bin/biome'), ['check', '--colors=off', ...FORMATTED], { cwd: ROOT, reject: false });
  assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
});
