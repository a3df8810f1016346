// Cluster stability exactly as `oc adm wait-for-stable-cluster` defines it (facts §2.1), as a pure
// state machine: fed with full lists, watch events, API errors and the clock, it says whether the
// cluster has been stable for strictly longer than the period, which operators hold it back and why,
// and what changed (for a log that reports transitions, not every poll). No I/O here: the watch
// that feeds it lives in stable-wait.ts.

export interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export interface ClusterOperatorLike {
  metadata?: { name?: string };
  status?: { conditions?: Condition[] };
}

/**
 * Why an operator is unstable, in oc's words ("unavailable and progressing"), or null when it is
 * Available=True, Progressing=False and Degraded=False. A missing condition counts as unstable, as
 * oc's IsStatusConditionTrue/False do; the reason then says the condition is missing.
 */
export function unstableReason(operator: ClusterOperatorLike): string | null {
  const conditions = operator.status?.conditions ?? [];
  const find = (type: string) => conditions.find((condition) => condition.type === type);
  const parts: string[] = [];
  const check = (type: string, wanted: 'True' | 'False', word: string) => {
    const condition = find(type);
    if (!condition) parts.push(`${word} (no ${type} condition)`);
    else if (condition.status !== wanted) parts.push(word);
  };
  check('Available', 'True', 'unavailable');
  check('Progressing', 'False', 'progressing');
  check('Degraded', 'False', 'degraded');
  return parts.length === 0 ? null : parts.join(' and ');
}

export type Transition =
  /** `first`: seen unstable at the first read (oc: "is"), else it just went unstable (oc: "became"). */
  | { kind: 'unstable'; operator: string; reason: string; first: boolean }
  | { kind: 'changed'; operator: string; reason: string }
  | { kind: 'stabilized'; operator: string; afterMs: number }
  | { kind: 'removed'; operator: string }
  | { kind: 'all-stable' }
  | { kind: 'reset'; cause: string };

export interface UnstableOperator {
  name: string;
  reason: string;
  /** How long it has been unstable, as observed by this wait. */
  forMs: number;
}

export interface StabilityStatus {
  done: boolean;
  /** When every operator became stable (ms epoch), or null. */
  stableSince: number | null;
  /** When the wait can succeed if nothing changes (stableSince + period, strict), or null. */
  doneAt: number | null;
  unstable: UnstableOperator[];
  operators: number;
}

export interface HeldBack {
  name: string;
  /** Total time it was unstable during this wait. */
  unstableMs: number;
  lastReason: string;
}

interface OperatorState {
  reason: string | null;
  since: number;
}

export class StabilityTracker {
  readonly periodMs: number;
  #operators = new Map<string, OperatorState>();
  #stableSince: number | null = null;
  /** No list has succeeded yet, or an API error happened since the last good read. */
  #synced = false;
  #held = new Map<string, { ms: number; lastReason: string }>();

  constructor(periodMs: number) {
    this.periodMs = periodMs;
  }

  /** A full, successful list of every ClusterOperator (the first read, or a relist after a lost watch). */
  list(items: readonly ClusterOperatorLike[], now: number): Transition[] {
    const transitions: Transition[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const name = item.metadata?.name;
      if (!name) continue;
      seen.add(name);
      transitions.push(...this.#set(name, unstableReason(item), now));
    }
    for (const name of [...this.#operators.keys()]) {
      if (!seen.has(name)) transitions.push(...this.#remove(name, now));
    }
    return [...transitions, ...this.#sync(now)];
  }

  /** One watch event (ADDED, MODIFIED, DELETED). BOOKMARK and ERROR events are not for this. */
  event(type: string, item: ClusterOperatorLike, now: number): Transition[] {
    const name = item.metadata?.name;
    if (!name) return [];
    const transitions = type === 'DELETED' ? this.#remove(name, now) : this.#set(name, unstableReason(item), now);
    return [...transitions, ...this.#settle(now)];
  }

  /** The watch is back (resumed from its resourceVersion, so nothing was missed). */
  resumed(now: number): Transition[] {
    return this.#sync(now);
  }

  /** An API error: as oc, the stable timer starts again; it is not fatal. */
  error(cause: string, now: number): Transition[] {
    this.#accumulate(now);
    const wasCounting = this.#stableSince !== null;
    this.#stableSince = null;
    this.#synced = false;
    return wasCounting ? [{ kind: 'reset', cause }] : [];
  }

  status(now: number): StabilityStatus {
    const unstable: UnstableOperator[] = [];
    for (const [name, state] of this.#operators) {
      if (state.reason !== null) unstable.push({ name, reason: state.reason, forMs: now - state.since });
    }
    unstable.sort((a, b) => b.forMs - a.forMs || a.name.localeCompare(b.name));
    const stableSince = this.#stableSince;
    return {
      done: stableSince !== null && now - stableSince > this.periodMs,
      stableSince,
      doneAt: stableSince === null ? null : stableSince + this.periodMs + 1,
      unstable,
      operators: this.#operators.size,
    };
  }

  /** Operators that held stability back the longest during this wait, longest first. */
  heldBack(now: number, limit = 5): HeldBack[] {
    this.#accumulate(now);
    return [...this.#held.entries()]
      .map(([name, held]) => ({ name, unstableMs: held.ms, lastReason: held.lastReason }))
      .filter((entry) => entry.unstableMs > 0)
      .sort((a, b) => b.unstableMs - a.unstableMs || a.name.localeCompare(b.name))
      .slice(0, limit);
  }

  #accumulatedAt = new Map<string, number>();

  /** Adds the time since the last accounting to every operator that is unstable now. */
  #accumulate(now: number): void {
    for (const [name, state] of this.#operators) {
      if (state.reason === null) continue;
      const from = Math.max(state.since, this.#accumulatedAt.get(name) ?? state.since);
      const held = this.#held.get(name) ?? { ms: 0, lastReason: state.reason };
      held.ms += Math.max(0, now - from);
      held.lastReason = state.reason;
      this.#held.set(name, held);
      this.#accumulatedAt.set(name, now);
    }
  }

  #set(name: string, reason: string | null, now: number): Transition[] {
    const previous = this.#operators.get(name);
    if (previous && previous.reason === reason) return [];
    this.#accumulate(now);
    this.#operators.set(name, { reason, since: now });
    this.#accumulatedAt.set(name, now);
    if (reason !== null) {
      if (!this.#held.has(name)) this.#held.set(name, { ms: 0, lastReason: reason });
      const first = previous === undefined;
      return previous && previous.reason !== null
        ? [{ kind: 'changed', operator: name, reason }]
        : [{ kind: 'unstable', operator: name, reason, first }];
    }
    return previous ? [{ kind: 'stabilized', operator: name, afterMs: now - previous.since }] : [];
  }

  #remove(name: string, now: number): Transition[] {
    if (!this.#operators.has(name)) return [];
    this.#accumulate(now);
    this.#operators.delete(name);
    return [{ kind: 'removed', operator: name }];
  }

  #allStable(): boolean {
    for (const state of this.#operators.values()) if (state.reason !== null) return false;
    return true;
  }

  #sync(now: number): Transition[] {
    this.#synced = true;
    return this.#settle(now);
  }

  /** Starts or stops the timer after any change. */
  #settle(now: number): Transition[] {
    if (!this.#synced) return [];
    if (!this.#allStable()) {
      this.#stableSince = null;
      return [];
    }
    if (this.#stableSince === null) {
      this.#stableSince = now;
      return [{ kind: 'all-stable' }];
    }
    return [];
  }
}
