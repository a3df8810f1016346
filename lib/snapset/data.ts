// The SnapSet vocabulary: instance data as Hotstack's Heat stacks output it, image names, tags and
// properties (the contract other tools read: see README "What a SnapSet image carries").
import { randomBytes } from 'node:crypto';
import { HotstackError } from '../errors.ts';

export interface SnapsetInstance {
  /** Key in snapset_data.instances (the Heat resource name, e.g. "controller", "master0"). */
  name: string;
  uuid: string;
  role: string;
  macAddress: string;
}

/** Marks a complete set; set only after every image of the set is active and tagged. */
export const SNAPSET_TAG = 'hotstack-snapset';
export const HOTSTACK_TAG = 'hotstack';
/** Image property set through createImage's metadata: finds a run's images even when Nova failed to say their ids. */
export const SNAP_ID_PROPERTY = 'hotstack_snap_id';
/** Image property: the instance name (the key in snapset_data.instances). */
export const NAME_PROPERTY = 'hotstack_name';
/**
 * Image property: how many instances the set has (decimal), set with createImage on every image, so
 * a reader can tell a complete set from a cut one without trusting the final mark alone.
 */
export const SNAPSET_SIZE_PROPERTY = 'hotstack_snapset_size';
/** Properties the module sets itself; extra `properties` may not name them. */
const OWN_PROPERTIES: readonly string[] = [SNAP_ID_PROPERTY, NAME_PROPERTY, SNAPSET_SIZE_PROPERTY];
/** Nova's createImage metadata: keys and values of at most 255 characters. */
const MAX_PROPERTY_LENGTH = 255;
const INSTANCE_KEYS = ['mac_address', 'role', 'uuid'] as const;
/** Glance's limit on a tag's length. */
const MAX_TAG_LENGTH = 255;

/** snapset_data or properties that cannot make a SnapSet; the message names the instance or key. */
export class SnapsetDataError extends HotstackError {}

/**
 * Checks snapset_data as Hotstack's module did (every instance a mapping with exactly uuid, role
 * and mac_address, all strings; at least one instance), and what Glance will need of the values.
 * Every problem is reported at once, each naming its instance.
 */
export function parseSnapsetData(data: unknown): SnapsetInstance[] {
  if (!data || typeof data !== 'object' || Array.isArray(data))
    throw new SnapsetDataError('snapset_data must be a mapping with an `instances` mapping');
  const instances = (data as Record<string, unknown>).instances;
  if (!instances || typeof instances !== 'object' || Array.isArray(instances)) {
    throw new SnapsetDataError('snapset_data.instances must be a mapping of instance name to {uuid, role, mac_address}');
  }
  const entries = Object.entries(instances as Record<string, unknown>);
  if (entries.length === 0) throw new SnapsetDataError('snapset_data.instances is empty: there is nothing to snapshot');

  const problems: string[] = [];
  const parsed: SnapsetInstance[] = [];
  const namesByUuid = new Map<string, string>();
  for (const [name, value] of entries) {
    const where = `snapset_data.instances.${name}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      problems.push(`${where}: the instance name must be letters, digits, '.', '_' or '-' (it goes into image names and tags)`);
      continue;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${where}: must be a mapping with uuid, role and mac_address`);
      continue;
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    const missing = INSTANCE_KEYS.filter((key) => !(key in record));
    const extra = keys.filter((key) => !(INSTANCE_KEYS as readonly string[]).includes(key));
    if (missing.length) problems.push(`${where}: missing ${missing.join(', ')}`);
    if (extra.length)
      problems.push(
        `${where}: unexpected key${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (only uuid, role and mac_address are allowed)`,
      );
    for (const key of INSTANCE_KEYS) {
      if (!(key in record)) continue;
      const field = record[key];
      if (typeof field !== 'string') problems.push(`${where}.${key}: must be a string, not ${field === null ? 'null' : typeof field}`);
      else if (field.trim() === '') problems.push(`${where}.${key}: must not be empty`);
      else if (key !== 'uuid' && `${key}=${field}`.length > MAX_TAG_LENGTH) {
        problems.push(`${where}.${key}: too long for a Glance tag (${MAX_TAG_LENGTH} characters with its prefix)`);
      } else if (key !== 'uuid' && field.includes('/'))
        problems.push(`${where}.${key}: must not contain '/' (Glance tags go into URL paths)`);
    }
    if (missing.length || extra.length || INSTANCE_KEYS.some((key) => typeof record[key] !== 'string' || !(record[key] as string).trim()))
      continue;
    const instance: SnapsetInstance = {
      name,
      uuid: record.uuid as string,
      role: record.role as string,
      macAddress: record.mac_address as string,
    };
    const other = namesByUuid.get(instance.uuid);
    if (other) problems.push(`${where}.uuid: ${instance.uuid} is also the uuid of instance ${other}`);
    namesByUuid.set(instance.uuid, name);
    parsed.push(instance);
  }
  if (problems.length) throw new SnapsetDataError(`invalid snapset_data: ${problems.join('; ')}`);
  return parsed;
}

/** 8 random URL-safe characters, as Hotstack makes them (base64url of 6 random bytes). */
export function newSnapId(): string {
  return randomBytes(6).toString('base64url');
}

export function imageName(instance: Pick<SnapsetInstance, 'name'>, snapId: string): string {
  return `hotstack-${instance.name}-snapshot-${snapId}`;
}

/** The tags of one image of a set, without the set-complete marker. */
export function imageTags(instance: SnapsetInstance, snapId: string): string[] {
  return [HOTSTACK_TAG, `name=${instance.name}`, `role=${instance.role}`, `snap_id=${snapId}`, `mac_address=${instance.macAddress}`];
}

/** The properties createImage puts on an image of the set: the set's own, then the extra ones. */
export function imageProperties(
  instance: Pick<SnapsetInstance, 'name'>,
  snapId: string,
  setSize: number,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { ...extra, [SNAP_ID_PROPERTY]: snapId, [NAME_PROPERTY]: instance.name, [SNAPSET_SIZE_PROPERTY]: String(setSize) };
}

/**
 * Checks the `properties` option: a mapping of `hotstack_*` keys to strings (numbers and booleans
 * are written as text), not one the module sets itself, within Nova's 255-character limits. Every
 * problem is reported at once, each naming its key.
 */
export function parseExtraProperties(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new SnapsetDataError('properties must be a mapping of hotstack_* names to strings');
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    const where = `properties.${key}`;
    if (!/^hotstack_[A-Za-z0-9_.:-]+$/.test(key)) {
      problems.push(`${where}: the name must start with 'hotstack_' and hold only letters, digits, '_', '.', ':' or '-'`);
    } else if (OWN_PROPERTIES.includes(key)) problems.push(`${where}: is set by the module itself and cannot be given`);
    else if (key.length > MAX_PROPERTY_LENGTH) problems.push(`${where}: the name is longer than ${MAX_PROPERTY_LENGTH} characters`);
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      problems.push(`${where}: must be a string, not ${raw === null ? 'null' : Array.isArray(raw) ? 'a list' : typeof raw}`);
      continue;
    }
    const text = String(raw);
    if (text.length > MAX_PROPERTY_LENGTH) problems.push(`${where}: the value is longer than ${MAX_PROPERTY_LENGTH} characters`);
    out[key] = text;
  }
  if (problems.length) throw new SnapsetDataError(`invalid properties: ${problems.join('; ')}`);
  return out;
}

/**
 * Pure: the `hotstack_*` properties of a new image that this run did not write — copied by Nova from
 * the image its server booted from (a set restored earlier: its leases, deletion mark, dates, snap_id).
 */
export function inheritedKeys(image: Record<string, unknown>, written: Record<string, string>): string[] {
  return Object.keys(image)
    .filter((key) => key.startsWith('hotstack_') && !(key in written))
    .sort();
}
