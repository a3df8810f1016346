// What a step of hotstack_revive / hotstack_prepare is: its name, whether it takes a period, its
// default timeout, its line in the `steps` option's documentation, the keys it adds to its entry
// of the `steps` result (documented), and `run`, which does the step and fills its record. A step
// lives in one file of this folder; steps/index.ts lists them and the default sequences.
import type { ClusterClient } from '../../cluster/client.ts';
import type { RunOptions } from '../run.ts';
import type { RunTally } from '../tally.ts';

export type Outcome = 'ok' | 'changed' | 'would change' | 'would wait' | 'failed' | 'interrupted' | 'timed out' | 'not run';

/** One entry of the `steps` result. */
export interface StepRecord {
  step: string;
  outcome: Outcome;
  started?: string;
  duration_seconds?: number;
  msg?: string;
  [detail: string]: unknown;
}

/** A RETURN entry as ansible-doc reads it (description, returned, type, sample…). */
export interface ReturnDoc {
  description: string;
  returned: string;
  type: string;
  elements?: string;
  sample?: unknown;
  contains?: Record<string, ReturnDoc>;
}

/** What a step runs with: the run's options, and its own signal (its deadline, the run's interrupt), log and deadline. */
export interface StepContext {
  client: ClusterClient;
  options: RunOptions;
  signal: AbortSignal;
  log: (message: string) => void;
  /** This step's deadline (ms epoch): its timeout, capped by the run's. */
  deadline: number;
  /** When the run started (ms epoch). */
  runStarted: number;
  /** The period of a step that takes one (wait_stable 60s). */
  periodMs?: number;
  /** What the run found so far, across its steps: nodes touched, CSRs, operators held back, the certificate decision. */
  tally: RunTally;
}

export interface StepDefinition<Name extends string = string> {
  name: Name;
  /** The step takes a period (`wait_stable: 60s`); others take no argument. */
  takesPeriod?: boolean;
  defaultTimeoutMs: number;
  /** Its line in the `steps` option's description; a step documented together with another has none. */
  doc?: string;
  /** The keys the step adds to its record (the `steps` result's `contains`). */
  returns: Record<string, ReturnDoc>;
  /**
   * A wait: in check mode it reads once, and a ClusterError other than 401/403 (not satisfied yet)
   * is reported as `would wait`, not as a failure.
   */
  waits?: boolean;
  /** Does the step, fills `record` with what it did, and says how it ended. Throws to fail the run. */
  run(ctx: StepContext, record: StepRecord): Promise<Outcome>;
}

/** A step definition with its name kept literal (for StepName). */
export const defineStep = <Name extends string>(step: StepDefinition<Name>): StepDefinition<Name> => step;

export const MINUTE = 60_000;

/** ISO 8601 UTC to the second, as results print dates. */
export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
export const seconds = (ms: number) => Math.round(ms) / 1000;

/** "changed" or, in check mode, "would change". */
export const changedOutcome = (checkMode: boolean): Outcome => (checkMode ? 'would change' : 'changed');
