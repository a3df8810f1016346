// The example files the README points to are valid input: examples/snapset_data.yml is read as
// Ansible reads an extra vars file (YAML) and its snapset_data passes the module's own check.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { load } from 'js-yaml';
import { parseSnapsetData } from '../../lib/snapset/data.ts';

const ROOT = join(import.meta.dirname, '..', '..');

test('examples/snapset_data.yml is a valid snapset_data', () => {
  const vars = load(readFileSync(join(ROOT, 'examples', 'snapset_data.yml'), 'utf8')) as { snapset_data: unknown };
  const instances = parseSnapsetData(vars.snapset_data);
  assert.deepEqual(
    instances.map((instance) => [instance.name, instance.role]),
    [
      ['controller', 'controller'],
      ['master0', 'ocp_master'],
    ],
  );
});
