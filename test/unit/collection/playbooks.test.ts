// The collection's copies of the workflow playbooks (lib/collection/playbooks.ts), checked on the
// repository's real playbooks: every module task by FQCN, imports by FQCN, no playbook_dir left.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { load } from 'js-yaml';
import { collectionPlaybook, collectionPlaybookFile, collectionPlaybookFqcn, galaxyYml } from '../../../lib/collection/playbooks.ts';
import { MODULES } from '../../../modules/registry.ts';
import { ROOT } from '../../helpers/ansible.ts';

const MODULE_NAMES = Object.keys(MODULES);
const PLAYBOOKS = readdirSync(join(ROOT, 'playbooks')).filter((f) => f.endsWith('.yml'));

test('playbook names inside the collection are what ansible-playbook accepts by FQCN', () => {
  assert.equal(collectionPlaybookFile('04-create-snapset.yml'), '04_create_snapset.yml');
  assert.equal(collectionPlaybookFqcn('01-infra.yml'), 'hotstack.snapset.01_infra');
  for (const file of readdirSync(join(ROOT, 'playbooks')).filter((f) => f.endsWith('.yml')))
    assert.match(collectionPlaybookFqcn(file), /^hotstack\.snapset\.\w+$/, file);
});

type Task = Record<string, unknown> & { block?: Task[]; rescue?: Task[]; always?: Task[] };
const tasksOf = (tasks: Task[] = []): Task[] =>
  tasks.flatMap((task) => [task, ...tasksOf(task.block), ...tasksOf(task.rescue), ...tasksOf(task.always)]);

for (const file of readdirSync(join(ROOT, 'playbooks')).filter((f) => f.endsWith('.yml'))) {
  test(`${file} ships in the collection with FQCN modules and imports`, () => {
    const original = readFileSync(join(ROOT, 'playbooks', file), 'utf8');
    const shipped = collectionPlaybook(original, file, MODULE_NAMES, PLAYBOOKS);
    const plays = load(shipped) as (Record<string, unknown> & { tasks?: Task[] })[];
    const originalPlays = load(original) as (Record<string, unknown> & { tasks?: Task[] })[];
    assert.equal(plays.length, originalPlays.length);
    const keys = plays.flatMap((play) => tasksOf(play.tasks).flatMap((task) => Object.keys(task)));
    const originalKeys = originalPlays.flatMap((play) => tasksOf(play.tasks).flatMap((task) => Object.keys(task)));
    // Same tasks, each module now by its FQCN.
    assert.deepEqual(
      keys,
      originalKeys.map((key) => (MODULE_NAMES.includes(key) ? `hotstack.snapset.${key}` : key)),
    );
    assert.ok(!keys.some((key) => MODULE_NAMES.includes(key)));
    for (const play of plays) {
      const imported = play['ansible.builtin.import_playbook'];
      if (imported !== undefined && !String(imported).startsWith('{{')) assert.match(String(imported), /^hotstack\.snapset\.\w+$/);
    }
    assert.doesNotMatch(shipped, /\{\{[^}]*playbook_dir/);
    assert.doesNotMatch(shipped, /'\.\.\//);
    for (const name of PLAYBOOKS) assert.ok(!shipped.includes(`'${name}'`), `${name} named by FQCN`);
    assert.equal(shipped.split('\n').length, original.split('\n').length, 'line for line, the final newline kept');
  });
}

test('a module task or import the rules do not cover stops the build, naming it', () => {
  const playbook = '- name: x\n  ansible.builtin.import_playbook: "{{ x }}.yml"\n';
  assert.throws(
    () => collectionPlaybook(playbook, 'x.yml', MODULE_NAMES, PLAYBOOKS),
    /x\.yml: cannot ship in the collection as is: import of/,
  );
  const dir = '- hosts: all\n  vars:\n    d: "{{ playbook_dir }}/x"\n';
  assert.throws(() => collectionPlaybook(dir, 'y.yml', MODULE_NAMES, PLAYBOOKS), /y\.yml: .*playbook_dir/);
});

test('galaxy.yml carries the version and the required keys', () => {
  const galaxy = load(galaxyYml('1.2.3', 'd')) as Record<string, unknown>;
  assert.deepEqual(
    { namespace: galaxy.namespace, name: galaxy.name, version: galaxy.version, license: galaxy.license },
    { namespace: 'hotstack', name: 'snapset', version: '1.2.3', license: ['Apache-2.0'] },
  );
});
