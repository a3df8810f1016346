// Runs a step list of hotstack_revive / hotstack_prepare against one cluster and reports each step
// (start, duration, outcome), the nodes touched, the CSRs approved and left alone, and the operators
// that held stability back the longest. Each step gets its own deadline (its timeout, capped by the
// run's); a signal (SIGTERM…) stops the running step and leaves nodes as they were before it: an
// interrupted cordon is undone, an uncordon is always completed (a few fast patches), the debug pods
// of a shutdown are deleted. What each step does is its file in steps/; this is the loop around them.
// Ansible-free: the report is the modules' result, and a failed run's RunFailed carries it as its result keys.

import type { ClusterClient } from '../cluster/client.ts';
import { ClusterError } from '../cluster/errors.ts';
import { deadlineSignal } from '../cluster/time.ts';
import { HotstackError, messageOf } from '../errors.ts';
import type { Step } from './parse.ts';
import { formatPeriod } from './period.ts';
import { stepNamed } from './steps/index.ts';
import { type Outcome, type StepDefinition, type StepRecord, seconds } from './steps/step.ts';
import { type RunReport, RunTally } from './tally.ts';

export type { Outcome, StepRecord } from './steps/step.ts';
export type { RunReport } from './tally.ts';

export interface RunOptions {
  steps: Step[];
  checkMode: boolean;
  /** Aborts on SIGTERM/SIGINT/SIGHUP (from the module protocol). */
  signal: AbortSignal;
  /** The whole run's deadline (ms epoch), if any. */
  deadline?: number;
  log: (message: string) => void;
  /** What the run is called ("revive", "prepare"): leads a failure's message when given. */
  verb?: string;
  expectedNodes?: string[];
  debugImage?: string;
  /** Pending CSRs older than this before the run started are stale. */
  csrWindowMs: number;
  forceCertRotation: boolean;
  rotationMarginMs: number;
  /** Label selectors restricting the nodes and the ClusterOperators the run considers. */
  nodeSelector?: string;
  operatorSelector?: string;
  /**
   * Called at the end of a shutdown step, once every node is NotReady: waits for the machines behind
   * the nodes (e.g. the OpenStack servers, SHUTOFF) under the step's signal; what it returns is added
   * to the step's record. The cluster library knows nothing of the machines: the module gives this.
   */
  afterShutdown?: (signal: AbortSignal, log: (message: string) => void) => Promise<Record<string, unknown>>;
}

/**
 * A step failed, timed out or was interrupted: the report says what the run did until then. Its
 * result keys are the report's (steps, nodes_touched, CSRs…, `interrupted` when so), and its message
 * is led by the run's verb when the run has one ("revive: step 2 (uncordon) failed: …").
 */
export class RunFailed extends HotstackError {
  readonly report: RunReport;
  readonly interrupted: boolean;
  constructor(message: string, report: RunReport, interrupted: boolean, verb?: string) {
    super(verb ? `${verb}: ${message}` : message, { details: { ...report, ...(interrupted ? { interrupted: true } : {}) } });
    this.report = report;
    this.interrupted = interrupted;
  }
}

/** The step's deadline (its timeout, capped by the run's) and what reaching it is called. */
function stepDeadline(step: Step, started: number, runDeadline: number | undefined): { deadline: number; timeoutMessage: string } {
  const deadline = Math.min(started + step.timeoutMs, runDeadline ?? Infinity);
  const timeoutMessage =
    deadline === runDeadline && runDeadline < started + step.timeoutMs
      ? 'the run timeout was reached'
      : `timed out after ${formatPeriod(step.timeoutMs)}`;
  return { deadline, timeoutMessage };
}

/** Check mode reads once: a wait that is not satisfied yet is reported, not failed (bad credentials still fail). */
function wouldWait(definition: StepDefinition, error: unknown, options: RunOptions): error is ClusterError {
  return (
    options.checkMode &&
    definition.waits === true &&
    error instanceof ClusterError &&
    error.status !== 401 &&
    error.status !== 403 &&
    !options.signal.aborted
  );
}

export async function runSteps(client: ClusterClient, options: RunOptions): Promise<RunReport> {
  const runStarted = Date.now();
  const tally = new RunTally();
  const records: StepRecord[] = options.steps.map((s) => ({ step: s.label, outcome: 'not run' }));
  for (const [index, step] of options.steps.entries()) {
    const definition = stepNamed(step.name) as StepDefinition;
    const record = records[index] as StepRecord;
    const started = Date.now();
    record.started = new Date(started).toISOString();
    const { deadline, timeoutMessage } = stepDeadline(step, started, options.deadline);
    const { signal, dispose } = deadlineSignal(options.signal, deadline, timeoutMessage);
    const tag = `[${index + 1}/${options.steps.length} ${step.label}]`;
    const log = (message: string) => options.log(`${tag} ${message}`);
    try {
      const outcome: Outcome = await definition.run(
        { client, options, signal, log, deadline, runStarted, tally, ...(step.periodMs !== undefined ? { periodMs: step.periodMs } : {}) },
        record,
      );
      // Check mode reports what would change as changed, as Ansible modules do.
      if (outcome === 'changed' || outcome === 'would change') tally.changed = true;
      record.outcome = outcome;
    } catch (error) {
      record.duration_seconds = seconds(Date.now() - started);
      dispose();
      if (wouldWait(definition, error, options)) {
        record.outcome = 'would wait';
        record.msg = error.message;
        continue;
      }
      const interrupted = options.signal.aborted;
      const timedOut = !interrupted && signal.aborted;
      record.outcome = interrupted ? 'interrupted' : timedOut ? 'timed out' : 'failed';
      const message = messageOf(error);
      record.msg = message;
      // What the run changed before the failure stays changed: nodes touched, CSRs approved.
      tally.changed ||= !options.checkMode && (tally.touched.size > 0 || tally.approved.size > 0);
      const what = `step ${index + 1} (${step.label}) ${record.outcome}`;
      throw new RunFailed(`${what}: ${message}`, tally.report(records), interrupted, options.verb);
    }
    dispose();
    record.duration_seconds = seconds(Date.now() - started);
    options.log(`${tag} ${record.outcome} in ${formatPeriod(Date.now() - started)}`);
  }
  return tally.report(records);
}
