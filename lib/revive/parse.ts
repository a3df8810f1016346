// The step list of the cluster modules as the user writes it (the steps themselves, their
// arguments and default timeouts are in steps/index.ts). Parsing turns what
// the user wrote (`- uncordon`, `- wait_stable: 60s`, `- {shutdown: {}, timeout: 5m}`) into Steps,
// or an error naming the list element at fault.
import { HotstackError } from '../errors.ts';
import { formatPeriod, PeriodError, parsePeriod } from './period.ts';
import { DEFAULT_STEP_TIMEOUT_MS, isStepName, STEP_NAMES, type StepName, stepNamed } from './steps/index.ts';

export interface Step {
  name: StepName;
  /** wait_stable only: how long every operator must stay stable (strictly longer than this). */
  periodMs?: number;
  timeoutMs: number;
  /** How the step reads in logs and results: "wait_stable 60s". */
  label: string;
}

/** An element of `steps` that cannot be read; the message names it (`steps[2].wait_stable`). */
export class StepError extends HotstackError {}

function unknownStep(where: string, name: string): StepError {
  return new StepError(`${where}: unknown step ${JSON.stringify(name)}; steps are ${STEP_NAMES.join(', ')}`);
}

function build(name: StepName, where: string, argument: unknown, timeout: unknown): Step {
  let periodMs: number | undefined;
  if (stepNamed(name)?.takesPeriod) {
    if (argument === undefined || argument === null || argument === true) {
      throw new StepError(`${where}.${name}: a period is required, e.g. "${name}: 60s"`);
    }
    periodMs = parsePeriod(argument, `${where}.${name}`);
    if (periodMs <= 0) throw new StepError(`${where}.${name}: the period must be longer than 0s`);
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
