// The step list of the cluster modules: what each step is called, which take an argument, their
// default timeouts, and the Hotstack sequences that are each module's default. Parsing turns what
// the user wrote (`- uncordon`, `- wait_stable: 60s`, `- {shutdown: {}, timeout: 5m}`) into Steps,
// or an error naming the list element at fault.
import { formatPeriod, PeriodError, parsePeriod } from './period.ts';

const STEP_NAMES = [
  'wait_api',
  'wait_signer',
  'approve_csrs',
  'wait_stable',
  'uncordon',
  'cordon',
  'shutdown',
  'wait_route_api',
  'wait_cert_rotation',
] as const;
export type StepName = (typeof STEP_NAMES)[number];

export interface Step {
  name: StepName;
  /** wait_stable only: how long every operator must stay stable (strictly longer than this). */
  periodMs?: number;
  timeoutMs: number;
  /** How the step reads in logs and results: "wait_stable 60s". */
  label: string;
}

const MINUTE = 60_000;

/** Default step timeouts: Hotstack's 20 min per stable wait, ~9.3 min for the route API, CRC-like caps for revive. */
export const DEFAULT_STEP_TIMEOUT_MS: Record<StepName, number> = {
  wait_api: 30 * MINUTE,
  wait_signer: 30 * MINUTE,
  approve_csrs: 40 * MINUTE,
  wait_stable: 20 * MINUTE,
  uncordon: 2 * MINUTE,
  cordon: 2 * MINUTE,
  shutdown: 10 * MINUTE,
  wait_route_api: 10 * MINUTE,
  // Up to the first rotation: at most ~25 h after install (cert-rotation.md §0).
  wait_cert_rotation: 26 * 60 * MINUTE,
};

/**
 * The stability waits Hotstack hard-codes at 60 s after a certificate event: prepare's after the
 * first kubelet rotation, revive's two after the CSRs were approved and the nodes uncordoned. Hotstack
 * documents hotstack_min_stable_period ("minimum stability period after certificate rotation") for
 * them but never wires it; min_stable_period sets them here (withMinStablePeriod).
 */
const MIN_STABLE_WAIT = Object.freeze({ wait_stable: '60s' });

/** hotstack_prepare_for_snapshot, with the 25 h pause replaced by the certificate-aware wait. */
export const PREPARE_STEPS: readonly unknown[] = ['wait_cert_rotation', 'uncordon', MIN_STABLE_WAIT, 'cordon', 'shutdown'];

/** hotstack_revive_snapshot, preceded by what an old set needs (cert-rotation.md §6 b); all instant on a fresh set. */
export const REVIVE_STEPS: readonly unknown[] = [
  'wait_api',
  'wait_signer',
  'approve_csrs',
  { wait_stable: '5s' },
  'uncordon',
  MIN_STABLE_WAIT,
  MIN_STABLE_WAIT,
  'wait_route_api',
];

/** Pure: a default sequence with its post-certificate stability waits (MIN_STABLE_WAIT) set to `period`. */
export function withMinStablePeriod(steps: readonly unknown[], period: string | number): unknown[] {
  return steps.map((step) => (step === MIN_STABLE_WAIT ? { wait_stable: period } : step));
}

export class StepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepError';
  }
}

function isStepName(name: string): name is StepName {
  return (STEP_NAMES as readonly string[]).includes(name);
}

function unknownStep(where: string, name: string): StepError {
  return new StepError(`${where}: unknown step ${JSON.stringify(name)}; steps are ${STEP_NAMES.join(', ')}`);
}

function build(name: StepName, where: string, argument: unknown, timeout: unknown): Step {
  let periodMs: number | undefined;
  if (name === 'wait_stable') {
    if (argument === undefined || argument === null || argument === true) {
      throw new StepError(`${where}.wait_stable: a period is required, e.g. "wait_stable: 60s"`);
    }
    periodMs = parsePeriod(argument, `${where}.wait_stable`);
    if (periodMs <= 0) throw new StepError(`${where}.wait_stable: the period must be longer than 0s`);
  } else if (
    argument !== undefined &&
    argument !== null &&
    argument !== true &&
    !(typeof argument === 'object' && Object.keys(argument).length === 0)
  ) {
    throw new StepError(`${where}.${name}: this step takes no argument (got ${JSON.stringify(argument)})`);
  }
  const timeoutMs = timeout === undefined || timeout === null ? DEFAULT_STEP_TIMEOUT_MS[name] : parsePeriod(timeout, `${where}.timeout`);
  if (timeoutMs <= 0) throw new StepError(`${where}.timeout: must be longer than 0s`);
  if (periodMs !== undefined && timeoutMs <= periodMs) {
    // oc adm wait-for-stable-cluster refuses this too (facts §2.1: timeout must exceed the period).
    throw new StepError(`${where}.timeout: ${formatPeriod(timeoutMs)} must be longer than the stable period ${formatPeriod(periodMs)}`);
  }
  const label = periodMs === undefined ? name : `${name} ${formatPeriod(periodMs)}`;
  return { name, ...(periodMs === undefined ? {} : { periodMs }), timeoutMs, label };
}

/** Parses one element of `steps` (index for messages). */
function parseStep(element: unknown, index: number, field = 'steps'): Step {
  const where = `${field}[${index}]`;
  if (typeof element === 'string') {
    const text = element.trim();
    // "wait_stable 60s" and "wait_stable=60s" read naturally in a flat list; accept them.
    const spaced = /^(\w+)(?:[\s=:]+(\S+))?$/.exec(text);
    if (!spaced) throw unknownStep(where, text);
    const name = spaced[1] as string;
    if (!isStepName(name)) throw unknownStep(where, name);
    return build(name, where, spaced[2], undefined);
  }
  if (!element || typeof element !== 'object' || Array.isArray(element)) {
    throw new StepError(
      `${where}: a step is a name ("uncordon") or a mapping ({wait_stable: 60s}), not ${Array.isArray(element) ? 'a list' : JSON.stringify(element)}`,
    );
  }
  const entries = Object.entries(element as Record<string, unknown>);
  const timeout = (element as Record<string, unknown>).timeout;
  const stepKeys = entries.filter(([key]) => key !== 'timeout');
  if (stepKeys.length !== 1) {
    throw new StepError(
      stepKeys.length === 0
        ? `${where}: no step named (keys: ${entries.map(([k]) => k).join(', ') || 'none'}); steps are ${STEP_NAMES.join(', ')}`
        : `${where}: one step per list element, got ${stepKeys.map(([k]) => k).join(', ')}`,
    );
  }
  const [name, argument] = stepKeys[0] as [string, unknown];
  if (!isStepName(name)) throw unknownStep(where, name);
  return build(name, where, argument, timeout);
}

/** Parses the whole list; an empty list is an error (a run that does nothing is a mistake). */
export function parseSteps(elements: readonly unknown[], field = 'steps'): Step[] {
  if (elements.length === 0) throw new StepError(`${field}: the list is empty; leave it out for the module's default sequence`);
  try {
    return elements.map((element, index) => parseStep(element, index, field));
  } catch (error) {
    if (error instanceof PeriodError) throw new StepError(error.message);
    throw error;
  }
}
