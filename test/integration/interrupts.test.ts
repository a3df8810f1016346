// Issue 11 on devcloud: a run interrupted by a signal, or whose request was lost on the wire, leaves
// nothing half-made. The built executable is run as Ansible runs it (argv[1] = args file) and
// signalled as Ctrl-C, an async timeout or a CI cancel would; the outcome is judged through Glance
// and Nova alone.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa, type ResultPromise } from 'execa';
import {
  bigImage,
  bootDeployment,
  cleanEnv,
  cleanup,
  type Deployment,
  devcloudConnection,
  devcloudEnv,
  imagesNamedFor,
  service,
} from '../../labs/devcloud/devcloud.ts';
import type { Connection } from '../../lib/openstack/connect.ts';
import { taskState } from '../../lib/openstack/nova.ts';
import { sleep } from '../../lib/poll.ts';
import { LIBRARY, ROOT, requireBuilt } from '../helpers/ansible.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hotstack-interrupts-'));

/** Starts the module executable in the background with these arguments. */
function start(args: Record<string, unknown>): ResultPromise<{ reject: false; stripFinalNewline: false }> {
  const argsFile = join(tmp, `args-${Date.now()}-${Math.random().toString(16).slice(2)}`);
  writeFileSync(argsFile, JSON.stringify({ _ansible_module_name: 'hotstack_snapset', ...args }));
  return execa(requireBuilt('hotstack_snapset'), [argsFile], {
    env: { ...cleanEnv(), ...devcloudEnv() },
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    timeout: 600_000,
    cwd: ROOT,
    // execa would SIGKILL 5 s after a SIGTERM: the module must get all the time it takes.
    forceKillAfterDelay: false,
  });
}

/** The one JSON line a module must print. */
function oneResult(stdout: string): Record<string, unknown> {
  const lines = stdout.split('\n');
  assert.equal(lines.length, 2, `exactly one line on stdout: ${JSON.stringify(stdout)}`);
  assert.equal(lines[1], '');
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

/** Waits (bounded) until the run has asked for its first image. */
async function firstImageOf(conn: Connection, deployment: Deployment): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if ((await imagesNamedFor(conn, deployment.suffix)).length > 0) return;
    await sleep(50);
  }
  assert.fail('no snapshot started within 60 s');
}

/** Every server of the deployment SHUTOFF and without a task. */
async function assertServersIdle(conn: Connection, deployment: Deployment): Promise<void> {
  for (const server of deployment.servers) {
    const now = await conn.nova.getServer(server.id);
    assert.equal(now?.status, 'SHUTOFF', `${server.name} is SHUTOFF`);
    assert.equal(now && taskState(now), null, `${server.name} has no task left`);
  }
}

describe('interrupts and lost requests on devcloud', { timeout: 1_500_000 }, () => {
  let conn: Connection;
  const deployments: Deployment[] = [];
  before(() => {
    conn = devcloudConnection();
  });
  after(async () => {
    for (const deployment of deployments) await cleanup(conn, deployment);
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} mid-run: one failure naming the signal, no image of the run left, servers SHUTOFF without a task`, async (t) => {
      const deployment = await bootDeployment(
        conn,
        { controller: 'controller', master0: 'ocp_master', master1: 'ocp_master' },
        { image: await bigImage(conn) },
      );
      deployments.push(deployment);
      const run = start({ snapset_data: deployment.snapsetData });
      await firstImageOf(conn, deployment);
      const sentAt = Date.now();
      run.kill(signal);
      const done = await run;
      const result = oneResult(done.stdout);
      t.diagnostic(`ended ${((Date.now() - sentAt) / 1000).toFixed(1)} s after ${signal}: ${String(result.msg)}`);
      assert.equal(done.exitCode, 1, done.stderr);
      assert.equal(result.failed, true);
      assert.equal(result.signal, signal);
      assert.match(String(result.msg), new RegExp(`^interrupted by ${signal}; removed the [1-3] image\\(s\\) this run had created: `));
      const removed = result.removed_images as string[];
      assert.ok(removed.length >= 1 && removed.length <= 3, JSON.stringify(result));
      assert.equal(result.kept_images, undefined);
      assert.equal(typeof (result.stats as { wall_seconds: number }).wall_seconds, 'number');
      assert.match(done.stderr, new RegExp(`received ${signal}: starting no new work`));

      assert.deepEqual(await imagesNamedFor(conn, deployment.suffix), [], 'no image of the run, in any status');
      for (const id of removed) assert.equal(await conn.glance.getImage(id), undefined);
      await assertServersIdle(conn, deployment);
      // Nothing shows up later either.
      await sleep(10_000);
      assert.deepEqual(await imagesNamedFor(conn, deployment.suffix), [], 'no late image');
      await assertServersIdle(conn, deployment);
    });
  }

  test('Ctrl-C on ansible-playbook (SIGINT to its process group): the module still removes what the run made', async (t) => {
    const deployment = await bootDeployment(conn, { controller: 'controller', master0: 'ocp_master' }, { image: await bigImage(conn) });
    deployments.push(deployment);
    const playbook = join(tmp, `ctrl-c-${deployment.suffix}.yml`);
    writeFileSync(
      playbook,
      JSON.stringify([
        {
          name: 'ctrl-c',
          hosts: 'localhost',
          gather_facts: false,
          tasks: [{ name: 'snapshot', hotstack_snapset: { snapset_data: deployment.snapsetData } }],
        },
      ]),
    );
    // As a terminal does: ansible-playbook and everything it starts share one process group.
    const play = execa('ansible-playbook', ['-i', join(ROOT, 'inventory.yml'), playbook], {
      cwd: ROOT,
      detached: true,
      reject: false,
      all: true,
      timeout: 600_000,
      forceKillAfterDelay: false,
      extendEnv: false,
      env: {
        ...cleanEnv(),
        ...devcloudEnv(),
        LANG: 'C.UTF-8',
        LC_ALL: 'C.UTF-8',
        ANSIBLE_CONFIG: join(ROOT, 'ansible.cfg'),
        ANSIBLE_LIBRARY: LIBRARY,
        ANSIBLE_NOCOLOR: '1',
      },
    });
    await firstImageOf(conn, deployment);
    process.kill(-play.pid!, 'SIGINT');
    const done = await play;
    assert.notEqual(done.exitCode, 0, done.all);
    // ansible-playbook does not wait for the module's rollback: give it the time the module takes.
    let left = await imagesNamedFor(conn, deployment.suffix);
    for (let i = 0; i < 90 && left.length > 0; i++) {
      await sleep(1_000);
      left = await imagesNamedFor(conn, deployment.suffix);
    }
    t.diagnostic(
      `ansible-playbook exit ${done.exitCode}: ${(done.all ?? '')
        .split('\n')
        .filter((line) => /ERROR|interrupted/i.test(line))
        .join(' | ')}`,
    );
    assert.deepEqual(
      left.map((image) => `${image.name} ${image.status}`),
      [],
      'no image of the run is left',
    );
    for (let i = 0; i < 60; i++) {
      const busy = await Promise.all(deployment.servers.map(async (server) => taskState((await conn.nova.getServer(server.id))!)));
      if (busy.every((task) => task === null)) break;
      await sleep(1_000);
    }
    await assertServersIdle(conn, deployment);
  });

  test('a second signal ends the run at once, still with one JSON failure', async () => {
    const deployment = await bootDeployment(conn, { controller: 'controller', master0: 'ocp_master' }, { image: await bigImage(conn) });
    deployments.push(deployment);
    const run = start({ snapset_data: deployment.snapsetData });
    await firstImageOf(conn, deployment);
    run.kill('SIGTERM');
    await sleep(100);
    const second = Date.now();
    run.kill('SIGTERM');
    const done = await run;
    assert.ok(Date.now() - second < 3_000, `ended within 3 s of the second signal (${Date.now() - second} ms)`);
    assert.equal(done.exitCode, 143);
    const result = oneResult(done.stdout);
    assert.equal(result.failed, true);
    assert.equal(result.signal, 'SIGTERM');
    assert.match(
      String(result.msg),
      /^interrupted by SIGTERM, then SIGTERM during the rollback: ended at once; .*see "Interrupted runs" in the README/,
    );
    // What such a run may leave is what the README's clean-up finds: images carrying its snap_id.
    // (cleanup() in after() removes them.)
  });

  test('nova-api restarted while createImage calls are in flight: no image of the run is left, late ones included; a server left busy is named with how to clear it', async (t) => {
    // Bounded: at most 3 restarts of the shared nova-api. Each attempt kills it at a slightly
    // different moment after the run starts sending createImage, to catch requests mid-way.
    let exercised = false;
    for (const delayMs of [0, 150, 400]) {
      const deployment = await bootDeployment(conn, {
        controller: 'controller',
        master0: 'ocp_master',
        master1: 'ocp_master',
        master2: 'ocp_master',
      });
      deployments.push(deployment);
      const run = start({ snapset_data: deployment.snapsetData });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the run did not start creating images within 120 s')), 120_000);
        run.stderr.on('data', (chunk: Buffer) => {
          if (/creating set/.test(chunk.toString())) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await sleep(delayMs);
      await service('restart', 'nova-api');
      const done = await run;
      const result = oneResult(done.stdout);
      if (!result.failed) {
        t.diagnostic(`restart ${delayMs} ms after the start: every createImage was answered first; the set was made`);
        continue;
      }
      exercised = true;
      t.diagnostic(`restart ${delayMs} ms after the start: ${String(result.msg)}`);
      assert.match(String(result.msg), /cannot snapshot instance \S+ \(uuid [0-9a-f-]+\)/);
      assert.deepEqual(await imagesNamedFor(conn, deployment.suffix), [], 'no image of the run once the module has ended');
      await sleep(15_000);
      assert.deepEqual(await imagesNamedFor(conn, deployment.suffix), [], 'and none appears later');

      // Every server still busy is reported, with the way to clear it; the advice works.
      const stuck = (result.stuck_servers ?? []) as { name: string; uuid: string; task_state: string; how_to_clear: string }[];
      for (const server of deployment.servers) {
        const now = await conn.nova.getServer(server.id);
        const reported = stuck.find((entry) => entry.uuid === server.id);
        if (now && taskState(now)) assert.ok(reported, `${server.name} is busy (${taskState(now)}) and must be reported`);
      }
      for (const entry of stuck) {
        t.diagnostic(`stuck: ${entry.name} ${entry.task_state}`);
        assert.match(String(result.msg), new RegExp(`${entry.name} \\(uuid ${entry.uuid}\\) in task ${entry.task_state}`));
        assert.match(
          entry.how_to_clear,
          new RegExp(`openstack server set --state active ${entry.uuid} && openstack server stop ${entry.uuid}`),
        );
        // The same two calls the advice names, as the admin: reset-state, then stop.
        await conn.session.request('compute', {
          method: 'POST',
          path: `/servers/${entry.uuid}/action`,
          json: { 'os-resetState': { state: 'active' } },
        });
        await conn.nova.stopServer(entry.uuid);
        await conn.nova.waitForServer(entry.uuid, 'SHUTOFF', { timeoutMs: 120_000 });
      }
      break;
    }
    assert.ok(exercised, 'in one of 3 attempts the restart cut createImage calls in flight');
  });
});
