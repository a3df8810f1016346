// Runs a step list of hotstack_revive / hotstack_prepare against one cluster and reports each step
// (start, duration, outcome), the nodes touched, the CSRs approved and left alone, and the operators
// that held stability back the longest. Each step gets its own deadline (its timeout, capped by the
// run's); a signal (SIGTERM…) stops the running step and leaves nodes as they were before it: an
// interrupted cordon is undone, an uncordon is always completed (a few fast patches), the debug pods
// of a shutdown are deleted. Ansible-free: the modules map the report and errors to results.

import { waitApi, waitGroupVersion, waitSigner } from '../cluster/api-waits.ts';
import { type ApprovedCsr, approveKubeletCsrs, type LeftAloneCsr } from '../cluster/approve.ts';
import { type PrepareDecision, snapsetProperties } from '../cluster/certs.ts';
import type { ClusterClient } from '../cluster/client.ts';
import { ClusterError, WaitAborted } from '../cluster/errors.ts';
import { type CordonOutcome, listNodes, setSchedulable } from '../cluster/nodes.ts';
import { formatPeriod } from '../cluster/period.ts';
import { checkModeRotation, waitCertRotation } from '../cluster/rotation.ts';
import { shutdownNodes } from '../cluster/shutdown.ts';
import type { HeldBack } from '../cluster/stability.ts';
import { StabilityTimeout, waitStable } from '../cluster/stable-wait.ts';
import type { Step } from '../cluster/steps.ts';
import { deadlineSignal } from '../cluster/time.ts';
import { HotstackError } from '../errors.ts';

const ROUTE_GROUP_VERSION = 'route.openshift.io/v1';

export interface RunOptions {
  steps: Step[];
  checkMode: boolean;
  /** Aborts on SIGTERM/SIGINT/SIGHUP (from the module protocol). */
  signal: AbortSignal;
  /** The whole run's deadline (ms epoch), if any. */
  deadline?: number;
  log: (message: string) => void;
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

export type Outcome = 'ok' | 'changed' | 'would change' | 'would wait' | 'failed' | 'interrupted' | 'timed out' | 'not run';

export interface StepRecord {
  step: string;
  outcome: Outcome;
  started?: string;
  duration_seconds?: number;
  msg?: string;
  [detail: string]: unknown;
}

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

/** A step failed, timed out or was interrupted: the report says what the run did until then. */
export class RunFailed extends HotstackError {
  readonly report: RunReport;
  readonly interrupted: boolean;
  constructor(message: string, report: RunReport, interrupted: boolean) {
    super(message, { details: { ...report, ...(interrupted ? { interrupted: true } : {}) } });
    this.report = report;
    this.interrupted = interrupted;
  }
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const seconds = (ms: number) => Math.round(ms) / 1000;

export async function runSteps(client: ClusterClient, options: RunOptions): Promise<RunReport> {
  const runStarted = Date.now();
  const touched = new Set<string>();
  const approved = new Map<string, ApprovedCsr>();
  const leftAlone = new Map<string, LeftAloneCsr>();
  const held = new Map<string, HeldBack>();
  const records: StepRecord[] = options.steps.map((s) => ({ step: s.label, outcome: 'not run' }));
  let changed = false;
  let rotation: PrepareDecision | undefined;
  const report = (): RunReport => {
    const out: RunReport = {
      changed,
      steps: records,
      nodes_touched: [...touched].sort(),
      csrs_approved: [...approved.values()],
      csrs_left_alone: [...leftAlone.values()],
      held_back: [...held.values()]
        .sort((a, b) => b.unstableMs - a.unstableMs)
        .slice(0, 5)
        .map((h) => ({ name: h.name, unstable_seconds: seconds(h.unstableMs), last_reason: h.lastReason })),
    };
    if (rotation) {
      out.cert_rotation = {
        rotated: rotation.rotated,
        reason: rotation.reason,
        ...(rotation.waitUntil ? { wait_until: iso(rotation.waitUntil.getTime()) } : {}),
      };
      out.snapset_properties = snapsetProperties(rotation);
    }
    return out;
  };
  const addHeld = (list: HeldBack[]) => {
    for (const h of list) {
      const prev = held.get(h.name);
      held.set(h.name, { name: h.name, unstableMs: (prev?.unstableMs ?? 0) + h.unstableMs, lastReason: h.lastReason });
    }
  };
  const cordonOutcomes = (outcomes: CordonOutcome[], record: StepRecord) => {
    const moved = outcomes.filter((o) => o.changed).map((o) => o.node);
    for (const node of moved) touched.add(node);
    record.nodes = outcomes.map((o) => ({ node: o.node, changed: o.changed }));
    return moved;
  };

  for (const [index, step] of options.steps.entries()) {
    const record = records[index] as StepRecord;
    const started = Date.now();
    record.started = new Date(started).toISOString();
    const deadline = Math.min(started + step.timeoutMs, options.deadline ?? Infinity);
    const timeoutMessage =
      deadline === options.deadline && options.deadline < started + step.timeoutMs
        ? 'the run timeout was reached'
        : `timed out after ${formatPeriod(step.timeoutMs)}`;
    const { signal, dispose } = deadlineSignal(options.signal, deadline, timeoutMessage);
    const log = (message: string) => options.log(`[${index + 1}/${options.steps.length} ${step.label}] ${message}`);
    let outcome: Outcome = 'ok';
    try {
      switch (step.name) {
        case 'wait_api':
          record.attempts = (await waitApi(client, { signal, log, once: options.checkMode })).attempts;
          break;
        case 'wait_signer': {
          const signer = await waitSigner(client, { signal, log, once: options.checkMode });
          if (signer?.notAfter) record.signer_valid_until = iso(signer.notAfter.getTime());
          else if (!signer) record.msg = 'no OpenShift-managed kubelet signer: nothing to wait for';
          break;
        }
        case 'approve_csrs': {
          try {
            const result = await approveKubeletCsrs(client, {
              signal,
              log,
              checkMode: options.checkMode,
              ...(options.expectedNodes ? { expectedNodes: options.expectedNodes } : {}),
              notBefore: runStarted - options.csrWindowMs,
              ...(options.nodeSelector ? { nodeSelector: options.nodeSelector } : {}),
            });
            for (const a of result.approved) approved.set(a.name, a);
            for (const l of result.leftAlone) leftAlone.set(l.name, l);
            record.rounds = result.rounds;
            record.approved = result.approved.length;
            record.left_alone = result.leftAlone.length;
            if (result.approved.length > 0) outcome = options.checkMode ? 'would change' : 'changed';
            if (options.checkMode && result.recovered.length > 0) record.nodes_not_ready = result.recovered;
          } catch (error) {
            const partial = (error as ClusterError).partial as { approved?: ApprovedCsr[]; leftAlone?: LeftAloneCsr[] } | undefined;
            for (const a of partial?.approved ?? []) approved.set(a.name, a);
            for (const l of partial?.leftAlone ?? []) leftAlone.set(l.name, l);
            throw error;
          }
          break;
        }
        case 'wait_stable': {
          try {
            const result = await waitStable(client, {
              periodMs: step.periodMs as number,
              signal,
              log,
              once: options.checkMode,
              ...(options.operatorSelector ? { selector: options.operatorSelector } : {}),
            });
            addHeld(result.heldBack);
            record.stable_since = result.stableSince;
            if (result.apiErrors) record.api_errors = result.apiErrors;
          } catch (error) {
            if (error instanceof StabilityTimeout) addHeld(error.heldBack);
            throw error;
          }
          break;
        }
        case 'cordon':
        case 'uncordon': {
          const cordon = step.name === 'cordon';
          const nodes = await listNodes(client, signal, options.nodeSelector);
          // Not bound to the signal: a few fast patches that must not stop half-way.
          const outcomes = await setSchedulable(client, nodes, cordon, { checkMode: options.checkMode, log });
          const moved = cordonOutcomes(outcomes, record);
          if (cordon && signal.aborted && !options.checkMode && moved.length > 0) {
            // Interrupted while cordoning: put the nodes back as they were before the step.
            log(`interrupted: uncordoning ${moved.join(', ')} again`);
            // As the patches left them (cordoned), not as listed before the step: else nothing is undone.
            const cordoned = outcomes.flatMap((o) => (o.changed && o.after ? [o.after] : []));
            await setSchedulable(client, cordoned, false, { checkMode: false, log });
            record.rolled_back = moved;
            throw new WaitAborted(String((signal.reason as Error)?.message ?? 'interrupted'));
          }
          if (moved.length > 0) outcome = options.checkMode ? 'would change' : 'changed';
          break;
        }
        case 'shutdown': {
          const nodes = await listNodes(client, signal, options.nodeSelector);
          if (options.checkMode) {
            record.nodes = nodes.map((n) => n.metadata.name);
            outcome = 'would change';
            break;
          }
          try {
            const outcomes = await shutdownNodes(client, nodes, {
              signal,
              log,
              ...(options.debugImage ? { image: options.debugImage } : {}),
              ...(options.nodeSelector ? { nodeSelector: options.nodeSelector } : {}),
            });
            record.nodes = outcomes.map((o) => o.node);
          } finally {
            // Scheduled or not, a shutdown attempt touched every node.
            for (const n of nodes) touched.add(n.metadata.name);
          }
          if (options.afterShutdown) Object.assign(record, await options.afterShutdown(signal, log));
          outcome = 'changed';
          break;
        }
        case 'wait_route_api':
          record.attempts = (await waitGroupVersion(client, ROUTE_GROUP_VERSION, { signal, log, once: options.checkMode })).attempts;
          break;
        case 'wait_cert_rotation': {
          const result = await waitCertRotation(client, {
            signal,
            log,
            deadline,
            marginMs: options.rotationMarginMs,
            force: options.forceCertRotation,
            checkMode: options.checkMode,
          });
          rotation = result.decision;
          record.waited_seconds = seconds(result.waitedMs);
          record.forced = result.forced;
          if (result.forced) outcome = 'changed';
          else if (options.checkMode) {
            const predicted = checkModeRotation(result.decision, options.forceCertRotation);
            outcome = predicted.outcome;
            if (predicted.msg) record.msg = predicted.msg;
          }
          break;
        }
      }
      // Check mode reports what would change as changed, as Ansible modules do.
      if (outcome === 'changed' || outcome === 'would change') changed = true;
      record.outcome = outcome;
    } catch (error) {
      // Check mode reads once: a wait that is not satisfied yet is reported, not failed (bad credentials still fail).
      const waitStep =
        step.name === 'wait_api' || step.name === 'wait_signer' || step.name === 'wait_stable' || step.name === 'wait_route_api';
      if (
        options.checkMode &&
        waitStep &&
        error instanceof ClusterError &&
        error.status !== 401 &&
        error.status !== 403 &&
        !options.signal.aborted
      ) {
        record.outcome = 'would wait';
        record.msg = error.message;
        record.duration_seconds = seconds(Date.now() - started);
        dispose();
        continue;
      }
      const interrupted = options.signal.aborted;
      const timedOut = !interrupted && signal.aborted;
      record.outcome = interrupted ? 'interrupted' : timedOut ? 'timed out' : 'failed';
      const message = error instanceof Error ? error.message : String(error);
      record.msg = message;
      // What the run changed before the failure stays changed: nodes touched, CSRs approved.
      changed = changed || (!options.checkMode && (touched.size > 0 || approved.size > 0));
      record.duration_seconds = seconds(Date.now() - started);
      dispose();
      const what = `step ${index + 1} (${step.label}) ${record.outcome === 'failed' ? 'failed' : record.outcome}`;
      throw new RunFailed(`${what}: ${message}`, report(), interrupted);
    }
    dispose();
    record.duration_seconds = seconds(Date.now() - started);
    options.log(`[${index + 1}/${options.steps.length} ${step.label}] ${record.outcome} in ${formatPeriod(Date.now() - started)}`);
  }
  return report();
}
