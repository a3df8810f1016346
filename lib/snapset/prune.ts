// Which SnapSets go in a prune, decided purely from the sets as sets.ts judges them: by age, by a
// count of sets to keep, and orphans (images of a run of this project that never completed). The
// newest usable set of the scope is never pruned unless it is named by snap_id; a complete set is
// never an orphan. Sets of another tool (Hotstack's, tags only: `unverified`) are never orphans; age
// and count treat them as complete sets, and the newest of them that covers the scope is kept like
// the newest usable set (a restore may choose it).
import { HotstackError } from '../errors.ts';
import { activeLeases, describeLeases, type Lease } from './lease.ts';
import { chooseSet, inScope, newestFirst, type Scope, type SnapsetSummary, topologyMismatch } from './sets.ts';

export interface PrunePolicy {
  scope: Scope;
  /** Complete sets created longer ago than this go (seconds). */
  olderThanSeconds?: number;
  /** Keep this many newest usable sets; older sets go. */
  keep?: number;
  /** Also delete orphans (incomplete sets without activity for orphanGraceSeconds); age and count rules never touch incomplete sets. */
  orphans?: boolean;
  orphanGraceSeconds?: number;
  /** Delete exactly these sets (even the newest usable one), and nothing else. */
  snapIds?: string[];
  /** Delete leased sets too (named ones; age and count never delete a leased set). */
  force?: boolean;
}

export interface PruneDecision {
  snap_id: string;
  status: string;
  created_at: string;
  reason: string;
  image_ids: string[];
  /** Unexpired leases on it (holders and expiries): a restore is using it. */
  leases?: Lease[];
}

export interface PrunePlan {
  delete: PruneDecision[];
  /** snap_ids named that are not among the sets (a typo, or already deleted). */
  missing: string[];
  /** Sets in scope that stay, with why (when a rule would have matched them or they are the newest usable). */
  keep: PruneDecision[];
  /** Named sets that are leased (without force): the prune is refused, nothing deleted. */
  refused: PruneDecision[];
}

/** Durations as a user writes them: 3600, "3600", "90s", "45m", "12h", "30d", "2w". */
export function parseDuration(value: string | number, what = 'duration'): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$/.exec(String(value));
  if (!match)
    throw new HotstackError(`${what}: ${JSON.stringify(value)} is not a duration (a number of seconds, or a number with s, m, h, d or w)`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[match[2] as '' | 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(match[1]) * unit;
}

/**
 * Pure: an orphan is a set of this project that is not complete (never usable, never expired) and
 * saw no activity for the grace period. Another tool's set is never one: its completeness cannot be
 * shown from its images, and a cut run of it is not this project's to clean up.
 */
export function isOrphan(set: SnapsetSummary, now: Date, graceSeconds: number): boolean {
  if (set.made_by !== 'this project') return false;
  if (set.status === 'usable' || set.status === 'expired') return false;
  const last = Date.parse(set.last_activity_at);
  return !Number.isNaN(last) && now.getTime() - last > graceSeconds * 1000;
}

const decision = (set: SnapsetSummary, reason: string): PruneDecision => {
  const leases = activeLeases(set.leases ?? []);
  return {
    snap_id: set.snap_id,
    status: set.status,
    created_at: set.created_at,
    reason,
    image_ids: set.images.map((image) => image.id),
    ...(leases.length ? { leases } : {}),
  };
};

/** Pure: why a leased set stays (holders and expiries), or undefined when nobody holds it. */
export function leasedReason(set: Pick<SnapsetSummary, 'leases'>): string | undefined {
  const leases = activeLeases(set.leases ?? []);
  return leases.length ? `leased by ${describeLeases(leases)} (a restore is using it; force deletes it anyway)` : undefined;
}

/** Pure: what a prune deletes and what it keeps, and why. */
export function planPrune(sets: SnapsetSummary[], policy: PrunePolicy, now: Date): PrunePlan {
  const plan: PrunePlan = { delete: [], missing: [], keep: [], refused: [] };
  if (policy.snapIds?.length) {
    for (const snapId of policy.snapIds) {
      const set = sets.find((candidate) => candidate.snap_id === snapId);
      const leased = set && leasedReason(set);
      if (set && leased && !policy.force) plan.refused.push(decision(set, leased));
      else if (set)
        plan.delete.push(
          decision(set, leased ? `named by snap_id, forced although ${leased.replace(/ \(a restore.*$/, '')}` : 'named by snap_id'),
        );
      else plan.missing.push(snapId);
    }
    return plan;
  }
  const scoped = sets.filter((set) => inScope(set, policy.scope)).sort(newestFirst);
  const topology = policy.scope.topology;
  // Another tool's set counts for the scope when it holds the scope's instances and roles (any, without a topology).
  const covers = (set: SnapsetSummary) => set.status === 'unverified' && (!topology || topologyMismatch(set, topology).length === 0);
  // The newest set a restore would pick in this scope is kept, whatever the rules say; a restore
  // judges another tool's sets against its target, so the newest of those that cover the scope is
  // kept too when it is newer (and the newest usable one of this project stays behind it).
  const protectedOwn = chooseSet(scoped, topology ? { topology } : {}).chosen;
  const newestForeign = scoped.find(covers);
  const protectedSets = new Map<SnapsetSummary, string>();
  if (protectedOwn) protectedSets.set(protectedOwn, 'the newest usable set of the scope (delete it by snap_id)');
  if (newestForeign && (!protectedOwn || newestFirst(newestForeign, protectedOwn) < 0))
    protectedSets.set(
      newestForeign,
      'the newest set of another tool that covers the scope: a restore judging it against its target may choose it (delete it by snap_id)',
    );
  // A leased set is never deleted by age or count, and a complete one counts among the sets kept.
  const complete = (set: SnapsetSummary) => set.status === 'usable' || set.status === 'expired' || set.status === 'unverified';
  const counted = scoped.filter((set) => set.status === 'usable' || covers(set) || (complete(set) && leasedReason(set)));
  const graceSeconds = policy.orphanGraceSeconds ?? 3600;
  for (const set of scoped) {
    const protectedReason = protectedSets.get(set);
    if (protectedReason) {
      if (policy.olderThanSeconds !== undefined || policy.keep !== undefined) plan.keep.push(decision(set, protectedReason));
      continue;
    }
    const ageSeconds = (now.getTime() - Date.parse(set.created_at)) / 1000;
    const complete = set.status === 'usable' || set.status === 'expired' || set.status === 'unverified';
    const leased = leasedReason(set);
    let reason: string | undefined;
    if (policy.olderThanSeconds !== undefined && ageSeconds > policy.olderThanSeconds && complete) {
      reason = `older than ${policy.olderThanSeconds}s (created ${set.created_at})`;
    } else if (policy.keep !== undefined && complete) {
      const rank = counted.indexOf(set);
      if (set.status === 'expired' && !counted.includes(set)) reason = 'expired, beyond the sets to keep';
      else if (rank >= policy.keep) reason = `beyond the ${policy.keep} newest usable set(s) to keep`;
    }
    if (!reason && policy.orphans && isOrphan(set, now, graceSeconds))
      reason = `orphan: ${set.status} (${set.problems.join('; ')}), no activity for over ${graceSeconds}s`;
    if (reason && leased) plan.keep.push(decision(set, leased));
    else if (reason) plan.delete.push(decision(set, reason));
    else if (set.made_by !== 'this project') {
      if (policy.orphans || policy.keep !== undefined)
        plan.keep.push(
          decision(
            set,
            `made by another tool (${set.status}): never an orphan (orphans are this project's own cut runs)${complete && !counted.includes(set) ? "; not of the scope's instances, so not counted among the sets to keep" : ''}; delete it by snap_id${complete ? ' or by age' : ''}`,
          ),
        );
    } else if (!complete && !isOrphan(set, now, graceSeconds))
      plan.keep.push(decision(set, `${set.status} but active within the last ${graceSeconds}s (a run may still be making it)`));
  }
  return plan;
}

/**
 * Pure: the sets of the prune's scope whose images carry expired leases or a dead deleter's mark
 * (the prune removes them on its way); none when sets are named (only they are touched then).
 */
export function setsToClean(sets: SnapsetSummary[], policy: PrunePolicy, deleted: readonly string[] = []): PruneDecision[] {
  if (policy.snapIds?.length) return [];
  return sets
    .filter((set) => inScope(set, policy.scope) && !deleted.includes(set.snap_id))
    .filter((set) => (set.leases ?? []).some((lease) => lease.expired) || set.deleting?.stale)
    .map((set) => decision(set, 'expired leases or a stale deletion mark'));
}
