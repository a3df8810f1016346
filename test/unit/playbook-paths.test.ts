// K restores of one set at once (README "Many restores of one set (CI)"): every file the workflow
// playbooks write on the machine that runs Ansible is named for the stack (`{{ stack_name }}`), so K
// jobs sharing hotstack_work_dir (default: the playbooks' folder) never share a hand-off file; what
// they write on the controller lands on that restore's own guest. Read from the playbooks themselves:
// a new task writing a shared host path fails here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';
import { ROOT } from '../helpers/ansible.ts';

type Task = Record<string, unknown>;
type Play = { name?: string; hosts?: string; vars?: Record<string, unknown>; tasks?: Task[] };

/** Modules that write a file, and the argument naming it. */
const WRITERS: Record<string, string> = {
  copy: 'dest',
  template: 'dest',
  fetch: 'dest',
  get_url: 'dest',
  lineinfile: 'path',
  blockinfile: 'path',
  file: 'path',
  tempfile: 'path',
  unarchive: 'dest',
};

function tasksOf(tasks: Task[] = []): Task[] {
  return tasks.flatMap((task) => [
    task,
    ...tasksOf(task.block as Task[]),
    ...tasksOf(task.rescue as Task[]),
    ...tasksOf(task.always as Task[]),
  ]);
}

/** A play's variables expanded into a path, textually (`{{ a }}/{{ b | default('x') }}`), a few levels deep. */
function expand(text: string, vars: Record<string, unknown>): string {
  let out = text;
  for (let i = 0; i < 5; i++)
    out = out.replace(/\{\{\s*(\w+)[^}]*\}\}/g, (whole, name: string) => (typeof vars[name] === 'string' ? (vars[name] as string) : whole));
  return out;
}

interface Write {
  playbook: string;
  task: string;
  where: 'host' | 'controller';
  path: string;
}

function writes(): Write[] {
  const found: Write[] = [];
  for (const file of readdirSync(join(ROOT, 'playbooks')).filter((f) => f.endsWith('.yml'))) {
    const plays = (load(readFileSync(join(ROOT, 'playbooks', file), 'utf8')) as Play[]) ?? [];
    for (const play of plays) {
      for (const task of tasksOf(play.tasks)) {
        const key = Object.keys(task).find((k) => WRITERS[k.replace(/^ansible\.builtin\./, '')]);
        if (!key) continue;
        const args = task[key] as Record<string, unknown>;
        const raw = args[WRITERS[key.replace(/^ansible\.builtin\./, '')]!];
        const path = typeof raw === 'string' ? raw : String(raw ?? '');
        const where = task.delegate_to === 'localhost' || play.hosts === 'localhost' ? 'host' : 'controller';
        found.push({ playbook: file, task: String(task.name), where, path: expand(path, (play.vars ?? {}) as Record<string, unknown>) });
      }
    }
  }
  return found;
}

describe('per-stack paths of the workflow playbooks', () => {
  const all = writes();

  it('every file written on the host running Ansible is named for the stack', () => {
    const host = all.filter((w) => w.where === 'host');
    // the hand-off files: 01's outputs, 03's prepare record, 04's set (saved, or its failure)
    assert.ok(host.length >= 4, JSON.stringify(host));
    for (const w of host) assert.match(w.path, /stack_name/, `${w.playbook}: "${w.task}" writes ${w.path}, shared by every stack`);
  });

  it('what is written on the controller stays under its own home, on that restore’s own guest', () => {
    const controller = all.filter((w) => w.where === 'controller');
    assert.ok(controller.length > 0);
    for (const w of controller) assert.match(w.path, /^~\//, `${w.playbook}: "${w.task}" writes ${w.path}`);
  });

  it('no playbook names a fixed temporary path', () => {
    for (const file of readdirSync(join(ROOT, 'playbooks')).filter((f) => f.endsWith('.yml'))) {
      const text = readFileSync(join(ROOT, 'playbooks', file), 'utf8');
      assert.doesNotMatch(text, /\/tmp\/|\/var\/tmp\//, file);
    }
  });
});
