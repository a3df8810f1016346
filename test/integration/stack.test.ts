// hotstack_stack on devcloud's Heat through ansible-playbook: create, outputs, no-op re-run, a real
// update followed to its own end, a failing resource reported with its reason, check mode, delete.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { devcloudConnection, devcloudEnv, uniqueSuffix } from '../../labs/devcloud/devcloud.ts';
import type { Connection } from '../../lib/openstack/connect.ts';
import { runModuleTask } from '../helpers/ansible.ts';

const TEMPLATE = `heat_template_version: 2018-08-31
parameters:
  greeting: {type: string}
  controller_params: {type: json, default: {image: hotstack-controller}}
  fail: {type: boolean, default: false}
resources:
  hello:
    type: OS::Heat::Value
    properties: {value: {get_param: greeting}}
  motd:
    type: OS::Heat::Value
    properties: {value: {get_file: files/motd.txt}}
  maybe-broken:
    type: OS::Heat::TestResource
    properties:
      fail: {get_param: fail}
      value: {get_param: greeting}
outputs:
  greeting: {value: {get_attr: [hello, value]}}
  motd: {value: {get_attr: [motd, value]}}
  image: {value: {get_param: [controller_params, image]}}
  snapset_data:
    value:
      instances:
        controller: {uuid: {get_resource: hello}, role: controller}
`;

describe('hotstack_stack on devcloud', { timeout: 600_000 }, () => {
  let conn: Connection;
  const name = `wfstack-${uniqueSuffix()}`;
  const dir = mkdtempSync(join(tmpdir(), 'hotstack-stack-'));
  const template = join(dir, 'heat_template.yaml');
  const stack = (args: Record<string, unknown>, check = false) =>
    runModuleTask('hotstack_stack', { name, template, ...args }, { env: devcloudEnv(), check });

  before(() => {
    conn = devcloudConnection();
    writeFileSync(template, TEMPLATE);
    mkdirSync(join(dir, 'files'));
    writeFileSync(join(dir, 'files/motd.txt'), 'welcome');
  });
  after(async () => {
    const existing = await conn.heat.getStack(name).catch(() => undefined);
    if (existing) await conn.heat.deleteStack(existing.stack_name, existing.id).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  test('check mode on a new stack creates nothing', async () => {
    const run = (await stack({ parameters: { greeting: 'hi' } }, true)).result!;
    assert.equal(run.failed, false, JSON.stringify(run));
    assert.equal(run.action, 'would create');
    assert.equal(await conn.heat.getStack(name), undefined);
  });

  test('creates the stack, waits for CREATE_COMPLETE and returns every output (get_file included)', async () => {
    const run = (await stack({ parameters: { greeting: 'hi', controller_params: { image: 'snap-1' } } })).result!;
    assert.equal(run.failed, false, JSON.stringify(run));
    assert.equal(run.action, 'created');
    assert.equal((run.stack as Record<string, unknown>).status, 'CREATE_COMPLETE');
    const outputs = run.outputs as Record<string, unknown>;
    assert.equal(outputs.greeting, 'hi');
    assert.equal(outputs.motd, 'welcome');
    assert.equal(outputs.image, 'snap-1');
    assert.match(String((outputs.snapset_data as { instances: { controller: { uuid: string } } }).instances.controller.uuid), /\S/);
  });

  test('the same run again changes nothing (Heat preview), and returns the outputs', async () => {
    const run = (await stack({ parameters: { greeting: 'hi', controller_params: { image: 'snap-1' } } })).result!;
    assert.equal(run.changed, false, JSON.stringify(run));
    assert.equal(run.action, 'unchanged');
    assert.equal((run.outputs as Record<string, unknown>).greeting, 'hi');
  });

  test('a changed parameter updates the stack and waits for this update, not the previous COMPLETE', async () => {
    const check = (await stack({ parameters: { greeting: 'hello', controller_params: { image: 'snap-1' } } }, true)).result!;
    assert.equal(check.action, 'would update');
    assert.ok(
      (check.changes as { updated: string[]; replaced: string[] }).updated.length +
        (check.changes as { replaced: string[] }).replaced.length >
        0,
      JSON.stringify(check.changes),
    );
    const run = (await stack({ parameters: { greeting: 'hello', controller_params: { image: 'snap-2' } } })).result!;
    assert.equal(run.failed, false, JSON.stringify(run));
    assert.equal(run.action, 'updated');
    assert.equal((run.stack as Record<string, unknown>).status, 'UPDATE_COMPLETE');
    assert.equal((run.outputs as Record<string, unknown>).greeting, 'hello', 'the outputs are those of the new update');
    assert.equal((run.outputs as Record<string, unknown>).image, 'snap-2');
  });

  test('a failing resource fails the run with its name, type and reason', async () => {
    const run = (await stack({ parameters: { greeting: 'boom', fail: true } })).result!;
    assert.equal(run.failed, true);
    assert.match(String(run.msg), new RegExp(`stack ${name} UPDATE_FAILED`));
    assert.match(String(run.msg), /failed resources: maybe-broken \(OS::Heat::TestResource\) UPDATE_FAILED: /);
    const failed = run.failed_resources as { name: string }[];
    assert.deepEqual(
      failed.map((f) => f.name),
      ['maybe-broken'],
    );
  });

  test('a missing template and a bad one are named; nothing is created', async () => {
    const missing = (await runModuleTask('hotstack_stack', { name: `${name}-x`, template: join(dir, 'nope.yaml') }, { env: devcloudEnv() }))
      .result!;
    assert.equal(missing.failed, true);
    assert.match(String(missing.msg), /template .*nope\.yaml: cannot read it \(ENOENT\)/);
    writeFileSync(join(dir, 'bad.yaml'), 'resources: {}\n');
    const bad = (await runModuleTask('hotstack_stack', { name: `${name}-x`, template: join(dir, 'bad.yaml') }, { env: devcloudEnv() }))
      .result!;
    assert.match(String(bad.msg), /not a Heat template/);
    assert.equal(await conn.heat.getStack(`${name}-x`), undefined);
  });

  test('state=absent deletes the stack and waits until it is gone; again, nothing to do', async () => {
    const run = (await runModuleTask('hotstack_stack', { name, state: 'absent' }, { env: devcloudEnv() })).result!;
    assert.equal(run.failed, false, JSON.stringify(run));
    assert.equal(run.action, 'deleted');
    assert.equal(await conn.heat.getStack(name), undefined);
    const again = (await runModuleTask('hotstack_stack', { name, state: 'absent' }, { env: devcloudEnv() })).result!;
    assert.equal(again.changed, false);
    assert.equal(again.action, 'absent');
  });

  test('wait=false returns once Heat took the request (no outputs yet); Heat goes on with the stack', async () => {
    const requested = (await stack({ parameters: { greeting: 'later' }, wait: false })).result!;
    assert.equal(requested.failed, false, JSON.stringify(requested));
    assert.equal(requested.action, 'created');
    assert.deepEqual(requested.outputs, {});
    assert.match(String((requested.stack as { status: string }).status), /^CREATE_(IN_PROGRESS|COMPLETE)$/);
    const done = await conn.heat.waitForStack(name, /^CREATE_COMPLETE$/, { timeoutMs: 300_000 });
    assert.equal(done?.stack_status, 'CREATE_COMPLETE');
    const gone = (await runModuleTask('hotstack_stack', { name, state: 'absent', wait: false }, { env: devcloudEnv() })).result!;
    assert.equal(gone.action, 'deleted');
    await conn.heat.waitForStack(name, /^DELETE_COMPLETE$/, { timeoutMs: 300_000 }).catch(() => undefined);
  });
});
