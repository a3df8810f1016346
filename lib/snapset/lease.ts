// Leases and deletion marks on a SnapSet's images, decided purely from image records (the Glance
// calls are in lease-glance.ts). A restore holds a set with one property per holder on every image,
// `hotstack_lease_<holder>` = "<expiry ISO-8601 UTC> snap_id=<set>"; a deleter marks every image
// `hotstack_deleting` = "<since> snap_id=<set> decide_by=<when> by <who>". Glance saves a PATCH as a
// read-modify-write of the whole record (ImageRepo.save purges what its copy lacked), so two writes
// to one image at the same moment can lose one of them: both sides write, wait a settle longer than
// one request takes, re-read, and decide from what survived (leaseVerdict, deleteVerdict).
// A lease or mark naming another snap_id was copied by Nova from the image a server booted from: it
// is not this set's, never counts, and the next write to the image removes it.
import { HotstackError } from '../errors.ts';
import type { Image } from '../openstack/glance.ts';

export const LEASE_PREFIX = 'hotstack_lease_';
export const DELETING_PROPERTY = 'hotstack_deleting';
/** A deletion mark older than this is left by a deleter that died: ignored, and removed by the next write. */
export const STALE_MARK_SECONDS = 600;
/** How long after a mark's decide_by a restore still waits for the deleter's verdict. */
export const VERDICT_GRACE_MS = 2_000;
/** A holder becomes part of a property name: a stack name's characters, at most 200. */
const HOLDER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

export interface Lease {
  holder: string;
  /** ISO 8601 UTC. */
  expires: string;
  expired: boolean;
}

export interface DeletionMark {
  by: string;
  since: string;
  /** When the deleter re-reads the set and decides (null when the mark does not say). */
  decide_by: string | null;
  /** Older than STALE_MARK_SECONDS: its deleter died; it no longer counts. */
  stale: boolean;
}

/** Pure: the holder, checked (it becomes a Glance property name); the error names the option. */
export function checkHolder(holder: unknown, where = 'holder'): string {
  if (typeof holder !== 'string' || !HOLDER_PATTERN.test(holder))
    throw new HotstackError(
      `${where}: ${JSON.stringify(holder)} cannot hold a lease: use a stack name (letters, digits, '_', '.', '-', starting with a letter or digit, at most 200 characters)`,
    );
  return holder;
}

export const leaseKey = (holder: string) => `${LEASE_PREFIX}${holder}`;
export const leaseValue = (expires: Date, snapId: string) => `${isoSeconds(expires)} snap_id=${snapId}`;
export const markValue = (since: Date, decideBy: Date, snapId: string, by: string) =>
  `${isoSeconds(since)} snap_id=${snapId} decide_by=${isoSeconds(decideBy)} by ${by}`;

/** ISO 8601 UTC to the second (what a human reads in a list). */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

interface ParsedLease {
  expires: string;
  snapId: string | undefined;
}

/** Pure: "<ISO> [snap_id=<id>]"; undefined when the date is unreadable. */
export function parseLeaseValue(value: unknown): ParsedLease | undefined {
  if (typeof value !== 'string') return undefined;
  const [expires = '', ...rest] = value.trim().split(/\s+/);
  if (Number.isNaN(Date.parse(expires))) return undefined;
  const snapId = rest.find((part) => part.startsWith('snap_id='))?.slice('snap_id='.length);
  return { expires, snapId };
}

interface ParsedMark {
  since: string;
  snapId: string | undefined;
  decideBy: string | undefined;
  by: string;
}

/** Pure: "<since> [snap_id=<id>] [decide_by=<ISO>] [by <who…>]"; undefined when the date is unreadable. */
export function parseMarkValue(value: unknown): ParsedMark | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\S+)((?:\s+(?:snap_id|decide_by)=\S+)*)(?:\s+by\s+(.*))?\s*$/.exec(value);
  if (!match || Number.isNaN(Date.parse(match[1]!))) return undefined;
  const field = (key: string) => new RegExp(`${key}=(\\S+)`).exec(match[2] ?? '')?.[1];
  const decideBy = field('decide_by');
  return {
    since: match[1]!,
    snapId: field('snap_id'),
    decideBy: decideBy && !Number.isNaN(Date.parse(decideBy)) ? decideBy : undefined,
    by: match[3]?.trim() || 'an unknown deleter',
  };
}

const belongs = (parsedSnapId: string | undefined, snapId: string) => parsedSnapId === undefined || parsedSnapId === snapId;

/** Pure: the leases on one image that belong to set `snapId` (inherited ones do not). */
export function imageLeases(image: Image, snapId: string, now: Date): Lease[] {
  const leases: Lease[] = [];
  for (const [key, value] of Object.entries(image)) {
    if (!key.startsWith(LEASE_PREFIX)) continue;
    const parsed = parseLeaseValue(value);
    if (!parsed || !belongs(parsed.snapId, snapId)) continue;
    leases.push({
      holder: key.slice(LEASE_PREFIX.length),
      expires: parsed.expires,
      expired: Date.parse(parsed.expires) <= now.getTime(),
    });
  }
  return leases;
}

/** Pure: the set's leases, one per holder (the latest expiry among its images), by holder. */
export function setLeases(images: readonly Image[], snapId: string, now: Date): Lease[] {
  const byHolder = new Map<string, Lease>();
  for (const image of images) {
    for (const lease of imageLeases(image, snapId, now)) {
      const known = byHolder.get(lease.holder);
      if (!known || Date.parse(lease.expires) > Date.parse(known.expires)) byHolder.set(lease.holder, lease);
    }
  }
  return [...byHolder.values()].sort((a, b) => a.holder.localeCompare(b.holder));
}

/** Pure: the deletion mark on one image, if it is this set's. */
export function imageMark(image: Image, snapId: string, now: Date): DeletionMark | undefined {
  const parsed = parseMarkValue(image[DELETING_PROPERTY]);
  if (!parsed || !belongs(parsed.snapId, snapId)) return undefined;
  return {
    by: parsed.by,
    since: parsed.since,
    decide_by: parsed.decideBy ?? null,
    stale: now.getTime() - Date.parse(parsed.since) > STALE_MARK_SECONDS * 1000,
  };
}

/** Pure: the set's deletion mark: a fresh one if any image has one, else a stale one, else null. */
export function setDeletionMark(images: readonly Image[], snapId: string, now: Date): DeletionMark | null {
  const marks = images.map((image) => imageMark(image, snapId, now)).filter((mark): mark is DeletionMark => !!mark);
  return marks.find((mark) => !mark.stale) ?? marks[0] ?? null;
}

/** Pure: properties a writer removes from an image on its way: expired or inherited leases, stale or inherited marks. */
export function staleKeys(image: Image, snapId: string, now: Date, keep: readonly string[] = []): string[] {
  const keys: string[] = [];
  for (const [key, value] of Object.entries(image)) {
    if (keep.includes(key)) continue;
    if (key.startsWith(LEASE_PREFIX)) {
      const parsed = parseLeaseValue(value);
      if (!parsed || !belongs(parsed.snapId, snapId) || Date.parse(parsed.expires) <= now.getTime()) keys.push(key);
    } else if (key === DELETING_PROPERTY) {
      const mark = parseMarkValue(value);
      if (!mark || !belongs(mark.snapId, snapId) || now.getTime() - Date.parse(mark.since) > STALE_MARK_SECONDS * 1000) keys.push(key);
    }
  }
  return keys.sort();
}

export const activeLeases = (leases: readonly Lease[]) => leases.filter((lease) => !lease.expired);

/** One line naming each holder and its expiry. */
export function describeLeases(leases: readonly Lease[]): string {
  return leases.map((lease) => `${lease.holder} until ${lease.expires}${lease.expired ? ' (expired)' : ''}`).join(', ');
}

export function describeMark(snapId: string, mark: DeletionMark): string {
  return `set ${snapId} is being deleted by ${mark.by} (marked ${mark.since})`;
}

/** What a restore does after re-reading the images it wrote its lease on. */
export type LeaseVerdict =
  | { kind: 'held' }
  /** Its lease was lost on these images (a write at the same moment): write it again. */
  | { kind: 'rewrite'; imageIds: string[] }
  /** A deleter marked the set and has not decided yet: wait for the mark to go (kept) or the images (deleted). */
  | { kind: 'wait'; until: number; mark: DeletionMark }
  | { kind: 'refused'; reason: string };

/**
 * Pure: the restore's side of the handshake. Refused when an image is gone or not active, or a
 * fresh deletion mark is past its decide_by (+ grace): the deleter decided without seeing this lease.
 * A fresh mark before that: wait, the deleter will see the lease. Then the lease must be on every image:
 * the very value written (`written`), so a lease already past its expiry (a ttl shorter than the
 * check) still counts as landed — its expiry is the holder's choice, not a lost write.
 */
export function leaseVerdict(
  imageIds: readonly string[],
  reread: readonly Image[],
  snapId: string,
  holder: string,
  written: string,
  now: Date,
): LeaseVerdict {
  const byId = new Map(reread.map((image) => [image.id, image]));
  const gone = imageIds.filter((id) => !byId.has(id) || DEAD.has(byId.get(id)!.status));
  if (gone.length) return { kind: 'refused', reason: `set ${snapId}: image ${gone.join(', ')} gone (deleted)` };
  const inactive = imageIds.filter((id) => byId.get(id)!.status !== 'active');
  if (inactive.length)
    return {
      kind: 'refused',
      reason: `set ${snapId}: image ${inactive.map((id) => `${id} (${byId.get(id)!.status})`).join(', ')} not active`,
    };
  const images = imageIds.map((id) => byId.get(id)!);
  const mark = setDeletionMark(images, snapId, now);
  if (mark && !mark.stale) {
    const decideBy = mark.decide_by ? Date.parse(mark.decide_by) : Date.parse(mark.since);
    if (now.getTime() > decideBy + VERDICT_GRACE_MS) return { kind: 'refused', reason: describeMark(snapId, mark) };
  }
  const key = leaseKey(holder);
  const lost = images.filter((image) => image[key] !== written);
  if (lost.length) return { kind: 'rewrite', imageIds: lost.map((image) => image.id) };
  if (mark && !mark.stale) {
    const decideBy = mark.decide_by ? Date.parse(mark.decide_by) : Date.parse(mark.since);
    return { kind: 'wait', until: decideBy + VERDICT_GRACE_MS, mark };
  }
  return { kind: 'held' };
}

const DEAD = new Set(['killed', 'deleted', 'pending_delete', 'deactivated']);

/** What a deleter does after re-reading a set it marked. */
export type DeleteVerdict =
  | { kind: 'delete' }
  /** Unexpired leases: the set stays (the mark is removed). */
  | { kind: 'keep'; leases: Lease[] }
  /** Its mark was lost on these images (a write at the same moment): mark them again and settle again. */
  | { kind: 'remark'; imageIds: string[] };

/** Pure: the deleter's side. Any unexpired lease keeps the set; the mark must be on every image still there. */
export function deleteVerdict(reread: readonly Image[], snapId: string, mark: string, now: Date): DeleteVerdict {
  const leases = activeLeases(setLeases(reread, snapId, now));
  if (leases.length) return { kind: 'keep', leases };
  const unmarked = reread.filter((image) => !DEAD.has(image.status) && image[DELETING_PROPERTY] !== mark);
  if (unmarked.length) return { kind: 'remark', imageIds: unmarked.map((image) => image.id) };
  return { kind: 'delete' };
}
