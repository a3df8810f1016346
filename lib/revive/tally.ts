// What a run of steps found, across its steps, and the report made of it: the nodes touched, the
// CSRs approved and left alone, the operators that held stability back the longest, and the
// certificate decision of prepare. Steps add to it as they go (a failed step too, what it did).
import type { ApprovedCsr, LeftAloneCsr } from './approve.ts';
import { type PrepareDecision, snapsetProperties } from './certs.ts';
import type { HeldBack } from './stability.ts';
import { iso, type StepRecord, seconds } from './steps/step.ts';

export interface RunReport {
  changed: boolean;
  steps: StepRecord[];
  nodes_touched: string[];
  csrs_approved: ApprovedCsr[];
  csrs_left_alone: LeftAloneCsr[];
  held_back: { name: string; unstable_seconds: number; last_reason: string }[];
  cert_rotation?: Record<string, unknown>;
  snapset_properties?: Record<string, string>;
}

export class RunTally {
  changed = false;
  readonly touched = new Set<string>();
  readonly approved = new Map<string, ApprovedCsr>();
  readonly leftAlone = new Map<string, LeftAloneCsr>();
  readonly held = new Map<string, HeldBack>();
  rotation: PrepareDecision | undefined;

  touch(nodes: Iterable<string>): void {
    for (const node of nodes) this.touched.add(node);
  }

  addCsrs(approved: readonly ApprovedCsr[] = [], leftAlone: readonly LeftAloneCsr[] = []): void {
    for (const a of approved) this.approved.set(a.name, a);
    for (const l of leftAlone) this.leftAlone.set(l.name, l);
  }

  /** Unstable time adds up per operator over all stable waits. */
  addHeld(list: readonly HeldBack[]): void {
    for (const h of list) {
      const prev = this.held.get(h.name);
      this.held.set(h.name, { name: h.name, unstableMs: (prev?.unstableMs ?? 0) + h.unstableMs, lastReason: h.lastReason });
    }
  }

  report(records: StepRecord[]): RunReport {
    const out: RunReport = {
      changed: this.changed,
      steps: records,
      nodes_touched: [...this.touched].sort(),
      csrs_approved: [...this.approved.values()],
      csrs_left_alone: [...this.leftAlone.values()],
      held_back: [...this.held.values()]
        .sort((a, b) => b.unstableMs - a.unstableMs)
        .slice(0, 5)
        .map((h) => ({ name: h.name, unstable_seconds: seconds(h.unstableMs), last_reason: h.lastReason })),
    };
    const rotation = this.rotation;
    if (rotation) {
      out.cert_rotation = {
        rotated: rotation.rotated,
        reason: rotation.reason,
        ...(rotation.waitUntil ? { wait_until: iso(rotation.waitUntil.getTime()) } : {}),
      };
      out.snapset_properties = snapsetProperties(rotation);
    }
    return out;
  }
}
