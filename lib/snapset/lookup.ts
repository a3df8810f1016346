// One lookup for the module and the CLI: the project's sets in a scope, optionally the set to use
// (newest usable, or pinned) and the restore plan for a target template — all decided before
// anything is created. With a target, sets of another tool (tags only) are judged against it.
import { loadSets } from './catalog.ts';
import { planRestore, type RestorePlan, restoreTarget, type Template, targetTopology } from './restore.ts';
import { type Choice, chooseSet, inScope, type Scope, type SnapsetSummary, type Topology } from './sets.ts';

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

/** Throws RestoreError (from planRestore) when the chosen set cannot boot in the target. */
export async function lookupSets(conn: Parameters<typeof loadSets>[0], request: LookupRequest): Promise<LookupResult> {
  const now = request.now ?? new Date();
  // The target says which instances it restores: that is the scenario's topology.
  const topology = request.target
    ? targetTopology(request.target.template, request.scope.topology, request.target.parameters)
    : request.scope.topology;
  const scope: Scope = { ...request.scope, ...(topology ? { topology } : {}) };
  const all = await loadSets(conn, now);
  // A pinned set is looked for among all the project's sets: pinning says which one.
  const sets = all.filter((set) => inScope(set, scope) || set.snap_id === request.snapId);
  let choice: Choice | undefined;
  let restore: RestorePlan | undefined;
  if (request.choose || request.snapId || request.target) {
    choice = chooseSet(request.snapId ? all : sets, {
      ...(topology ? { topology } : {}),
      ...(request.snapId ? { snapId: request.snapId } : {}),
      ...(request.target ? { target: restoreTarget(request.target.template, request.target.parameters, request.scope.topology) } : {}),
    });
    if (choice.chosen && request.target)
      restore = planRestore(choice.chosen, request.target.template, request.target.parameters, request.scope.topology);
  }
  return { sets, choice, restore, topology };
}
