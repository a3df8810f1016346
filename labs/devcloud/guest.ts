// Test fixtures for devcloud's real networking and its Debian controller guest: Neutron ports (the
// project's client has no Neutron module, so these are plain session requests), servers on ports, SSH
// through the namespace devcloud-net, and what the host can see of a guest (console log, qemu RSS).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Connection } from '../../lib/openstack/connect.ts';
import type { Server } from '../../lib/openstack/nova.ts';
import { DEVCLOUD_STATE } from './devcloud.ts';

export const NETNS = 'devcloud-net';
export const NS_ADDR = '10.99.0.1';
export const PROVIDER_NETWORK = 'devcloud-provider';
export const CONTROLLER_IMAGE = 'devcloud-controller';
export const CONTROLLER_FLAVOR = 'devcloud-controller';
export const KEYPAIR = 'devcloud';
export const SSH_KEY = join(DEVCLOUD_STATE, 'ssh', 'id_ed25519');
/** The ProxyCommand that Ansible/ssh use to reach a guest: the TCP connection is made inside devcloud-net. */
export const PROXY_COMMAND = `ip netns exec ${NETNS} socat - TCP:%h:%p`;

export interface Port {
  id: string;
  mac_address: string;
  status: string;
  device_id: string;
  fixed_ips: { ip_address: string; subnet_id: string }[];
  port_security_enabled?: boolean;
  'binding:vif_type'?: string;
  'binding:host_id'?: string;
}

export async function networkId(conn: Connection, name: string): Promise<string> {
  const response = await conn.session.request('network', { method: 'GET', path: `/v2.0/networks?name=${encodeURIComponent(name)}` });
  const [network] = (response.body as { networks: { id: string }[] }).networks;
  if (!network) throw new Error(`no network named ${name} on devcloud (run labs/devcloud/up.sh)`);
  return network.id;
}

export async function createPort(
  conn: Connection,
  fields: { name: string; network_id: string; mac_address?: string; ip_address?: string },
): Promise<Port> {
  const port: Record<string, unknown> = { name: fields.name, network_id: fields.network_id, port_security_enabled: false };
  if (fields.mac_address) port.mac_address = fields.mac_address;
  if (fields.ip_address) port.fixed_ips = [{ ip_address: fields.ip_address }];
  const response = await conn.session.request('network', { method: 'POST', path: '/v2.0/ports', json: { port } });
  return (response.body as { port: Port }).port;
}

export async function getPort(conn: Connection, id: string): Promise<Port | undefined> {
  const response = await conn.session.request('network', { method: 'GET', path: `/v2.0/ports/${id}`, okStatuses: [404] });
  return response.status === 404 ? undefined : (response.body as { port: Port }).port;
}

/**
 * Waits until a port has the given status and returns how long that took. An agent that restarts
 * resyncs every tap it finds: the server sets each port BUILD until the agent reports it up again.
 */
export async function waitPortStatus(conn: Connection, id: string, status: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last: string | undefined;
  for (;;) {
    last = (await getPort(conn, id))?.status;
    if (last === status) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`port ${id} is ${last ?? 'gone'}, not ${status}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export async function deletePort(conn: Connection, id: string): Promise<void> {
  await conn.session.request('network', { method: 'DELETE', path: `/v2.0/ports/${id}`, okStatuses: [404] });
}

/** Boots a server on existing ports (Nova API 2.37), with a keypair, config drive and user_data when given. */
export async function bootOnPorts(
  conn: Connection,
  options: {
    name: string;
    imageRef: string;
    flavorRef: string;
    ports: string[];
    keyName?: string;
    configDrive?: boolean;
    userData?: string;
  },
): Promise<Server> {
  const server: Record<string, unknown> = {
    name: options.name,
    imageRef: options.imageRef,
    flavorRef: options.flavorRef,
    networks: options.ports.map((port) => ({ port })),
  };
  if (options.keyName) server.key_name = options.keyName;
  if (options.configDrive) server.config_drive = true;
  if (options.userData) server.user_data = Buffer.from(options.userData).toString('base64');
  const response = await conn.session.request('compute', {
    method: 'POST',
    path: '/servers',
    json: { server },
    headers: { 'OpenStack-API-Version': 'compute 2.37', 'X-OpenStack-Nova-API-Version': '2.37' },
  });
  return (response.body as { server: Server }).server;
}

/** Waits until Nova no longer knows the server (delete is asynchronous; a port stays bound until then). */
export async function waitServerGone(conn: Connection, id: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (await conn.nova.getServer(id)) {
    if (Date.now() > deadline) throw new Error(`server ${id} still exists after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** ssh's options for a devcloud guest: the devcloud key, no host key kept, through devcloud-net. */
export const SSH_OPTIONS = [
  '-i',
  SSH_KEY,
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'LogLevel=ERROR',
  '-o',
  'ConnectTimeout=5',
  '-o',
  'BatchMode=yes',
  '-o',
  `ProxyCommand=${PROXY_COMMAND}`,
];

/**
 * Runs a command on a guest over SSH, through devcloud-net (the only way in). A connection failure
 * (ssh's exit code 255: a TCG guest on a loaded host can be slow to accept) is tried again, twice.
 */
export async function ssh(ip: string, command: string, user = 'root') {
  for (let attempt = 0; ; attempt++) {
    const result = await execa('ssh', [...SSH_OPTIONS, `${user}@${ip}`, command], { reject: false, timeout: 180_000 });
    if (result.exitCode !== 255 || attempt >= 2) return result;
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}

/** Waits until the guest answers SSH; returns the seconds it took. */
export async function waitForSsh(ip: string, timeoutMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    const result = await execa('ssh', [...SSH_OPTIONS, `root@${ip}`, 'true'], { reject: false, timeout: 60_000 });
    if (result.exitCode === 0) return (Date.now() - start) / 1000;
    if (Date.now() - start > timeoutMs) throw new Error(`no SSH to ${ip} after ${timeoutMs} ms: ${result.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}

/** The serial console log Nova keeps for a server (Nova's API refuses it once the server is SHUTOFF). */
export function consoleLog(serverId: string): string {
  const path = join(DEVCLOUD_STATE, 'nova', 'instances', serverId, 'console.log');
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Resident memory (MiB) of the qemu process that runs the server, or undefined if none runs. */
export async function guestRssMiB(serverId: string): Promise<number | undefined> {
  const ps = await execa('ps', ['-e', '-o', 'rss=,args=']);
  const line = ps.stdout
    .split('\n')
    .find(
      (l) =>
        (l.includes('qemu-system-x86_64') && l.includes(`uuid=${serverId}`)) ||
        (l.includes('qemu-system-x86_64') && l.includes(`-uuid ${serverId}`)),
    );
  return line ? Math.round(Number(line.trim().split(/\s+/)[0]) / 1024) : undefined;
}
