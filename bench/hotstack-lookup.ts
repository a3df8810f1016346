// The baseline of the scale benchmark: Hotstack's own lookup of the newest set (its
// hotstack_get_latest_snapset, as ../shared/reference/facts.md §6 describes it), written here
// from those facts: list every image tagged `hotstack` AND `role=controller` (all pages, at
// Glance's default page size, as openstacksdk's image listing asks when given no limit), take the
// newest by created_at and its snap_id tag, then list `hotstack` AND `role=ocp_master` AND
// `snap_id=<id>` and take the first. No status check, no owner filter, no fallback.
import type { Session } from '../lib/openstack/session.ts';

interface ListedImage {
  id: string;
  tags?: string[];
  created_at?: string;
}

/** Pure: the value of a `key=value` tag (the last `=` splits, as a tag dict built from the tags would). */
export function tagDict(tags: readonly string[]): Record<string, string> {
  const dict: Record<string, string> = {};
  for (const tag of tags) {
    const at = tag.lastIndexOf('=');
    if (at > 0) dict[tag.slice(0, at)] = tag.slice(at + 1);
  }
  return dict;
}

/** Pure: the newest image of the list by created_at (unparseable dates skipped), with its snap_id tag. */
export function newestController(images: readonly ListedImage[]): { id: string; snapId: string | undefined } | undefined {
  let best: { id: string; snapId: string | undefined; at: number } | undefined;
  for (const image of images) {
    const tags = tagDict(image.tags ?? []);
    if (tags.role !== 'controller') continue;
    const at = Date.parse(image.created_at ?? '');
    if (Number.isNaN(at)) continue;
    if (!best || best.at < at) best = { id: image.id, snapId: tags.snap_id, at };
  }
  return best && { id: best.id, snapId: best.snapId };
}

/** Every image having all the tags, page after page at the server's default page size (each page keeps the filter). */
async function imagesTagged(session: Session, base: string, tags: string[]): Promise<ListedImage[]> {
  const filter = tags.map((tag) => `tag=${encodeURIComponent(tag)}`).join('&');
  const images: ListedImage[] = [];
  let marker: string | undefined;
  for (;;) {
    const response = await session.request('image', {
      method: 'GET',
      path: `${base}/images?${filter}${marker ? `&marker=${encodeURIComponent(marker)}` : ''}`,
    });
    const body = response.body as { images: ListedImage[]; next?: string };
    images.push(...body.images);
    if (!body.next || body.images.length === 0) return images;
    marker = body.images[body.images.length - 1]!.id;
  }
}

export interface HotstackChoice {
  controller: string;
  master: string;
  snapId: string;
}

/** Hotstack's lookup of the newest set: its controller image and first master image. */
export async function hotstackLatest(session: Session): Promise<HotstackChoice> {
  const endpoint = await session.endpoint('image');
  const base = /\/v2(\.\d+)?$/.test(endpoint) ? endpoint : `${endpoint}/v2`;
  const newest = newestController(await imagesTagged(session, base, ['hotstack', 'role=controller']));
  if (!newest) throw new Error('No controller images found with tags: hotstack, role=controller');
  if (!newest.snapId) throw new Error('No valid snap_id found in controller images');
  const masters = await imagesTagged(session, base, ['hotstack', 'role=ocp_master', `snap_id=${newest.snapId}`]);
  if (!masters[0]) throw new Error(`No master images found with tags: hotstack, role=ocp_master, snap_id=${newest.snapId}`);
  return { controller: newest.id, master: masters[0].id, snapId: newest.snapId };
}
