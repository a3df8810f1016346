// One lookup for the module and the CLI: the project's sets in a scope, optionally the set to use
// (newest usable, or pinned) and the restore plan for a target template — all decided before
// anything is created. With a target, sets of another tool (tags only) are judged against it.
import { loadSet, loadSets, loadSetsUntil } from './catalog.ts';
import { planRestore, type RestorePlan, restoreTarget, type Template, targetTopology } from './restore.ts';
import { type Choice, chooseSet, inScope, newestFirst, type Scope, type SnapsetSummary, type Topology } from './sets.ts';

/**
 * The newest `limit` sets of the scope, read newest first and stopping once they are known (whole):
 * with hundreds of sets, a page or two instead of every image. `more` says whether older sets of the
 * scope may exist that were not returned (not read, or beyond the limit).
 */
export async function newestSets(
  conn: Parameters<typeof loadSets>[0],
  scope: Scope,
  limit: number,
  now = new Date(),
): Promise<{ sets: SnapsetSummary[]; more: boolean }> {
  const read = await loadSetsUntil(conn, (known) => known.filter((set) => inScope(set, scope)).length >= limit, now);
  const scoped = read.sets.filter((set) => inScope(set, scope));
  return { sets: scoped.slice(0, limit), more: !read.complete || scoped.length > limit };
}

export interface LookupRequest {
  scope: Scope;
  /** Choose a set: the pinned one, else the newest usable one. */
  choose: boolean;
  snapId?: string;
  /** Target of a restore: its template (parsed) and the stack parameters it will get. */
  target?: { template: Template; parameters: Record<string, unknown> };
  now?: Date;
}

export interface LookupResult {
  sets: SnapsetSummary[];
  choice: Choice | undefined;
  restore: RestorePlan | undefined;
  topology: Topology | undefined;
}

/**
 * Throws RestoreError (from planRestore) when the chosen set cannot boot in the target.
 *
 * Without a set to choose, every set of the scope is read (one listing of the project's images).
 * Choosing reads no more than the choice needs: a pinned set is fetched by its snap_id alone (two
 * requests), and the newest set that counts is found reading newest first, stopping once the sets
 * read settle it; `sets` are then the sets looked at — the pinned one, or the chosen one and the
 * newer sets of the scope passed over (all sets of the scope when none counts).
 */
export async function lookupSets(conn: Parameters<typeof loadSets>[0], request: LookupRequest): Promise<LookupResult> {
  const now = request.now ?? new Date();
  // The target says which instances it restores: that is the scenario's topology.
  const topology = request.target
    ? targetTopology(request.target.template, request.scope.topology, request.target.parameters)
    : request.scope.topology;
  const scope: Scope = { ...request.scope, ...(topology ? { topology } : {}) };
  if (!(request.choose || request.snapId || request.target)) {
    const sets = (await loadSets(conn, now)).filter((set) => inScope(set, scope));
    return { sets, choice: undefined, restore: undefined, topology };
  }
  const options = {
    ...(topology ? { topology } : {}),
    ...(request.snapId ? { snapId: request.snapId } : {}),
    ...(request.target ? { target: restoreTarget(request.target.template, request.target.parameters, request.scope.topology) } : {}),
  };
  let sets: SnapsetSummary[];
  let choice: Choice;
  if (request.snapId) {
    // A pinned set is looked for among all the project's sets: pinning says which one.
    const pinned = await loadSet(conn, request.snapId, now);
    sets = pinned ? [pinned] : [];
    choice = chooseSet(sets, options);
  } else {
    let settled: Choice | undefined;
    const read = await loadSetsUntil(
      conn,
      (known) => {
        const candidate = chooseSet(
          known.filter((set) => inScope(set, scope)),
          options,
        );
        if (candidate.chosen) settled = candidate;
        return !!candidate.chosen;
      },
      now,
    );
    const scoped = read.sets.filter((set) => inScope(set, scope));
    choice = settled ?? chooseSet(scoped, options);
    const chosen = choice.chosen;
    sets = chosen ? scoped.filter((set) => newestFirst(set, chosen) <= 0) : scoped;
  }
  const restore =
    choice.chosen && request.target
      ? planRestore(choice.chosen, request.target.template, request.target.parameters, request.scope.topology)
      : undefined;
  return { sets, choice, restore, topology };
}
