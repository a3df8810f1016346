// The last request of a snapshot: the active image gets its set's tags, and loses the hotstack_*
// properties Nova copied from the image its server booted from.
import type { Glance, Image } from '../openstack/glance.ts';
import { imageTags, inheritedKeys, type SnapsetInstance } from './data.ts';

/**
 * Tags an active image of the set. Nova copied the properties of the image the server booted from: a
 * restored deployment's snapshot would carry the old set's leases, deletion mark and dates; those
 * this run did not write go, in the same request.
 */
export async function tagImage(
  glance: Glance,
  imageId: string,
  active: Image,
  instance: SnapsetInstance,
  snapId: string,
  written: Record<string, string>,
  log: (message: string) => void,
): Promise<void> {
  const inherited = inheritedKeys(active, written);
  if (!inherited.length) {
    await glance.replaceTags(imageId, imageTags(instance, snapId));
    return;
  }
  await glance.patchImage(imageId, { tags: imageTags(instance, snapId), remove: inherited });
  log(`instance ${instance.name}: removed ${inherited.length} hotstack_* propert(ies) copied from its boot image: ${inherited.join(', ')}`);
}
