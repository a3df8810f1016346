// devcloud's Debian controller guest through the real cloud, in Hotstack's own flow: the scenario
// scenarios/devcloud-sno (Heat: machine network, ports with fixed MACs and IPs, a controller with config
// drive and user_data, a blank master) → SSH and Ansible through the namespace devcloud-net → a clean
// ACPI poweroff on `server stop` → a snapshot → the stack deleted and created again from the same
// template with the snapshot as the controller image: new ports, same MACs, the data written before.
// Guests run under TCG on 2 shared cores: a boot to SSH takes 1-2 min on a quiet machine and much more
// on a loaded one, hence the long timeouts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { cleanEnv, devcloudConnection, uniqueSuffix } from '../../labs/devcloud/devcloud.ts';
import { CONTROLLER_FLAVOR, consoleLog, guestRssMiB, NS_ADDR, SSH_KEY, ssh, waitForSsh } from '../../labs/devcloud/guest.ts';
import { ROOT } from '../helpers/ansible.ts';

const conn = devcloudConnection();
const TEMPLATE = readFileSync(join(ROOT, 'scenarios/devcloud-sno/heat_template.yaml'), 'utf8');
const MINUTE = 60_000;

interface AnsibleHost {
  name: string;
  ansible_host: string;
  ansible_ssh_user: string;
  ansible_ssh_common_args: string;
  groups: string;
}
interface SnapsetData {
  instances: Record<string, { uuid: string; role: string; mac_address: string }>;
}

/** Creates the scenario's stack; `created` hears of it before the wait, so a failed stack is cleaned up too. */
async function createScenario(
  name: string,
  created: (stack: { name: string; id: string }) => void,
  parameters: Record<string, unknown> = {},
) {
  const { id } = await conn.heat.createStack(name, { template: TEMPLATE, parameters, timeoutMinutes: 30 });
  created({ name, id });
  await conn.heat.waitForStack(`${name}/${id}`, /_COMPLETE$/, { timeoutMs: 30 * MINUTE, intervalMs: 3000 });
  const outputs = await conn.heat.stackOutputs(`${name}/${id}`);
  return { name, id, host: outputs.controller_ansible_host as AnsibleHost, data: outputs.snapset_data as SnapsetData };
}

async function deleteScenario(stack: { name: string; id: string } | undefined) {
  if (!stack) return;
  await conn.heat.deleteStack(stack.name, stack.id).catch(() => {});
  await conn.heat.waitForStack(`${stack.name}/${stack.id}`, /^DELETE_COMPLETE$/, { timeoutMs: 10 * MINUTE }).catch(() => {});
}

async function portsOf(serverId: string) {
  const response = await conn.session.request('network', { method: 'GET', path: `/v2.0/ports?device_id=${serverId}` });
  return (response.body as { ports: { id: string; mac_address: string; status: string }[] }).ports;
}

test('devcloud-sno: the controller answers SSH and Ansible through devcloud-net, stops cleanly, and its snapshot boots on new ports with the same MAC and its data', {
  timeout: 90 * MINUTE,
}, async (t) => {
  const suffix = uniqueSuffix();
  let stack: { name: string; id: string } | undefined;
  let restored: { name: string; id: string } | undefined;
  let snapshotId: string | undefined;
  t.after(async () => {
    await deleteScenario(stack);
    await deleteScenario(restored);
    if (snapshotId) await conn.glance.deleteImage(snapshotId).catch(() => {});
  });

  // ---- the scenario: outputs shaped as Hotstack's, and what they say is what Nova and Neutron have
  let started = Date.now();
  const first = await createScenario(`devnet-sno-${suffix}`, (s) => {
    stack = s;
  });
  t.diagnostic(`stack CREATE_COMPLETE after ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const { controller, master0 } = first.data.instances;
  assert.deepEqual(Object.keys(first.data.instances).sort(), ['controller', 'master0']);
  assert.equal(controller?.role, 'controller');
  assert.equal(controller?.mac_address, 'fa:16:9e:81:f6:05');
  assert.equal(master0?.role, 'ocp_master');
  assert.equal(master0?.mac_address, 'fa:16:9e:81:f6:10');
  for (const instance of [controller!, master0!]) {
    assert.equal((await conn.nova.getServer(instance.uuid))?.status, 'ACTIVE');
    assert.ok((await portsOf(instance.uuid)).some((p) => p.mac_address === instance.mac_address && p.status === 'ACTIVE'));
  }
  const host = first.host;
  assert.equal(host.name, 'controller-0');
  assert.equal(host.ansible_ssh_user, 'zuul');
  assert.match(host.ansible_host, /^10\.99\.0\.\d+$/);
  assert.match(host.ansible_ssh_common_args, /ProxyCommand="ip netns exec devcloud-net socat - TCP:%h:%p"/);

  // ---- SSH through the namespace (the only way in), what the guest got from its config drive
  const toSsh = await waitForSsh(host.ansible_host, 25 * MINUTE);
  t.diagnostic(
    `controller answered SSH ${((Date.now() - started) / 1000).toFixed(0)} s after the stack create (${toSsh.toFixed(0)} s of polling)`,
  );
  const facts = await ssh(host.ansible_host, 'hostname; cat /sys/class/net/*/address; cat /root/user_data.txt; python3 -c "print(3 * 7)"');
  assert.equal(facts.exitCode, 0, `ssh to the controller: ${facts.stderr}`);
  const server = await conn.nova.getServer(controller!.uuid);
  assert.match(facts.stdout, new RegExp(`^${String(server?.name).toLowerCase()}$`, 'm'), 'hostname from the config drive');
  assert.match(facts.stdout, /^fa:16:9e:81:f6:05$/m, "the fixed MAC is the guest NIC's");
  assert.match(facts.stdout, /^user_data ran on /m);
  assert.match(facts.stdout, /^21$/m, 'python3 for Ansible');
  const sudo = await ssh(host.ansible_host, 'sudo -n id -u', 'zuul');
  assert.equal(sudo.stdout.trim(), '0', 'zuul becomes root with sudo');

  // ---- Ansible with the scenario's own controller_ansible_host (its ProxyCommand)
  const dir = mkdtempSync(join(tmpdir(), 'devnet-ansible-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'inventory.json'),
    JSON.stringify({
      [host.groups]: {
        hosts: {
          [host.name]: {
            ansible_host: host.ansible_host,
            ansible_user: host.ansible_ssh_user,
            ansible_ssh_common_args: host.ansible_ssh_common_args,
            ansible_ssh_private_key_file: SSH_KEY,
          },
        },
      },
    }),
  );
  const ansible = await execa(
    'ansible',
    ['-i', join(dir, 'inventory.json'), host.groups, '-b', '-m', 'ansible.builtin.command', '-a', 'cat /root/user_data.txt'],
    {
      env: { ...cleanEnv(), LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ANSIBLE_HOST_KEY_CHECKING: 'False' },
      extendEnv: false,
      reject: false,
      timeout: 5 * MINUTE,
    },
  );
  assert.equal(ansible.exitCode, 0, ansible.stdout + ansible.stderr);
  assert.match(ansible.stdout, /controller-0 \| CHANGED \| rc=0/);

  // ---- the guest reaches a loopback-only host service through a relay on the namespace address
  const web = createServer((_req, res) => res.end(`hello-${suffix}`));
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  t.after(() => web.close());
  const nsPort = 21000 + ((web.address() as AddressInfo).port % 10000);
  const relay = join(ROOT, 'labs/devcloud/relay.sh');
  t.after(() => execa('bash', [relay, 'stop', String(nsPort)], { reject: false }));
  await execa('bash', [relay, 'start', String(nsPort), String((web.address() as AddressInfo).port)]);
  const fetched = await ssh(
    host.ansible_host,
    `python3 -c "import urllib.request; print(urllib.request.urlopen('http://${NS_ADDR}:${nsPort}/', timeout=20).read().decode())"`,
  );
  assert.equal(fetched.stdout.trim(), `hello-${suffix}`, fetched.stderr);

  // ---- memory: the TCG cache is bounded (qemu-tcg-wrapper.sh)
  const rss = await guestRssMiB(controller!.uuid);
  t.diagnostic(`controller qemu RSS ${rss} MiB`);
  assert.ok(rss !== undefined && rss < 450, `controller RSS ${rss} MiB (expected ~300 with tb-size=64)`);

  // ---- data, then a clean stop: ACPI power button → systemd poweroff → SHUTOFF
  assert.equal((await ssh(host.ansible_host, `echo written-before-${suffix} > /root/marker && sync`)).exitCode, 0);
  started = Date.now();
  await conn.nova.stopServer(controller!.uuid);
  await conn.nova.waitForServer(controller!.uuid, 'SHUTOFF', { timeoutMs: 10 * MINUTE, intervalMs: 2000 });
  t.diagnostic(`controller SHUTOFF ${((Date.now() - started) / 1000).toFixed(0)} s after server stop`);
  const console = consoleLog(controller!.uuid);
  assert.match(console, /DEVCLOUD-SHUTDOWN /, "systemd stopped the guest's units (devcloud-ready.service ExecStop)");
  assert.match(console, /reboot: Power down/, 'the kernel powered off (not a hard power-off by Nova)');

  // ---- snapshot, delete everything, create the scenario again from the snapshot
  snapshotId = await conn.nova.createImage(controller!.uuid, `devnet-sno-${suffix}-controller-snapshot`);
  const deadline = Date.now() + 15 * MINUTE;
  for (;;) {
    const image = await conn.glance.getImage(snapshotId);
    if (image?.status === 'active') break;
    if (!image || image.status === 'killed' || Date.now() > deadline) throw new Error(`snapshot ${snapshotId} is ${image?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  const oldPorts = (await portsOf(controller!.uuid)).map((p) => p.id);
  await deleteScenario(stack);
  stack = undefined;

  started = Date.now();
  const second = await createScenario(
    `devnet-sno-r-${suffix}`,
    (s) => {
      restored = s;
    },
    { controller_params: { image: snapshotId, flavor: CONTROLLER_FLAVOR } },
  );
  const revived = second.data.instances.controller!;
  assert.equal(revived.mac_address, 'fa:16:9e:81:f6:05');
  assert.notEqual(revived.uuid, controller!.uuid);
  const newPorts = await portsOf(revived.uuid);
  assert.ok(
    newPorts.every((p) => !oldPorts.includes(p.id)),
    'new ports',
  );
  assert.ok(
    newPorts.some((p) => p.mac_address === 'fa:16:9e:81:f6:05' && p.status === 'ACTIVE'),
    'same MAC, bound',
  );
  await waitForSsh(second.host.ansible_host, 25 * MINUTE);
  t.diagnostic(`restored controller answered SSH ${((Date.now() - started) / 1000).toFixed(0)} s after the stack create`);
  const after = await ssh(second.host.ansible_host, 'cat /root/marker; cat /sys/class/net/*/address; hostname');
  assert.equal(after.exitCode, 0, `ssh to the restored controller: ${after.stderr}`);
  assert.match(after.stdout, new RegExp(`^written-before-${suffix}$`, 'm'), 'the file written before the snapshot');
  assert.match(after.stdout, /^fa:16:9e:81:f6:05$/m);
  const revivedServer = await conn.nova.getServer(revived.uuid);
  assert.match(after.stdout, new RegExp(`^${String(revivedServer?.name).toLowerCase()}$`, 'm'), "the new instance's hostname");
});
