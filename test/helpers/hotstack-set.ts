// A SnapSet left exactly as Hotstack's own `hotstack_snapset` module leaves one, written from the
// facts (../shared/reference/facts.md §6, hotstack-workflow.md §3.5), not from its code: every server
// must be SHUTOFF; an 8-character urlsafe-base64 snap_id; per instance (4 at a time) a Nova snapshot
// `hotstack-<name>-snapshot-<snap_id>` with no metadata, waited for until active, then — that image
// alone, as soon as it is active — tagged `hotstack`, `hotstack-snapset`, `name=`, `role=`,
// `snap_id=`, `mac_address=`. No `hotstack_*` property is set (Nova still copies those of the image
// a server booted from). An instance whose snapshot fails leaves the others as they are: `skip`
// makes such a cut set (no image for those instances).
import { randomBytes } from 'node:crypto';
import type { Connection } from '../../lib/openstack/connect.ts';
import { sleep } from '../../lib/poll.ts';

type Instances = Record<string, { uuid: string; role: string; mac_address: string }>;

export interface HotstackSet {
  snap_id: string;
  /** instance name → image id */
  images: Record<string, string>;
}

async function activeImage(conn: Connection, id: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const image = await conn.glance.getImage(id);
    if (image?.status === 'active') return;
    if (!image || ['killed', 'deleted', 'pending_delete', 'deactivated'].includes(image.status))
      throw new Error(`snapshot ${id} is ${image?.status ?? 'gone'}`);
    if (Date.now() > deadline) throw new Error(`snapshot ${id} still ${image.status} after ${timeoutMs} ms`);
    await sleep(2000);
  }
}

export async function makeHotstackSet(
  conn: Connection,
  snapsetData: { instances: Instances },
  options: {
    skip?: string[];
    timeoutMs?: number /** Every image id made is added here as soon as Nova names it (for cleanup). */;
    made?: Set<string>;
  } = {},
): Promise<HotstackSet> {
  const entries = Object.entries(snapsetData.instances);
  for (const [name, instance] of entries) {
    const server = await conn.nova.getServer(instance.uuid);
    if (server?.status !== 'SHUTOFF') throw new Error(`instance ${name} (${instance.uuid}) is ${server?.status ?? 'missing'}, not SHUTOFF`);
  }
  const snapId = randomBytes(6).toString('base64url');
  const images: Record<string, string> = {};
  const queue = entries.filter(([name]) => !options.skip?.includes(name));
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [name, instance] = next;
      const id = await conn.nova.createImage(instance.uuid, `hotstack-${name}-snapshot-${snapId}`);
      images[name] = id;
      options.made?.add(id);
      await activeImage(conn, id, options.timeoutMs ?? 1_200_000);
      for (const tag of [
        'hotstack',
        'hotstack-snapset',
        `name=${name}`,
        `role=${instance.role}`,
        `snap_id=${snapId}`,
        `mac_address=${instance.mac_address}`,
      ])
        await conn.glance.addTag(id, tag);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return { snap_id: snapId, images };
}
