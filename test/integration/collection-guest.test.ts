// The collection over real SSH, as a user's controller VM meets it: devcloud's Debian controller guest
// (scenario devcloud-sno, one boot), reached through devcloud-net, runs hotstack.snapset.hotstack_prepare
// and then hotstack.snapset.hotstack_revive by FQCN against the clusterlab as its OpenShift cluster
// (labs/clusterlab/deployment.ts, as the workflow's end-to-end test uses it). The first task copies
// the xz payload once into the SSH user's cache; the next copies none; become caches for root. The
// figures (first task, warm task, today's 126 MiB module file over the same SSH) go to the diagnostics.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DeploymentCluster } from '../../labs/clusterlab/deployment.ts';
import { uniqueName } from '../../labs/clusterlab/lab.ts';
import { devcloudConnection, uniqueSuffix } from '../../labs/devcloud/devcloud.ts';
import { SSH_KEY, ssh, waitForSsh } from '../../labs/devcloud/guest.ts';
import { LIBRARY, ROOT, runPlaybook } from '../helpers/ansible.ts';
import { ANSIBLE_ENV, installCollection, payloadsOf } from '../helpers/collection.ts';

type Json = Record<string, unknown>;
const MINUTE = 60_000;
const TEMPLATE = readFileSync(join(ROOT, 'scenarios/devcloud-sno/heat_template.yaml'), 'utf8');

describe('hotstack.snapset on the controller guest over SSH: prepare, then revive', { timeout: 60 * MINUTE }, () => {
  const conn = devcloudConnection();
  const suffix = uniqueSuffix();
  const dir = mkdtempSync(join(tmpdir(), 'hotstack-collection-guest-'));
  let cluster: DeploymentCluster;
  let stack: { name: string; id: string } | undefined;
  let tree: string;
  let ip: string;
  let env: Record<string, string>;

  before(async () => {
    tree = await installCollection(join(dir, 'collections'));
    env = { ...ANSIBLE_ENV, ANSIBLE_COLLECTIONS_PATH: join(dir, 'collections'), ANSIBLE_HOST_KEY_CHECKING: 'False' };
    cluster = new DeploymentCluster(uniqueName('coll'), [{ instance: 'master0', ip: '192.168.32.10' }], conn.nova);
    await cluster.start();
    cluster.writeControllerKubeconfig(join(dir, 'kubeconfig'));
    const name = `coll-guest-${suffix}`;
    const { id } = await conn.heat.createStack(name, { template: TEMPLATE, parameters: {}, timeoutMinutes: 30 });
    stack = { name, id };
    await conn.heat.waitForStack(`${name}/${id}`, /_COMPLETE$/, { timeoutMs: 30 * MINUTE, intervalMs: 3000 });
    const outputs = await conn.heat.stackOutputs(`${name}/${id}`);
    const host = outputs.controller_ansible_host as {
      name: string;
      ansible_host: string;
      ansible_ssh_user: string;
      ansible_ssh_common_args: string;
    };
    ip = host.ansible_host;
    await waitForSsh(ip, 25 * MINUTE);
    writeFileSync(
      join(dir, 'inventory.json'),
      JSON.stringify({
        controllers: {
          hosts: {
            controller: {
              ansible_host: ip,
              ansible_user: host.ansible_ssh_user,
              ansible_ssh_common_args: host.ansible_ssh_common_args,
              ansible_ssh_private_key_file: SSH_KEY,
              ansible_python_interpreter: '/usr/bin/python3',
            },
          },
        },
      }),
    );
  });
  after(async () => {
    await cluster?.stop();
    if (stack) {
      await conn.heat.deleteStack(stack.name, stack.id).catch(() => {});
      await conn.heat.waitForStack(`${stack.name}/${stack.id}`, /^DELETE_COMPLETE$/, { timeoutMs: 10 * MINUTE }).catch(() => {});
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** One play on the controller; returns the registered results and the wall time of the run. */
  async function play(name: string, tasks: Json[], extraEnv: Record<string, string> = {}) {
    const results = join(dir, `${name}-results.json`);
    const names = tasks.map((task) => task.register as string);
    writeFileSync(
      join(dir, `${name}.json`),
      JSON.stringify([
        {
          hosts: 'controllers',
          gather_facts: false,
          tasks: [
            ...tasks.map((task) => ({ ignore_errors: true, ...task })),
            {
              name: 'save the results',
              'ansible.builtin.copy': { content: `{{ {${names.map((n) => `'${n}': ${n}`).join(', ')}} | to_json }}`, dest: results },
              delegate_to: 'localhost',
            },
          ],
        },
      ]),
    );
    const started = Date.now();
    const run = await runPlaybook(join(dir, `${name}.json`), {
      env: { ...env, ...extraEnv },
      inventory: join(dir, 'inventory.json'),
      resultFile: results,
      timeoutMs: 20 * MINUTE,
      verbosity: 3,
    });
    const puts = run.output.split('\n').filter((line) => /PUT .*hotstack-modules\.xz/.test(line)).length;
    return { ...run, seconds: (Date.now() - started) / 1000, payloadPuts: puts, results: (run.result ?? {}) as Record<string, Json> };
  }
  const selectors = () => ({ kubeconfig: '~/.kube/config', node_selector: cluster.selector, operator_selector: cluster.selector });

  test('prepare on the controller: the first task copies the payload once; the node is cordoned and shut down', async (t) => {
    const run = await play('prepare', [
      { name: 'the kubeconfig folder', 'ansible.builtin.file': { path: '~/.kube', state: 'directory', mode: '0700' }, register: 'kubedir' },
      {
        name: 'the kubeconfig',
        'ansible.builtin.copy': { src: join(dir, 'kubeconfig'), dest: '~/.kube/config', mode: '0600' },
        register: 'kubeconfig',
      },
      { name: 'prepare', 'hotstack.snapset.hotstack_prepare': selectors(), register: 'prepared' },
    ]);
    assert.equal(run.exitCode, 0, run.output);
    const prepared = run.results.prepared!;
    assert.equal(prepared.failed, false, JSON.stringify(prepared));
    assert.equal(prepared.changed, true);
    const payload = payloadsOf(tree).x86_64!;
    assert.equal((prepared.hotstack_snapset_payload as Json).bytes_copied, payload.size);
    assert.equal(run.payloadPuts, 1);
    assert.ok(
      cluster.kubelets.get('master0')!.journal.some((e) => e.event === 'shutdown-scheduled'),
      'master0 got its shutdown pod',
    );
    assert.equal((await cluster.node('master0')).spec?.unschedulable, true, 'master0 cordoned');
    const cached = await ssh(ip, `test -x ~/.cache/hotstack-snapset/${payload.sha256}/hotstack-modules && echo cached`, 'zuul');
    assert.equal(cached.stdout.trim(), 'cached', cached.stderr);
    t.diagnostic(
      `first run (kubeconfig copy + prepare, payload ${(payload.size / 1e6).toFixed(1)} MB over SSH): ${run.seconds.toFixed(1)} s`,
    );
  });

  test('revive on the controller: warm, no payload; the restored node is approved, Ready and uncordoned', async (t) => {
    const restored = cluster.bootRestored({}).catch(() => undefined);
    const run = await play('revive', [{ name: 'revive', 'hotstack.snapset.hotstack_revive': selectors(), register: 'revived' }]);
    await restored;
    assert.equal(run.exitCode, 0, run.output);
    const revived = run.results.revived!;
    assert.equal(revived.failed, false, JSON.stringify(revived));
    assert.equal(revived.hotstack_snapset_payload, undefined);
    assert.equal(run.payloadPuts, 0);
    const node = await cluster.node('master0');
    assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'master0 Ready');
    assert.ok(!node.spec?.unschedulable, 'master0 uncordoned');
    t.diagnostic(`revive run (warm): ${run.seconds.toFixed(1)} s`);
  });

  test('become caches for root; a warm task is far quicker than copying today’s module file', async (t) => {
    const payload = payloadsOf(tree).x86_64!;
    const bogus = { bogus_option: true };
    const became = await play('become', [{ name: 'as root', 'hotstack.snapset.hotstack_prepare': bogus, become: true, register: 'root' }]);
    assert.match(String(became.results.root!.msg), /Unsupported parameters for \(hotstack_prepare\) module: bogus_option/);
    assert.equal(
      (became.results.root!.hotstack_snapset_payload as Json | undefined)?.bytes_copied,
      undefined,
      'failed results carry no payload note',
    );
    assert.equal(became.payloadPuts, 1, "root's cache is its own");
    const root = await ssh(ip, `sudo -n test -x /root/.cache/hotstack-snapset/${payload.sha256}/hotstack-modules && echo cached`, 'zuul');
    assert.equal(root.stdout.trim(), 'cached', root.stderr);
    const warm = await play('warm', [{ name: 'warm', 'hotstack.snapset.hotstack_prepare': bogus, register: 'warm' }]);
    assert.match(String(warm.results.warm!.msg), /Unsupported parameters/);
    assert.equal(warm.payloadPuts, 0);
    // Today's route: the 126 MiB executable as a library module, copied by Ansible for the task.
    const today = await play('today', [{ name: 'today', hotstack_prepare: bogus, register: 'today' }], { ANSIBLE_LIBRARY: LIBRARY });
    assert.match(String(today.results.today!.msg), /Unsupported parameters/);
    t.diagnostic(
      `one failing-fast task over SSH: warm collection ${warm.seconds.toFixed(1)} s, first as root ${became.seconds.toFixed(1)} s, today's module file ${today.seconds.toFixed(1)} s`,
    );
    assert.ok(warm.seconds < today.seconds, 'warm task quicker than copying 126 MiB');
  });
});
