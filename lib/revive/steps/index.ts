// The registry of the cluster steps, in the order the documentation lists them, and the Hotstack
// sequences that are each module's default. A new step is a file of this folder (see step.ts) and
// its line here; its option documentation and result keys follow from it.
import { approveCsrsStep } from './approve-csrs.ts';
import { cordonStep, uncordonStep } from './cordon.ts';
import { shutdownStep } from './shutdown.ts';
import type { ReturnDoc, StepDefinition } from './step.ts';
import { waitApiStep } from './wait-api.ts';
import { waitCertRotationStep } from './wait-cert-rotation.ts';
import { waitRouteApiStep } from './wait-route-api.ts';
import { waitSignerStep } from './wait-signer.ts';
import { waitStableStep } from './wait-stable.ts';

export const STEPS = [
  waitApiStep,
  waitSignerStep,
  approveCsrsStep,
  waitStableStep,
  uncordonStep,
  cordonStep,
  shutdownStep,
  waitRouteApiStep,
  waitCertRotationStep,
] as const;

export type StepName = (typeof STEPS)[number]['name'];

export const STEP_NAMES: readonly StepName[] = STEPS.map((step) => step.name);

const BY_NAME = new Map<string, StepDefinition>(STEPS.map((step) => [step.name, step]));

export function stepNamed(name: string): StepDefinition | undefined {
  return BY_NAME.get(name);
}

export function isStepName(name: string): name is StepName {
  return BY_NAME.has(name);
}

/** Default step timeouts, by step. */
export const DEFAULT_STEP_TIMEOUT_MS = Object.fromEntries(STEPS.map((step) => [step.name, step.defaultTimeoutMs])) as Record<
  StepName,
  number
>;

/**
 * The stability waits Hotstack hard-codes at 60 s after a certificate event: prepare's after the
 * first kubelet rotation, revive's two after the CSRs were approved and the nodes uncordoned. Hotstack
 * documents hotstack_min_stable_period ("minimum stability period after certificate rotation") for
 * them but never wires it; min_stable_period sets them here (withMinStablePeriod).
 */
const MIN_STABLE_WAIT = Object.freeze({ wait_stable: '60s' });

/** hotstack_prepare_for_snapshot, with the 25 h pause replaced by the certificate-aware wait. */
export const PREPARE_STEPS: readonly unknown[] = ['wait_cert_rotation', 'uncordon', MIN_STABLE_WAIT, 'cordon', 'shutdown'];

/** hotstack_revive_snapshot, preceded by what an old set needs; all instant on a fresh set. */
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

/** The keys every entry of the `steps` result has (or has once the step ran), whatever the step. */
const RECORD_RETURNS: Record<string, ReturnDoc> = {
  step: { description: 'The step, with its period if it has one.', returned: 'always', type: 'str', sample: 'wait_stable 60s' },
  outcome: {
    description: 'C(ok), C(changed), C(would change), C(would wait) (check mode), C(failed), C(timed out), C(interrupted) or C(not run).',
    returned: 'always',
    type: 'str',
    sample: 'ok',
  },
  started: {
    description: 'When the step started (ISO 8601 UTC).',
    returned: 'when the step ran',
    type: 'str',
    sample: '2026-11-27T08:02:25.676Z',
  },
  duration_seconds: { description: 'How long the step took.', returned: 'when the step ran', type: 'float', sample: 61.204 },
  msg: {
    description: 'Why the step failed, timed out or would wait, or a remark on what it found.',
    returned: 'when the step failed, timed out or would wait, or had a remark',
    type: 'str',
    sample: 'no OpenShift-managed kubelet signer: nothing to wait for',
  },
};

/** The documentation lines of the steps, in registry order. */
export function stepDocs(steps: readonly StepDefinition[] = STEPS): string[] {
  return steps.flatMap((step) => (step.doc ? [step.doc] : []));
}

/**
 * The `contains` of the `steps` result: the common keys, then each step's own in registry order.
 * Two steps may share a key only with the same documentation (one object, e.g. wait-api.ts's ATTEMPTS).
 */
export function stepRecordReturns(steps: readonly StepDefinition[] = STEPS): Record<string, ReturnDoc> {
  const out: Record<string, ReturnDoc> = { ...RECORD_RETURNS };
  for (const step of steps) {
    for (const [key, doc] of Object.entries(step.returns)) {
      const known = out[key];
      if (known && known !== doc) throw new Error(`step ${step.name}: the result key ${key} is documented differently by another step`);
      out[key] = doc;
    }
  }
  return out;
}
