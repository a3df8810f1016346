// A SnapSet of this project fabricated in Glance without servers: one 1-byte raw image per instance,
// carrying exactly what hotstack_snapset leaves on a set (the six tags, hotstack_snap_id,
// hotstack_name, hotstack_snapset_size) — enough for lookups, leases and prunes, in a second.
import { randomBytes } from 'node:crypto';
import type { Connection } from '../../lib/openstack/connect.ts';
import { sleep } from '../../lib/poll.ts';

export interface TinySet {
  snap_id: string;
  /** instance name → image id */
  images: Record<string, string>;
  ids: string[];
}

/** instances: name → {role, mac}. Sets made one after another are ordered by created_at (a second apart). */
export async function makeTinySet(
  conn: Connection,
  instances: Record<string, { role: string; mac: string }>,
  extra: Record<string, string> = {},
): Promise<TinySet> {
  const snapId = randomBytes(6).toString('base64url');
  const entries = Object.entries(instances);
  const images: Record<string, string> = {};
  await Promise.all(
    entries.map(async ([name, { role, mac }]) => {
      const image = await conn.glance.uploadImage(
        {
          name: `hotstack-${name}-snapshot-${snapId}`,
          disk_format: 'raw',
          container_format: 'bare',
          visibility: 'private',
          tags: ['hotstack', 'hotstack-snapset', `name=${name}`, `role=${role}`, `snap_id=${snapId}`, `mac_address=${mac}`],
          hotstack_snap_id: snapId,
          hotstack_name: name,
          hotstack_snapset_size: String(entries.length),
          ...extra,
        },
        Buffer.from('x'),
      );
      images[name] = image.id;
    }),
  );
  const ids = Object.values(images);
  for (let i = 0; i < 40; i++) {
    const listed = await conn.glance.listImages({ ids });
    if (listed.length === ids.length && listed.every((image) => image.status === 'active')) break;
    await sleep(250);
  }
  // created_at has a one-second resolution: the next set is newer.
  await sleep(1100);
  return { snap_id: snapId, images, ids };
}
