// devcloud's real Neutron: ports with fixed MACs, the linuxbridge agent across a restart and a reused
// port (the ebtables hang of labs/devcloud/NOTES.md would show here as a boot stuck until Nova's 300 s
// vif-plugging timeout), the namespace devcloud-net as the only way to the guests, and the relay
// through which a guest reaches a loopback service of the host.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { devcloudConnection, FLAVOR, IMAGE_NAME, imageIdByName, uniqueSuffix } from '../../labs/devcloud/devcloud.ts';
import {
  bootOnPorts,
  createPort,
  deletePort,
  getPort,
  NETNS,
  NS_ADDR,
  networkId,
  PROVIDER_NETWORK,
  waitPortStatus,
  waitServerGone,
} from '../../labs/devcloud/guest.ts';
import { ROOT } from '../helpers/ansible.ts';

const conn = devcloudConnection();
const randomMac = () => `fa:16:3e:7${uniqueSuffix().slice(0, 1)}:${uniqueSuffix().slice(0, 2)}:${uniqueSuffix().slice(0, 2)}`;

async function removeServerAndPort(serverId: string | undefined, portId: string | undefined) {
  if (serverId) {
    await conn.nova.deleteServer(serverId).catch(() => {});
    await waitServerGone(conn, serverId).catch(() => {});
  }
  if (portId) await deletePort(conn, portId).catch(() => {});
}

test('a server on a port with a fixed MAC goes ACTIVE, and Nova, Neutron and libvirt report that MAC', { timeout: 900_000 }, async (t) => {
  const suffix = uniqueSuffix();
  const mac = randomMac();
  const port = await createPort(conn, {
    name: `devnet-mac-${suffix}`,
    network_id: await networkId(conn, PROVIDER_NETWORK),
    mac_address: mac,
  });
  let serverId: string | undefined;
  t.after(() => removeServerAndPort(serverId, port.id));
  assert.equal(port.mac_address, mac);

  const server = await bootOnPorts(conn, {
    name: `devnet-mac-${suffix}`,
    imageRef: await imageIdByName(conn, IMAGE_NAME),
    flavorRef: FLAVOR,
    ports: [port.id],
  });
  serverId = server.id;
  // Nova waits for Neutron's network-vif-plugged event before ACTIVE; TCG on 2 shared cores is slow.
  const active = await conn.nova.waitForServer(server.id, 'ACTIVE', { timeoutMs: 600_000, intervalMs: 2000 });

  const bound = await getPort(conn, port.id);
  assert.equal(bound?.status, 'ACTIVE');
  assert.equal(bound?.device_id, server.id);
  assert.equal(bound?.['binding:vif_type'], 'bridge', 'bound by the linuxbridge mechanism driver');
  assert.equal(bound?.['binding:host_id'], 'devcloud');
  assert.equal(bound?.mac_address, mac);

  const interfaces = await conn.session.request('compute', { method: 'GET', path: `/servers/${server.id}/os-interface` });
  const attachments = (interfaces.body as { interfaceAttachments: { port_id: string; mac_addr: string }[] }).interfaceAttachments;
  assert.deepEqual(
    attachments.map((a) => [a.port_id, a.mac_addr]),
    [[port.id, mac]],
  );
  const addresses = active.addresses as Record<string, { 'OS-EXT-IPS-MAC:mac_addr': string; addr: string }[]>;
  assert.equal(addresses[PROVIDER_NETWORK]?.[0]?.['OS-EXT-IPS-MAC:mac_addr'], mac);

  const domain = String(active['OS-EXT-SRV-ATTR:instance_name']);
  const iflist = await execa('virsh', ['-c', 'qemu:///system', 'domiflist', domain]);
  assert.match(
    iflist.stdout,
    new RegExp(`bridge\\s+brq\\S+\\s+virtio\\s+${mac}`),
    'the libvirt domain has a NIC with that MAC in a linuxbridge bridge',
  );
});

test('the linuxbridge agent survives a restart with a port bound, and a reused port binds again', { timeout: 1_500_000 }, async (t) => {
  const suffix = uniqueSuffix();
  const port = await createPort(conn, {
    name: `devnet-reuse-${suffix}`,
    network_id: await networkId(conn, PROVIDER_NETWORK),
    mac_address: randomMac(),
  });
  assert.equal(port.port_security_enabled, false, 'devcloud ports have no port security (no ebtables rules: NOTES.md failure d)');
  let serverId: string | undefined;
  t.after(() => removeServerAndPort(serverId, port.id));
  const imageRef = await imageIdByName(conn, IMAGE_NAME);

  const first = await bootOnPorts(conn, { name: `devnet-reuse-a-${suffix}`, imageRef, flavorRef: FLAVOR, ports: [port.id] });
  serverId = first.id;
  await conn.nova.waitForServer(first.id, 'ACTIVE', { timeoutMs: 600_000, intervalMs: 2000 });

  // Restart the agent while the port is bound (service.sh waits until it reported to neutron-server).
  const restart = await execa('bash', [join(ROOT, 'labs/devcloud/service.sh'), 'restart', 'neutron-linuxbridge-agent'], { reject: false });
  assert.equal(restart.exitCode, 0, restart.stderr + restart.stdout);
  const agents = await conn.session.request('network', { method: 'GET', path: '/v2.0/agents?binary=neutron-linuxbridge-agent' });
  const [agent] = (agents.body as { agents: { alive: boolean; host: string }[] }).agents;
  assert.equal(agent?.alive, true);
  assert.equal(agent?.host, 'devcloud');
  // The restarted agent resyncs the tap (the port is BUILD meanwhile) and reports it up again; a hung
  // agent never does. 120 s is far above the few seconds a healthy resync takes here.
  const resynced = await waitPortStatus(conn, port.id, 'ACTIVE', 120_000);
  t.diagnostic(`the bound port was ACTIVE again ${(resynced / 1000).toFixed(1)} s after the agent reported alive`);

  // The same port on a new server: with port security on, this is where the agent hung for good and
  // Nova failed the boot after vif_plugging_timeout (300 s). A bound port in well under that proves it did not.
  await conn.nova.deleteServer(first.id);
  await waitServerGone(conn, first.id);
  const started = Date.now();
  const second = await bootOnPorts(conn, { name: `devnet-reuse-b-${suffix}`, imageRef, flavorRef: FLAVOR, ports: [port.id] });
  serverId = second.id;
  await conn.nova.waitForServer(second.id, 'ACTIVE', { timeoutMs: 600_000, intervalMs: 2000 });
  const rebound = await getPort(conn, port.id);
  assert.equal(rebound?.device_id, second.id);
  assert.equal(rebound?.status, 'ACTIVE');
  t.diagnostic(`reused port bound and server ACTIVE ${((Date.now() - started) / 1000).toFixed(1)} s after the boot request`);
  const agentLog = await execa(
    'grep',
    ['-c', 'RULE_DELETE failed', join(process.env.DEVCLOUD_STATE ?? '/tmp/devcloud', 'log/neutron-linuxbridge-agent.log')],
    { reject: false },
  );
  assert.equal(agentLog.stdout.trim(), '0', 'no failed ebtables deletes in the agent log');
});

test('guests are reachable only inside devcloud-net: no address, route or forwarding towards them in the root namespace', async () => {
  const status = await execa('bash', [join(ROOT, 'labs/devcloud/status.sh')]);
  assert.doesNotMatch(status.stdout, /NOT LOOPBACK|NOT ISOLATED/);
  assert.match(status.stdout, new RegExp(`namespace ${NETNS}: ${NS_ADDR.replace(/\./g, '\\.')}/24`));
  assert.equal((await execa('sysctl', ['-n', 'net.ipv4.ip_forward'])).stdout.trim(), '0');
  assert.equal((await execa('ip', ['netns', 'exec', NETNS, 'sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim(), '0');

  // Every root-namespace interface that carries guest traffic (veth, agent bridges, vxlan, taps) has no address.
  const links = (await execa('ip', ['-o', 'link', 'show'])).stdout.split('\n').map((l) => l.split(': ')[1]?.split('@')[0] ?? '');
  const guestIfaces = links.filter((name) => /^(prov0|brq|vxlan-|tap)/.test(name));
  assert.ok(
    guestIfaces.includes('prov0') && guestIfaces.some((n) => n.startsWith('brq')),
    `guest interfaces present: ${guestIfaces.join(' ')}`,
  );
  for (const name of guestIfaces) {
    assert.equal((await execa('ip', ['-o', 'addr', 'show', 'dev', name], { reject: false })).stdout.trim(), '', `${name} has an address`);
  }
  // The routing decision for the provider address and for the tenant range (no packet is sent: a lookup).
  for (const address of [NS_ADDR, '10.99.0.50', '192.168.32.10']) {
    const route = (await execa('ip', ['-o', 'route', 'get', address], { reject: false })).stdout;
    assert.doesNotMatch(route, /dev (prov0|brq|vxlan-|tap)/, `root namespace routes ${address} towards guests: ${route}`);
  }
  // The address lives in the namespace, with no default route out of it.
  assert.match((await execa('ip', ['-n', NETNS, '-4', '-o', 'addr'])).stdout, new RegExp(`${NS_ADDR.replace(/\./g, '\\.')}/24`));
  assert.doesNotMatch((await execa('ip', ['-n', NETNS, 'route'])).stdout, /^default/m);
  // DHCP/metadata servers listen inside their qdhcp namespaces, never in the root namespace.
  const rootListeners = (await execa('ss', ['-ltunpH'])).stdout;
  assert.doesNotMatch(rootListeners, /"(dnsmasq|haproxy|socat)"/, 'dnsmasq/haproxy/ns-side relays listen in the root namespace');
});

test('a relay lets the namespace reach a loopback-only host service, and goes away when stopped', { timeout: 60_000 }, async (t) => {
  const server = createServer((_req, res) => res.end('hello-from-loopback'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const hostPort = (server.address() as AddressInfo).port;
  const nsPort = 20000 + (hostPort % 10000);
  const relay = join(ROOT, 'labs/devcloud/relay.sh');
  t.after(() => execa('bash', [relay, 'stop', String(nsPort)], { reject: false }));
  const started = await execa('bash', [relay, 'start', String(nsPort), String(hostPort)], { reject: false });
  assert.equal(started.exitCode, 0, started.stderr);
  const fetched = await execa('ip', ['netns', 'exec', NETNS, 'curl', '-s', '--max-time', '10', `http://${NS_ADDR}:${nsPort}/`], {
    reject: false,
  });
  assert.equal(fetched.stdout, 'hello-from-loopback');
  // the relay's listener is in the namespace only
  assert.doesNotMatch((await execa('ss', ['-ltnH'])).stdout, new RegExp(`:${nsPort}\\b`));
  await execa('bash', [relay, 'stop', String(nsPort)]);
  const after = await execa('ip', ['netns', 'exec', NETNS, 'curl', '-s', '--max-time', '5', `http://${NS_ADDR}:${nsPort}/`], {
    reject: false,
  });
  assert.notEqual(after.exitCode, 0, 'nothing answers once the relay is stopped');
});

test('a relay held by several users (K restores reaching one cluster API): a second start keeps it, it stops with its last live holder', {
  timeout: 60_000,
}, async (t) => {
  const server = createServer((_req, res) => res.end('held'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const hostPort = (server.address() as AddressInfo).port;
  const nsPort = 30000 + (hostPort % 10000);
  const relay = join(ROOT, 'labs/devcloud/relay.sh');
  t.after(() => execa('bash', [relay, 'stop', String(nsPort)], { reject: false }));
  const get = () =>
    execa('ip', ['netns', 'exec', NETNS, 'curl', '-s', '--max-time', '5', `http://${NS_ADDR}:${nsPort}/`], { reject: false });
  const pidOf = () => readFileSync(join(process.env.DEVCLOUD_STATE ?? '/tmp/devcloud', `run/relay-${nsPort}.pid`), 'utf8');
  const holderA = `a-${uniqueSuffix()}`;
  const holderB = `b-${uniqueSuffix()}`;
  assert.equal((await execa('bash', [relay, 'start', String(nsPort), String(hostPort), holderA], { reject: false })).exitCode, 0);
  const first = pidOf();
  const second = await execa('bash', [relay, 'start', String(nsPort), String(hostPort), holderB], { reject: false });
  assert.equal(second.exitCode, 0, second.stderr);
  assert.match(second.stdout, new RegExp(`already runs; held by: .*${holderB}`));
  assert.equal(pidOf(), first, 'the running relay was not restarted');
  // another target while both hold it: refused, naming them
  const moved = await execa('bash', [relay, 'start', String(nsPort), String(hostPort + 1), 'c'], { reject: false });
  assert.notEqual(moved.exitCode, 0);
  assert.match(moved.stderr, new RegExp(`held by .*${holderA}`));
  assert.match((await execa('bash', [relay, 'list'])).stdout, new RegExp(`:${nsPort} → 127.0.0.1:${hostPort} \\(held by .*${holderB}`));
  const keptFor = await execa('bash', [relay, 'stop', String(nsPort), holderA]);
  assert.match(keptFor.stdout, new RegExp(`kept: still held by ${holderB}`));
  assert.equal((await get()).stdout, 'held', 'B still reaches the service');
  // a holder whose process is gone does not pin the relay
  await execa('bash', [relay, 'start', String(nsPort), String(hostPort), 'ghost'], { env: { RELAY_HOLDER_PID: '999999999' } });
  await execa('bash', [relay, 'stop', String(nsPort), holderB]);
  assert.notEqual((await get()).exitCode, 0, 'stopped with its last live holder');
  // started without a holder (up.sh's DEVCLOUD_RELAYS, an old caller), then held: kept until a stop without one
  await execa('bash', [relay, 'start', String(nsPort), String(hostPort)]);
  await execa('bash', [relay, 'start', String(nsPort), String(hostPort), holderA]);
  assert.match((await execa('bash', [relay, 'stop', String(nsPort), holderA])).stdout, /kept: still held by started-without-holder/);
  assert.equal((await get()).stdout, 'held');
  await execa('bash', [relay, 'stop', String(nsPort)]);
  assert.notEqual((await get()).exitCode, 0, 'a stop without a holder stops it');
});
