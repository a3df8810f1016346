// Is a set of images a complete SnapSet, or one cut short (a run killed mid-way, a final marking
// interrupted)? Decided from what every image carries — hotstack_snap_id, hotstack_name,
// hotstack_snapset_size (set with the snapshot request, before any tag), the `hotstack-snapset`
// mark and the status — so no reader has to trust the mark alone. Pure: give it the images of one
// snap_id as Glance lists them (any status, marked or not).
import type { Image } from '../openstack/glance.ts';
import { NAME_PROPERTY, SNAP_ID_PROPERTY, SNAPSET_SIZE_PROPERTY, SNAPSET_TAG } from './data.ts';

export interface SetCompleteness {
  /** The set's snap_id (undefined when the images name none). */
  snapId: string | undefined;
  /** Every member is there once, active and marked, and they agree on the set's size. */
  complete: boolean;
  /**
   * Images a complete set has (hotstack_snapset_size). Undefined for a set made before the size was
   * recorded (or not by hotstack_snapset): then `complete` is false, as completeness cannot be shown.
   */
  expectedSize: number | undefined;
  /** Instance names of the images found (hotstack_name, else the `name=` tag), sorted. */
  members: string[];
  /** How many of the images carry the final `hotstack-snapset` mark. */
  marked: number;
  /** Why the set is not complete, one sentence per reason; empty when complete. */
  problems: string[];
}

const tagValue = (image: Image, key: string): string | undefined =>
  (image.tags ?? []).find((tag) => tag.startsWith(`${key}=`))?.slice(key.length + 1);

const property = (image: Image, key: string): string | undefined => (typeof image[key] === 'string' ? (image[key] as string) : undefined);

/**
 * The snap_id an image belongs to: its `snap_id=` tag, else its property (a run of hotstack_snapset
 * sets the property first and the tag once the image is active; both say the same). When they
 * differ, the tag is its maker's word: Nova copies the properties of the image a server booted from
 * into the server's snapshots, so a snapshot another tool made of a server restored from a set of
 * this project carries that set's `hotstack_*` properties (see inheritedProperties).
 */
export function snapIdOf(image: Image): string | undefined {
  return tagValue(image, 'snap_id') ?? property(image, SNAP_ID_PROPERTY);
}

/** Whether the image's `hotstack_*` properties are inherited from another set (snap_id tag and property differ). */
export function inheritedProperties(image: Image): boolean {
  const fromProperty = property(image, SNAP_ID_PROPERTY);
  const fromTag = tagValue(image, 'snap_id');
  return fromProperty !== undefined && fromTag !== undefined && fromProperty !== fromTag;
}

/** Pure: the image as its maker left it — without `hotstack_*` properties Nova carried over from another set. */
export function ownImage(image: Image): Image {
  if (!inheritedProperties(image)) return image;
  return Object.fromEntries(Object.entries(image).filter(([key]) => !key.startsWith('hotstack_'))) as Image;
}

/** Images grouped by snap_id (images with none are left out), in the order first seen. */
export function groupBySnapId(images: readonly Image[]): Map<string, Image[]> {
  const groups = new Map<string, Image[]>();
  for (const image of images) {
    const snapId = snapIdOf(image);
    if (snapId === undefined) continue;
    const group = groups.get(snapId);
    if (group) group.push(image);
    else groups.set(snapId, [image]);
  }
  return groups;
}

/** Whether the images of one snap_id form a complete SnapSet, and if not, why. */
export function setCompleteness(images: readonly Image[]): SetCompleteness {
  const problems: string[] = [];
  const snapIds = [...new Set(images.map(snapIdOf).filter((id): id is string => id !== undefined))];
  if (snapIds.length > 1) problems.push(`the images belong to several sets (${snapIds.sort().join(', ')})`);
  if (images.length === 0) problems.push('no image');

  const sizes = [...new Set(images.map((image) => property(image, SNAPSET_SIZE_PROPERTY)))];
  let expectedSize: number | undefined;
  if (sizes.includes(undefined)) {
    problems.push(
      `${images.filter((image) => property(image, SNAPSET_SIZE_PROPERTY) === undefined).length} image(s) have no ${SNAPSET_SIZE_PROPERTY} property (made before it was recorded, or not by hotstack_snapset): completeness cannot be shown`,
    );
  } else if (sizes.length > 1) {
    problems.push(`the images disagree on the set size (${SNAPSET_SIZE_PROPERTY} ${sizes.sort().join(', ')})`);
  } else if (sizes.length === 1) {
    const size = Number(sizes[0]);
    if (!/^[1-9]\d*$/.test(sizes[0] ?? ''))
      problems.push(`${SNAPSET_SIZE_PROPERTY} is not a positive whole number (${JSON.stringify(sizes[0])})`);
    else expectedSize = size;
  }

  const names = images.map((image) => property(image, NAME_PROPERTY) ?? tagValue(image, 'name'));
  const members = [...new Set(names.filter((name): name is string => name !== undefined))].sort();
  if (names.includes(undefined)) problems.push(`${names.filter((name) => name === undefined).length} image(s) name no instance`);
  for (const member of members) {
    const count = names.filter((name) => name === member).length;
    if (count > 1) problems.push(`instance ${member} has ${count} images`);
  }
  if (expectedSize !== undefined && members.length !== expectedSize) {
    problems.push(
      `${members.length} of ${expectedSize} images are there${members.length < expectedSize ? ' (the run was cut short, or images were deleted)' : ''}`,
    );
  }
  for (const image of images) {
    if (image.status !== 'active') problems.push(`image ${image.name ?? image.id} is ${image.status}`);
  }
  const marked = images.filter((image) => image.tags.includes(SNAPSET_TAG)).length;
  if (marked < images.length)
    problems.push(
      `${images.length - marked} of ${images.length} image(s) lack the ${SNAPSET_TAG} mark (the final marking was cut, or the run failed)`,
    );

  return {
    snapId: snapIds.length === 1 ? snapIds[0] : undefined,
    complete: problems.length === 0,
    expectedSize,
    members,
    marked,
    problems,
  };
}
