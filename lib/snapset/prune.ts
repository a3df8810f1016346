// Which SnapSets go in a prune, decided purely from the sets as sets.ts judges them: by age, by a
// count of sets to keep, and orphans (images of a run that never completed). The newest usable set
// of the scope is never pruned unless it is named by snap_id; a complete set is never an orphan.
import { HotstackError } from '../errors.ts';
import { chooseSet, inScope, newestFirst, type Scope, type SnapsetSummary } from './sets.ts';

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
}

export interface PruneDecision {
  snap_id: string;
  status: string;
  created_at: string;
  reason: string;
  image_ids: string[];
}

export interface PrunePlan {
  delete: PruneDecision[];
  /** Sets in scope that stay, with why (when a rule would have matched them or they are the newest usable). */
  keep: PruneDecision[];
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

/** Pure: an orphan is a set that is not complete (never usable, never expired) and saw no activity for the grace period. */
export function isOrphan(set: SnapsetSummary, now: Date, graceSeconds: number): boolean {
  if (set.status === 'usable' || set.status === 'expired') return false;
  const last = Date.parse(set.last_activity_at);
  return !Number.isNaN(last) && now.getTime() - last > graceSeconds * 1000;
}

const decision = (set: SnapsetSummary, reason: string): PruneDecision => ({
  snap_id: set.snap_id,
  status: set.status,
  created_at: set.created_at,
  reason,
  image_ids: set.images.map((image) => image.id),
});

/** Pure: what a prune deletes and what it keeps, and why. */
export function planPrune(sets: SnapsetSummary[], policy: PrunePolicy, now: Date): PrunePlan {
  const plan: PrunePlan = { delete: [], keep: [] };
  if (policy.snapIds?.length) {
    for (const snapId of policy.snapIds) {
      const set = sets.find((candidate) => candidate.snap_id === snapId);
      if (set) plan.delete.push(decision(set, 'named by snap_id'));
    }
    return plan;
  }
  const scoped = sets.filter((set) => inScope(set, policy.scope)).sort(newestFirst);
  // The newest set a restore would pick in this scope is kept, whatever the rules say.
  const protectedSet = chooseSet(scoped, policy.scope.topology ? { topology: policy.scope.topology } : {}).chosen;
  const usable = scoped.filter((set) => set.status === 'usable');
  const graceSeconds = policy.orphanGraceSeconds ?? 3600;
  for (const set of scoped) {
    if (set === protectedSet) {
      if (policy.olderThanSeconds !== undefined || policy.keep !== undefined)
        plan.keep.push(decision(set, 'the newest usable set of the scope (delete it by snap_id)'));
      continue;
    }
    const ageSeconds = (now.getTime() - Date.parse(set.created_at)) / 1000;
    const complete = set.status === 'usable' || set.status === 'expired';
    let reason: string | undefined;
    if (policy.olderThanSeconds !== undefined && ageSeconds > policy.olderThanSeconds && complete) {
      reason = `older than ${policy.olderThanSeconds}s (created ${set.created_at})`;
    } else if (policy.keep !== undefined && complete) {
      const rank = usable.indexOf(set);
      if (set.status === 'expired') reason = 'expired, beyond the sets to keep';
      else if (rank >= policy.keep) reason = `beyond the ${policy.keep} newest usable set(s) to keep`;
    }
    if (!reason && policy.orphans && isOrphan(set, now, graceSeconds))
      reason = `orphan: ${set.status} (${set.problems.join('; ')}), no activity for over ${graceSeconds}s`;
    if (reason) plan.delete.push(decision(set, reason));
    else if (!complete && !isOrphan(set, now, graceSeconds))
      plan.keep.push(decision(set, `${set.status} but active within the last ${graceSeconds}s (a run may still be making it)`));
  }
  return plan;
}
