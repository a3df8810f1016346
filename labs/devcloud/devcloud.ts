// Test fixtures on the local cloud (devcloud): real servers booted, stopped and cleaned up through
// the project's own OpenStack client.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { type Connection, connect } from '../../lib/openstack/connect.ts';
import type { Server } from '../../lib/openstack/nova.ts';
import { sleep } from '../../lib/poll.ts';

export const DEVCLOUD_STATE = process.env.DEVCLOUD_STATE ?? '/tmp/devcloud';
export const CLOUDS_YAML = `${DEVCLOUD_STATE}/clouds.yaml`;
export const CLOUD_NAME = 'devcloud';
export const FLAVOR = 'devcloud-tiny';
export const IMAGE_NAME = 'devcloud-tiny';

/** Environment for anything that should use devcloud: our client, ansible-playbook, the modules. */
export function devcloudEnv(): Record<string, string> {
  if (!existsSync(CLOUDS_YAML)) throw new Error(`${CLOUDS_YAML} is missing: run npm run devcloud:up first`);
  return { OS_CLIENT_CONFIG_FILE: CLOUDS_YAML, OS_CLOUD: CLOUD_NAME };
}

export function devcloudConnection(): Connection {
  return connect({ cloud: CLOUD_NAME, env: { ...cleanEnv(), ...devcloudEnv() } });
}

/** process.env without OS_* variables, so a developer's own cloud settings cannot leak into tests. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('OS_') && value !== undefined) env[key] = value;
  return env;
}

export function uniqueSuffix(): string {
  return randomBytes(3).toString('hex');
}

export async function imageIdByName(conn: Connection, name: string): Promise<string> {
  const images = await conn.glance.listImages({ name, status: 'active' });
  if (!images[0]) throw new Error(`no active image named ${name} on devcloud`);
  return images[0].id;
}

export interface Deployment {
  /** snapset_data as Hotstack's stacks output it. */
  snapsetData: { instances: Record<string, { uuid: string; role: string; mac_address: string }> };
  servers: Server[];
  suffix: string;
}

/** Boots servers (name → role), waits for ACTIVE, and (by default) stops them all. */
export async function bootDeployment(
  conn: Connection,
  roles: Record<string, string>,
  options: { stop?: boolean; image?: string; suffix?: string } = {},
): Promise<Deployment> {
  const suffix = options.suffix ?? uniqueSuffix();
  const imageRef = await imageIdByName(conn, options.image ?? IMAGE_NAME);
  const names = Object.keys(roles);
  const created = await Promise.all(
    names.map((name) => conn.nova.createServer({ name: `${name}-${suffix}`, imageRef, flavorRef: FLAVOR, networks: 'none' })),
  );
  // Each server is stopped as soon as it is up: running TCG guests spin the 2 cores that the
  // remaining boots need. Many boots at once queue in nova-compute, hence the long wait.
  const servers = await Promise.all(
    created.map(async (server) => {
      const active = await conn.nova.waitForServer(server.id, 'ACTIVE', { timeoutMs: 600_000 });
      if (!(options.stop ?? true)) return active;
      await conn.nova.stopServer(server.id);
      return conn.nova.waitForServer(server.id, 'SHUTOFF');
    }),
  );
  const instances: Deployment['snapsetData']['instances'] = {};
  names.forEach((name, index) => {
    // Fixed, recognisable MACs: the servers have no NICs on devcloud, the value is data here.
    instances[`${name}-${suffix}`] = {
      uuid: servers[index]!.id,
      role: roles[name]!,
      mac_address: `fa:16:3e:00:${suffix.slice(0, 2)}:${index.toString(16).padStart(2, '0')}`,
    };
  });
  return { snapsetData: { instances }, servers, suffix };
}

/** Images of one snap_id (any status, with or without the set marker). */
export async function imagesOfSet(conn: Connection, snapId: string) {
  return conn.glance.listImages({ tags: [`snap_id=${snapId}`] });
}

/** Images whose name says they belong to this test run (tagged or not), any status. */
export async function imagesNamedFor(conn: Connection, suffix: string) {
  const all = await conn.glance.listImages({});
  return all.filter((image) => (image.name ?? '').includes(`-${suffix}-snapshot-`));
}

export async function cleanup(conn: Connection, deployment: Deployment | undefined): Promise<void> {
  if (!deployment) return;
  for (const image of await imagesNamedFor(conn, deployment.suffix)) await conn.glance.deleteImage(image.id).catch(() => {});
  await Promise.all(deployment.servers.map((server) => conn.nova.deleteServer(server.id).catch(() => {})));
}

const BIG_IMAGE = 'hotstack-test-big-512';
/** Stops, starts or restarts one devcloud service (labs/devcloud/service.sh); a stop kills at once (KILL_AFTER=0). */
export const service = (action: 'stop' | 'start' | 'restart', name: string) =>
  execa('bash', [fileURLToPath(new URL('service.sh', import.meta.url)), action, name], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, KILL_AFTER: '0' },
  });

/**
 * An image with 512 MiB of incompressible data, so that a snapshot of a server booted from it
 * takes seconds (copy and upload), long enough to break something in the middle of it, and longer
 * than a 1 s `timeout` even on a quiet machine (192 MiB were copied and uploaded within 1.2 s there).
 */
export async function bigImage(conn: Connection): Promise<string> {
  const existing = await conn.glance.listImages({ name: BIG_IMAGE, status: 'active' });
  if (existing[0]) return BIG_IMAGE;
  const image = await conn.glance.uploadImage(
    { name: BIG_IMAGE, disk_format: 'raw', container_format: 'bare', visibility: 'private' },
    randomBytes(512 * 1024 * 1024),
  );
  for (let i = 0; i < 120 && (await conn.glance.getImage(image.id))?.status !== 'active'; i++) await sleep(500);
  return BIG_IMAGE;
}
