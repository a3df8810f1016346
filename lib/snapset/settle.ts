// When the rollback of a failed run may stop looking: a pure rule, so that it can be tested without
// a cloud. A request whose answer was lost may still make an image a moment later, and a server
// whose snapshot was cut stays busy until Nova notices; both are waited for, within a bound.

export interface SettleState {
  /** Ms since the rollback started watching. */
  elapsedMs: number;
  /** Ms since a request that may have landed failed (undefined: none did). */
  sinceDoubtMs: number | undefined;
  /** Servers of the run still busy with a task; undefined when Nova could not be asked. */
  busyServers: number | undefined;
}

export interface SettleLimits {
  /** Never watch longer than this. */
  graceMs: number;
  /** After a doubtful request, look for late images at least this long. */
  lateImageMs: number;
}

export const DEFAULT_SETTLE_LIMITS: SettleLimits = { graceMs: 30_000, lateImageMs: 10_000 };

/** True when the rollback has seen enough: nothing busy and no doubt left, or the grace is over. */
export function isSettled(state: SettleState, limits: SettleLimits): boolean {
  if (state.elapsedMs >= limits.graceMs) return true;
  const doubtful = state.sinceDoubtMs !== undefined && state.sinceDoubtMs < Math.min(limits.lateImageMs, limits.graceMs);
  return state.busyServers === 0 && !doubtful;
}
