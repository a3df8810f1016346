// SnapSets as a reader sees them in Glance: images grouped by snap_id, each set judged (complete,
// consistent, active, marked, still revivable) and, for a lookup, the newest set that counts — with
// the reasons every newer one was passed over. Sets made by another tool (Hotstack's own module:
// tags only) are `unverified` and count only when judged against a restore target (foreign.ts).
// Pure functions over image records: the Glance calls are in catalog.ts.
import { HotstackError } from '../errors.ts';
import type { Image } from '../openstack/glance.ts';
import { ownImage, setCompleteness, snapIdOf } from './completeness.ts';
import { HOTSTACK_TAG, NAME_PROPERTY, SNAP_ID_PROPERTY, SNAPSET_SIZE_PROPERTY, SNAPSET_TAG } from './data.ts';
import {
  foreignProblems,
  judgeAgainstTarget,
  madeBeforeTheMark,
  madeByAnotherTool,
  type RestoreTarget,
  UNVERIFIED_REASON,
} from './foreign.ts';
import { type DeletionMark, describeMark, type Lease, setDeletionMark, setLeases } from './lease.ts';

export { snapIdOf };

/** Until when the set can be revived at all / without approving kubelet CSRs (ISO 8601 UTC). */
const REVIVABLE_UNTIL_PROPERTY = 'hotstack_revivable_until';
const REVIVABLE_WITHOUT_CSR_UNTIL_PROPERTY = 'hotstack_revivable_without_csr_until';

/** `unverified`: made by another tool, whole as far as its images show, usable only as judged against a restore target. */
export type SetStatus = 'usable' | 'unverified' | 'expired' | 'incomplete' | 'inconsistent';

export interface SetImage {
  id: string;
  image_name: string | null;
  /** Instance name (tag name=, else property hotstack_name). */
  name: string | undefined;
  role: string | undefined;
  mac_address: string | undefined;
  status: string;
  marked: boolean;
  size_bytes: number | null;
  created_at: string;
}

export interface SnapsetSummary {
  snap_id: string;
  /** Creation of its first image (ISO 8601). */
  created_at: string;
  /** Creation of its last image: how long ago the run last did something. */
  last_activity_at: string;
  status: SetStatus;
  /** Why the set does not count (empty for a usable set). */
  problems: string[];
  /** `this project` (hotstack_snapset with its hotstack_* properties) or `another tool` (tags only, e.g. Hotstack's module). */
  made_by: 'this project' | 'another tool';
  /** Whether reviving it needs kubelet CSR approval: past hotstack_revivable_without_csr_until; null when the set records no date. */
  needs_csr_approval: boolean | null;
  /** What to know before reviving it (CSR approval needed, no dates recorded), one sentence each. */
  notes: string[];
  /** Declared number of instances (hotstack_snapset_size), or null when the images carry none. */
  size: number | null;
  image_count: number;
  /** instance name → role. */
  instances: Record<string, string>;
  roles: string[];
  bytes: number;
  revivable_until: string | null;
  revivable_without_csr_until: string | null;
  /** Restores holding the set (hotstack_lease_<holder>), expired ones included (they never block). */
  leases: Lease[];
  /** A deleter's mark (hotstack_deleting): a restore passes a set with a fresh one over. */
  deleting: DeletionMark | null;
  images: SetImage[];
}

/** What a set must hold to count for a scenario: instance name → role. */
export type Topology = Record<string, string>;

function tagValue(tags: string[], key: string): string[] {
  return tags.filter((tag) => tag.startsWith(`${key}=`)).map((tag) => tag.slice(key.length + 1));
}

function propertyString(image: Image, key: string): string | undefined {
  const value = image[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** True for images a SnapSet run made (tagged hotstack, or carrying its snap_id property). */
function isSnapsetImage(image: Image): boolean {
  return (
    snapIdOf(image) !== undefined && ((image.tags ?? []).includes(HOTSTACK_TAG) || propertyString(image, SNAP_ID_PROPERTY) !== undefined)
  );
}

function earliest(dates: string[]): string | null {
  const valid = dates.filter((date) => !Number.isNaN(Date.parse(date)));
  if (!valid.length) return null;
  return valid.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
}

/**
 * Pure: the set built from its images, judged at `now`. Completeness (size, members, status, the
 * mark) is setCompleteness's verdict, shared with every reader; on top of it: an instance without
 * role= or mac_address= tag cannot be restored, and a set past hotstack_revivable_until is expired.
 * Contradictions (several snap_ids, sizes that disagree, an instance twice, more images than the
 * size) make it inconsistent rather than merely incomplete.
 */
export function summarizeSet(snapId: string, listed: Image[], now: Date): SnapsetSummary {
  const images = listed.map(ownImage);
  const foreign = madeByAnotherTool(images);
  const foreignVerdict = foreign ? foreignProblems(images) : undefined;
  const verdict = setCompleteness(images);
  const problems: string[] = foreignVerdict ? [...foreignVerdict.inconsistent, ...foreignVerdict.incomplete] : [...verdict.problems];
  const setImages: SetImage[] = images
    .map((image) => {
      const tags = image.tags ?? [];
      return {
        id: image.id,
        image_name: image.name,
        name: propertyString(image, NAME_PROPERTY) ?? tagValue(tags, 'name')[0],
        role: tagValue(tags, 'role')[0],
        mac_address: tagValue(tags, 'mac_address')[0],
        status: image.status,
        marked: tags.includes(SNAPSET_TAG),
        size_bytes: typeof image.size === 'number' ? image.size : null,
        created_at: image.created_at,
      };
    })
    .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.id.localeCompare(b.id));

  const snapIds = new Set(images.map(snapIdOf));
  const sizes = new Set(images.map((image) => propertyString(image, SNAPSET_SIZE_PROPERTY)));
  const names = setImages.map((image) => image.name).filter((name): name is string => !!name);
  let inconsistent =
    snapIds.size > 1 || !snapIds.has(snapId) || (sizes.size > 1 && !sizes.has(undefined)) || new Set(names).size < names.length;
  if (verdict.expectedSize !== undefined && verdict.members.length > verdict.expectedSize) inconsistent = true;
  if (foreignVerdict?.inconsistent.length) inconsistent = true;
  const size = verdict.expectedSize ?? null;

  const instances: Record<string, string> = {};
  for (const image of setImages) {
    if (!image.name || image.name in instances) continue;
    instances[image.name] = image.role ?? '';
    if (!image.role) problems.push(`image ${image.id} (instance ${image.name}) has no role= tag`);
    if (!image.mac_address) problems.push(`image ${image.id} (instance ${image.name}) has no mac_address= tag`);
  }
  const incomplete =
    (foreignVerdict ? foreignVerdict.incomplete.length > 0 : !verdict.complete) ||
    setImages.some((image) => !image.role || !image.mac_address);

  const dateProperty = (key: string): string | null => {
    const values = images.map((image) => propertyString(image, key)).filter((value): value is string => !!value);
    for (const value of values) {
      if (Number.isNaN(Date.parse(value))) {
        problems.push(`${key} is not a date (${value})`);
        inconsistent = true;
      }
    }
    return earliest(values);
  };
  const revivableUntil = dateProperty(REVIVABLE_UNTIL_PROPERTY);
  const withoutCsrUntil = dateProperty(REVIVABLE_WITHOUT_CSR_UNTIL_PROPERTY);

  let status: SetStatus = inconsistent ? 'inconsistent' : incomplete ? 'incomplete' : foreign ? 'unverified' : 'usable';
  if ((status === 'usable' || status === 'unverified') && revivableUntil && Date.parse(revivableUntil) <= now.getTime()) {
    problems.push(`expired: revivable until ${revivableUntil}`);
    status = 'expired';
  }
  if (status === 'unverified') problems.push(UNVERIFIED_REASON);
  const csr = csrNotes(status, withoutCsrUntil, foreign, now);
  if (status === 'unverified' && madeBeforeTheMark(images))
    csr.notes.push(
      "none of its images carries the hotstack-snapset mark: made by a Hotstack from before 2025-07, which did not mark its sets (each image's status is judged instead)",
    );

  const created = images.map((image) => image.created_at);
  return {
    snap_id: snapId,
    created_at: earliest(created) ?? '',
    last_activity_at: created
      .filter((date) => !Number.isNaN(Date.parse(date)))
      .reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b), created[0] ?? ''),
    status,
    problems,
    made_by: foreign ? 'another tool' : 'this project',
    needs_csr_approval: csr.needed,
    notes: csr.notes,
    size,
    image_count: images.length,
    instances,
    roles: [...new Set(Object.values(instances).filter(Boolean))].sort(),
    bytes: setImages.reduce((sum, image) => sum + (image.size_bytes ?? 0), 0),
    revivable_until: revivableUntil,
    revivable_without_csr_until: withoutCsrUntil,
    // From the images as listed: leases are written on another tool's sets too (ownImage drops copied hotstack_* properties).
    leases: setLeases(listed, snapId, now),
    deleting: setDeletionMark(listed, snapId, now),
    images: setImages,
  };
}

/** Pure: whether reviving a set that counts (or may) needs kubelet CSR approval, and the note that says so. */
function csrNotes(
  status: SetStatus,
  withoutCsrUntil: string | null,
  foreign: boolean,
  now: Date,
): { needed: boolean | null; notes: string[] } {
  if (status !== 'usable' && status !== 'unverified')
    return { needed: withoutCsrUntil ? Date.parse(withoutCsrUntil) <= now.getTime() : null, notes: [] };
  if (!withoutCsrUntil) {
    return {
      needed: null,
      notes: foreign
        ? [
            'no revive dates recorded (made by another tool; Hotstack documents its sets as usable for 30 days): if the kubelet certificates ran out while it was off, reviving needs their CSRs approved (hotstack_revive approves them)',
          ]
        : [],
    };
  }
  if (Date.parse(withoutCsrUntil) > now.getTime()) return { needed: false, notes: [] };
  return {
    needed: true,
    notes: [
      `reviving it needs kubelet CSR approval: revivable without it only until ${withoutCsrUntil} (hotstack_revivable_without_csr_until); hotstack_revive approves the CSRs (bootstrap.yml with hotstack_revive_snapshot runs it)`,
    ],
  };
}

/** Pure: every set among the images (non-SnapSet images ignored), newest first. */
export function groupSets(images: Image[], now: Date): SnapsetSummary[] {
  const bySnapId = new Map<string, Image[]>();
  for (const image of images) {
    if (!isSnapsetImage(image)) continue;
    const snapId = snapIdOf(image) as string;
    bySnapId.set(snapId, [...(bySnapId.get(snapId) ?? []), image]);
  }
  return [...bySnapId].map(([snapId, members]) => summarizeSet(snapId, members, now)).sort(newestFirst);
}

export function newestFirst(a: SnapsetSummary, b: SnapsetSummary): number {
  return Date.parse(b.created_at) - Date.parse(a.created_at) || a.snap_id.localeCompare(b.snap_id);
}

/** Pure: why the set does not hold exactly the instances (names and roles) of a topology; [] when it does. */
export function topologyMismatch(set: SnapsetSummary, topology: Topology): string[] {
  const problems: string[] = [];
  const missing = Object.keys(topology)
    .filter((name) => !(name in set.instances))
    .sort();
  const extra = Object.keys(set.instances)
    .filter((name) => !(name in topology))
    .sort();
  if (missing.length) problems.push(`no image for instance${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  if (extra.length) problems.push(`instance${extra.length > 1 ? 's' : ''} ${extra.join(', ')} not in the scenario`);
  for (const [name, role] of Object.entries(topology)) {
    const have = set.instances[name];
    if (have !== undefined && role && have !== role)
      problems.push(`instance ${name} has role ${have || '(none)'}, the scenario wants ${role}`);
  }
  return problems;
}

export interface Scope {
  /** Every instance name of the set starts with this. */
  namePrefix?: string;
  /** The set's instance names are exactly these (a scenario's instances). */
  topology?: Topology;
}

/** Pure: whether a set is inside a scope (same instance names for a topology; roles are judged by `why`). */
export function inScope(set: SnapsetSummary, scope: Scope): boolean {
  const names = Object.keys(set.instances);
  if (scope.namePrefix !== undefined && (names.length === 0 || !names.every((name) => name.startsWith(scope.namePrefix as string))))
    return false;
  if (scope.topology) {
    const wanted = Object.keys(scope.topology);
    // A cut set of the scenario is still the scenario's: some of its names, none foreign.
    if (names.length === 0 || !names.every((name) => wanted.includes(name))) return false;
  }
  return true;
}

/**
 * Pure: why a set does not count for a restore (none when it does). A set of another tool counts
 * only as judged against the restore target: without one it stays `unverified`.
 */
function whyNotUsable(set: SnapsetSummary, topology?: Topology, target?: RestoreTarget): string[] {
  if (set.deleting && !set.deleting.stale) return [describeMark(set.snap_id, set.deleting)];
  if (set.status === 'unverified' && target) {
    const faults = judgeAgainstTarget(set, target);
    return faults.length ? [`made by another tool, judged against the target: ${faults.join('; ')}`] : [];
  }
  const problems = set.status === 'usable' ? [] : [`${set.status}: ${set.problems.join('; ')}`];
  if (topology) {
    const mismatch = topologyMismatch(set, topology);
    if (mismatch.length) problems.push(`different topology: ${mismatch.join('; ')}`);
  }
  return problems;
}

/** Pure: how a chosen set was judged, for the one line a human reads. */
function judged(set: SnapsetSummary, target?: RestoreTarget): string {
  const how =
    set.status === 'unverified' && target
      ? ` — made by another tool (tags only), judged against the target only: one active image per instance (${Object.keys(target.instances).sort().join(', ')}), roles and MACs equal`
      : '';
  return `${how}${set.notes.length ? `; ${set.notes.join('; ')}` : ''}`;
}

export interface PassedOver {
  snap_id: string;
  created_at: string;
  reasons: string[];
}

export interface Choice {
  chosen: SnapsetSummary | undefined;
  /** The chosen set is another tool's, usable for the target only as judged against it. */
  judged_against_target: boolean;
  /** Newer sets (or the pinned one) that did not count, and why. */
  passed_over: PassedOver[];
  /** One line for a human: what was chosen, or why nothing was. */
  explanation: string;
}

/**
 * Pure: the newest set that counts (usable, and of the topology when one is given; a set of another
 * tool when it passes the target), or the pinned snap_id when it counts. Sets are looked at newest
 * first; every one skipped says why.
 */
export function chooseSet(sets: SnapsetSummary[], options: { topology?: Topology; snapId?: string; target?: RestoreTarget } = {}): Choice {
  const passedOver: PassedOver[] = [];
  const judgedAgainstTarget = (set: SnapsetSummary) => set.status === 'unverified' && !!options.target;
  if (options.snapId) {
    const pinned = sets.find((set) => set.snap_id === options.snapId);
    if (!pinned)
      return {
        chosen: undefined,
        judged_against_target: false,
        passed_over: [],
        explanation: `no SnapSet ${options.snapId} among the project's images`,
      };
    const reasons = whyNotUsable(pinned, options.topology, options.target);
    if (reasons.length) {
      return {
        chosen: undefined,
        judged_against_target: false,
        passed_over: [{ snap_id: pinned.snap_id, created_at: pinned.created_at, reasons }],
        explanation: `SnapSet ${pinned.snap_id} cannot be used: ${reasons.join('; ')}`,
      };
    }
    return {
      chosen: pinned,
      judged_against_target: judgedAgainstTarget(pinned),
      passed_over: [],
      explanation: `SnapSet ${pinned.snap_id} (pinned), created ${pinned.created_at}${judged(pinned, options.target)}`,
    };
  }
  for (const set of [...sets].sort(newestFirst)) {
    const reasons = whyNotUsable(set, options.topology, options.target);
    if (!reasons.length) {
      const skipped = passedOver.length
        ? `; passed over ${passedOver.length} newer set(s): ${passedOver.map((p) => `${p.snap_id} (${p.reasons.join('; ')})`).join(', ')}`
        : '';
      return {
        chosen: set,
        judged_against_target: judgedAgainstTarget(set),
        passed_over: passedOver,
        explanation: `SnapSet ${set.snap_id}, created ${set.created_at}${judged(set, options.target)}${skipped}`,
      };
    }
    passedOver.push({ snap_id: set.snap_id, created_at: set.created_at, reasons });
  }
  const why = passedOver.length ? `; looked at ${passedOver.map((p) => `${p.snap_id} (${p.reasons.join('; ')})`).join(', ')}` : '';
  return {
    chosen: undefined,
    judged_against_target: false,
    passed_over: passedOver,
    explanation: `no usable SnapSet${options.topology ? ` for instances ${Object.keys(options.topology).sort().join(', ')}` : ''}${why}`,
  };
}

/**
 * Pure: a topology as users give it — {name: role}, {name: {role: …}} (snapset_data.instances
 * itself), or a list of "name=role" — checked, naming the entry at fault.
 */
export function parseTopology(value: unknown, where = 'instances'): Topology {
  const topology: Topology = {};
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item) => {
        const [name, role = ''] = String(item).split('=');
        return [name ?? '', role];
      })
    : value && typeof value === 'object'
      ? Object.entries(value as Record<string, unknown>)
      : [];
  if (!entries.length) throw new HotstackError(`${where}: give the instances as {name: role} (or name=role items)`);
  for (const [name, raw] of entries) {
    const role = raw && typeof raw === 'object' ? (raw as Record<string, unknown>).role : raw;
    if (!name) throw new HotstackError(`${where}: an instance has no name`);
    if (typeof role !== 'string') throw new HotstackError(`${where}.${name}: the role must be a string`);
    topology[name] = role;
  }
  return topology;
}
