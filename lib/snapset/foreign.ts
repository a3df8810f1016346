// Sets made by another tool — Hotstack's own hotstack_snapset: images with the six tags (hotstack,
// hotstack-snapset, name=, role=, snap_id=, mac_address=) and none of this project's `hotstack_*`
// properties, each image tagged on its own as soon as it is active. Nothing in such a set says how
// many images it had, so whether it is whole cannot be shown from the set alone: it is `unverified`
// until judged against a restore target — one active, marked image per instance the target needs,
// roles and MACs equal, no instance twice, one snap_id. Pure functions over images and judged sets.
import type { Image } from '../openstack/glance.ts';
import { snapIdOf } from './completeness.ts';
import { NAME_PROPERTY, SNAP_ID_PROPERTY, SNAPSET_TAG } from './data.ts';
import type { SnapsetSummary } from './sets.ts';

/** What a restore target needs: instance name → its role and, when the target fixes it, the MAC of its first NIC. */
export interface RestoreTarget {
  instances: Record<string, { role: string; mac_address?: string | undefined }>;
}

/** Why a set of another tool is not usable without a target (its `unverified` status). */
export const UNVERIFIED_REASON =
  "made by another tool (tags only, none of this project's hotstack_* properties — e.g. Hotstack's own hotstack_snapset): whether it is whole cannot be shown from its images; it is judged against a restore target only (give the target's template)";

/** Pure: whether the images (of one snap_id, inherited properties removed) were made by another tool. */
export function madeByAnotherTool(images: readonly Image[]): boolean {
  return (
    images.length > 0 && images.every((image) => typeof image[SNAP_ID_PROPERTY] !== 'string' && typeof image[NAME_PROPERTY] !== 'string')
  );
}

const tagValue = (image: Image, key: string): string | undefined =>
  (image.tags ?? []).find((tag) => tag.startsWith(`${key}=`))?.slice(key.length + 1);

/**
 * Pure: whether no image of the set carries the `hotstack-snapset` mark: Hotstack's module marked
 * its images only from 2025-07 (aa8c532); its own lookup never read the mark, so such a set is
 * judged as the others are (each image's status says whether it is active).
 */
export function madeBeforeTheMark(images: readonly { tags?: string[]; marked?: boolean }[]): boolean {
  return images.every((image) => !(image.marked ?? (image.tags ?? []).includes(SNAPSET_TAG)));
}

/**
 * Pure: what makes a set of another tool unusable for any target, one sentence each: an image that
 * names no instance, an instance twice (inconsistent), an image not active or, when the others
 * carry the `hotstack-snapset` mark, without it (incomplete).
 */
export function foreignProblems(images: readonly Image[]): { inconsistent: string[]; incomplete: string[] } {
  const inconsistent: string[] = [];
  const incomplete: string[] = [];
  const snapIds = [...new Set(images.map(snapIdOf))];
  if (snapIds.length > 1) inconsistent.push(`the images belong to several sets (${snapIds.sort().join(', ')})`);
  const names = images.map((image) => tagValue(image, 'name'));
  const unnamed = names.filter((name) => name === undefined).length;
  if (unnamed) incomplete.push(`${unnamed} image(s) have no name= tag`);
  for (const name of new Set(names)) {
    const count = names.filter((other) => other === name).length;
    if (name !== undefined && count > 1) inconsistent.push(`instance ${name} has ${count} images`);
  }
  const unmarkedSet = madeBeforeTheMark(images);
  for (const image of images) {
    if (image.status !== 'active') incomplete.push(`image ${image.name ?? image.id} is ${image.status}`);
    else if (!unmarkedSet && !(image.tags ?? []).includes(SNAPSET_TAG))
      incomplete.push(
        `image ${image.name ?? image.id} lacks the ${SNAPSET_TAG} mark (Hotstack adds it once the image is active: its tagging was cut, or it predates the mark)`,
      );
  }
  return { inconsistent, incomplete };
}

const normalMac = (mac: string) => mac.trim().toLowerCase();

/**
 * Pure: why a set does not hold exactly what the target needs — one active, marked image per target
 * instance with its role and (when the target fixes one) its MAC, no instance the target lacks —
 * one sentence per fault, naming the instance; [] when it does.
 */
export function judgeAgainstTarget(set: SnapsetSummary, target: RestoreTarget): string[] {
  const problems: string[] = [];
  if (set.status === 'inconsistent' || set.status === 'expired') problems.push(`${set.status}: ${set.problems.join('; ')}`);
  const wanted = Object.keys(target.instances).sort();
  const missing = wanted.filter((name) => !set.images.some((image) => image.name === name));
  if (missing.length) problems.push(`no image for instance${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  const extra = [...new Set(set.images.map((image) => image.name ?? '(unnamed)'))].filter((name) => !(name in target.instances)).sort();
  if (extra.length) problems.push(`instance${extra.length > 1 ? 's' : ''} ${extra.join(', ')} not in the target`);
  for (const name of wanted) {
    const images = set.images.filter((image) => image.name === name);
    if (images.length > 1) problems.push(`instance ${name} has ${images.length} images`);
    const image = images[0];
    if (!image) continue;
    const need = target.instances[name]!;
    if (image.status !== 'active') problems.push(`instance ${name}: image ${image.id} is ${image.status}`);
    else if (!image.marked && !madeBeforeTheMark(set.images))
      problems.push(`instance ${name}: image ${image.id} lacks the ${SNAPSET_TAG} mark`);
    if (need.role && image.role !== need.role)
      problems.push(`instance ${name}: the image has role ${image.role ?? '(none)'}, the target wants ${need.role}`);
    if (!image.mac_address) problems.push(`instance ${name}: image ${image.id} has no mac_address= tag`);
    else if (need.mac_address && normalMac(need.mac_address) !== normalMac(image.mac_address))
      problems.push(`instance ${name}: MAC mismatch: the target has ${need.mac_address}, the image has ${image.mac_address}`);
  }
  return problems;
}
