// The Ansible side of the cluster modules (module_utils, as lib/ansible/openstack.ts is for
// OpenStack): the options that choose the cluster and shape a run of hotstack_revive /
// hotstack_prepare, the kubeconfig loaded with its credentials registered for masking before
// anything can print them, the run's request count in `stats`, and the run's report as the result.
// Errors need no mapping: the cluster library's errors are HotstackErrors, which the protocol reports.
import { ClusterClient } from '../cluster/client.ts';
import { inlineKubeconfigSecrets, loadKubeconfig } from '../cluster/kubeconfig.ts';
import { parseSteps, type Step } from '../revive/parse.ts';
import { positivePeriod } from '../revive/period.ts';
import { type RunOptions, type RunReport, runSteps } from '../revive/run.ts';
import { stepDocs, stepRecordReturns, withMinStablePeriod } from '../revive/steps/index.ts';
import type { ModuleContext, ModuleResult } from './module.ts';
import type { ArgsOf } from './options.ts';

/** The options both cluster modules take: spread them first into the module's own options. */
export const CLUSTER_OPTIONS = {
  kubeconfig: {
    type: 'raw',
    description: [
      'Path of a kubeconfig file, or an inline kubeconfig as a dictionary (clusters, users, contexts, current-context).',
      'Default, as kubectl: the files listed in C(KUBECONFIG), else C(~/.kube/config). A kubeconfig that cannot be read or names a missing context, cluster, user or file is an error; no other kubeconfig is tried.',
      'Client certificates, bearer tokens (C(token), C(tokenFile)), C(certificate-authority(-data)) and C(insecure-skip-tls-verify) are honoured. Every credential in it is masked in every output.',
    ],
    schema: { type: ['string', 'object', 'null'] },
    secretValues: (value: unknown) => inlineKubeconfigSecrets(value),
  },
  context: {
    type: 'str',
    description: 'The kubeconfig context to use. Default: its C(current-context).',
  },
  steps: {
    type: 'list',
    elements: 'raw',
    description: [
      'The steps to run, in order; each is a name (C(uncordon)) or a one-key mapping (C(wait_stable: 60s)), optionally with its own C(timeout) (C({wait_route_api: null, timeout: 15m})).',
      ...stepDocs(),
      'Periods and timeouts: C(90s), C(5m), C(1h30m), or a number of seconds.',
    ],
  },
  min_stable_period: {
    type: 'raw',
    description: [
      "The stable period of the default sequence's stability waits after a certificate event (Hotstack's C(hotstack_min_stable_period), e.g. C(3m)): prepare's wait after the first kubelet rotation, revive's two waits after the CSR approval and the uncordon. Default: Hotstack's hard-coded C(60s).",
      'Only the default sequence: with I(steps), their own periods apply (a warning says so).',
    ],
    schema: { type: ['string', 'integer', 'null'] },
  },
  node_selector: {
    type: 'str',
    description:
      'Only nodes with these labels are cordoned, uncordoned, shut down and waited for (a label selector, e.g. C(node-role.kubernetes.io/master=)). Default: every node, as Hotstack does.',
  },
  operator_selector: {
    type: 'str',
    description:
      'Only ClusterOperators with these labels count for C(wait_stable) (a label selector). Default: every ClusterOperator, as C(oc adm wait-for-stable-cluster) does.',
  },
  timeout: {
    type: 'raw',
    description:
      'Time limit of the whole run (a period such as C(45m)); each step also has its own limit. Default: only the limits of the steps.',
    schema: { type: ['string', 'integer', 'number', 'null'] },
  },
} as const;

/** The RETURN block both cluster modules share; the keys of each step's entry come from the step registry. */
export const CLUSTER_RETURNS: Record<string, unknown> = {
  steps: {
    description:
      'One entry per step, in order, with what it did; a step the run did not reach has only C(step) and C(outcome) (C(not run)).',
    returned: 'always',
    type: 'list',
    elements: 'dict',
    sample: [
      { step: 'wait_api', outcome: 'ok', started: '2026-11-27T08:00:01.204Z', duration_seconds: 0.187, attempts: 1 },
      {
        step: 'approve_csrs',
        outcome: 'changed',
        started: '2026-11-27T08:00:01.443Z',
        duration_seconds: 48.312,
        rounds: 4,
        approved: 2,
        left_alone: 1,
      },
      {
        step: 'wait_stable 5s',
        outcome: 'ok',
        started: '2026-11-27T08:00:49.755Z',
        duration_seconds: 95.7,
        stable_since: '2026-11-27T08:02:20Z',
      },
      {
        step: 'uncordon',
        outcome: 'changed',
        started: '2026-11-27T08:02:25.461Z',
        duration_seconds: 0.214,
        nodes: [{ node: 'master-0', changed: true }],
      },
    ],
    contains: stepRecordReturns(),
  },
  nodes_touched: {
    description: 'Nodes the run changed (cordoned, uncordoned, shut down), sorted.',
    returned: 'always',
    type: 'list',
    elements: 'str',
    sample: ['master-0', 'master-1', 'master-2'],
  },
  csrs_approved: {
    description: 'Kubelet CSRs approved (in check mode: that would be).',
    returned: 'always',
    type: 'list',
    elements: 'dict',
    sample: [
      {
        name: 'csr-7xk2p',
        node: 'master-0',
        signer: 'kubernetes.io/kube-apiserver-client-kubelet',
        issued: true,
        not_after: '2026-12-27T08:00:30Z',
      },
    ],
    contains: {
      name: { description: 'The CSR name.', returned: 'always', type: 'str', sample: 'csr-7xk2p' },
      node: { description: 'The node it is for.', returned: 'always', type: 'str', sample: 'master-0' },
      signer: {
        description: 'Its signer: C(kubernetes.io/kube-apiserver-client-kubelet) or C(kubernetes.io/kubelet-serving).',
        returned: 'always',
        type: 'str',
        sample: 'kubernetes.io/kube-apiserver-client-kubelet',
      },
      issued: {
        description: 'Whether the certificate was issued by the end of the step (false in check mode).',
        returned: 'always',
        type: 'bool',
        sample: true,
      },
      not_after: {
        description: 'End of validity of the issued certificate (ISO 8601 UTC).',
        returned: 'when issued',
        type: 'str',
        sample: '2026-12-27T08:00:30Z',
      },
    },
  },
  csrs_left_alone: {
    description: 'Pending CSRs that were not approved, with why.',
    returned: 'always',
    type: 'list',
    elements: 'dict',
    sample: [
      {
        name: 'csr-q9w4d',
        signer: 'kubernetes.io/kube-apiserver-client-kubelet',
        requester: 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper',
        reason: "created 2026-11-20T10:14:03.000Z, before this run's window: stale",
      },
    ],
    contains: {
      name: { description: 'The CSR name.', returned: 'always', type: 'str', sample: 'csr-q9w4d' },
      signer: {
        description: 'Its signer.',
        returned: 'always',
        type: 'str',
        sample: 'kubernetes.io/kube-apiserver-client-kubelet',
      },
      requester: {
        description: 'Who requested it (C(spec.username)).',
        returned: 'always',
        type: 'str',
        sample: 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper',
      },
      reason: {
        description: 'Why it was not approved.',
        returned: 'always',
        type: 'str',
        sample: "created 2026-11-20T10:14:03.000Z, before this run's window: stale",
      },
    },
  },
  held_back: {
    description: 'The ClusterOperators (at most 5) that held stability back the longest over all stable waits, longest first.',
    returned: 'always',
    type: 'list',
    elements: 'dict',
    sample: [{ name: 'kube-apiserver', unstable_seconds: 212.4, last_reason: 'progressing' }],
    contains: {
      name: { description: 'The ClusterOperator.', returned: 'always', type: 'str', sample: 'kube-apiserver' },
      unstable_seconds: { description: 'How long it was unstable in all.', returned: 'always', type: 'float', sample: 212.4 },
      last_reason: {
        description: 'Why it was last unstable, in the words of C(oc adm wait-for-stable-cluster).',
        returned: 'always',
        type: 'str',
        sample: 'progressing',
      },
    },
  },
  interrupted: {
    description: 'True when a signal (SIGTERM, SIGINT, SIGHUP) stopped the run; nodes are left as before the step that was running.',
    returned: 'when interrupted',
    type: 'bool',
    sample: true,
  },
  stats: {
    description: 'C(wall_seconds) of the run and C(api_requests) sent.',
    returned: 'always',
    type: 'dict',
    sample: { wall_seconds: 262.81, api_requests: 143 },
    contains: {
      wall_seconds: { description: 'Seconds the run took.', returned: 'always', type: 'float', sample: 262.81 },
      api_requests: {
        description: 'Requests sent to the cluster API, watches included.',
        returned: 'once the kubeconfig is loaded',
        type: 'int',
        sample: 143,
      },
    },
  },
};

export type ClusterRunArgs = ArgsOf<typeof CLUSTER_OPTIONS>;

/** The RunOptions every cluster module takes from its context and the common options. */
export function commonRunOptions(
  ctx: ModuleContext,
  args: ClusterRunArgs,
  defaultSteps: readonly unknown[],
): Pick<RunOptions, 'steps' | 'checkMode' | 'signal' | 'deadline' | 'log' | 'nodeSelector' | 'operatorSelector'> {
  const minStable = args.min_stable_period;
  if (minStable !== undefined && minStable !== null && minStable !== '') {
    periodOf(minStable, 'min_stable_period');
    if (args.steps) ctx.warn('min_stable_period applies to the default steps only: the steps given keep their own periods');
  }
  const defaults =
    minStable !== undefined && minStable !== null && minStable !== ''
      ? withMinStablePeriod(defaultSteps, minStable as string)
      : defaultSteps;
  const steps = stepsOf(args, defaults);
  const timeoutMs = periodOf(args.timeout, 'timeout');
  return {
    steps,
    checkMode: ctx.checkMode,
    signal: ctx.signal,
    ...(timeoutMs ? { deadline: Date.now() + timeoutMs } : {}),
    log: ctx.log,
    ...(args.node_selector ? { nodeSelector: args.node_selector } : {}),
    ...(args.operator_selector ? { operatorSelector: args.operator_selector } : {}),
  };
}

/** Loads the kubeconfig (its credentials go to the masker first) and builds the client. */
export function clusterClient(ctx: ModuleContext, args: ClusterRunArgs): ClusterClient {
  const kubeconfig = args.kubeconfig;
  const loaded = loadKubeconfig({
    kubeconfig:
      typeof kubeconfig === 'string' || (kubeconfig && typeof kubeconfig === 'object' && !Array.isArray(kubeconfig))
        ? (kubeconfig as string | Record<string, unknown>)
        : null,
    context: args.context ?? null,
  });
  for (const secret of loaded.secrets) ctx.masker.add(secret);
  ctx.log(`cluster ${loaded.server} (context ${loaded.context}, from ${loaded.origin})`);
  const client = new ClusterClient(loaded);
  ctx.addStats(() => ({ api_requests: client.requestCount }));
  return client;
}

/** The steps to run: the user's, else the module's default sequence; a StepError names the element at fault. */
function stepsOf(args: ClusterRunArgs, defaults: readonly unknown[]): Step[] {
  return parseSteps(args.steps ?? defaults);
}

/** A period option (timeout, csr_window…): undefined when not given, a PeriodError naming the option when not a period > 0. */
export function periodOf(value: unknown, field: string): number | undefined {
  return positivePeriod(value, field);
}

function summary(report: RunReport, wallMs: number): string {
  const parts = [`${report.steps.filter((s) => s.outcome !== 'not run').length} step(s) in ${Math.round(wallMs / 100) / 10}s`];
  if (report.nodes_touched.length) parts.push(`nodes touched: ${report.nodes_touched.join(', ')}`);
  if (report.csrs_approved.length) parts.push(`${report.csrs_approved.length} CSR(s) approved`);
  if (report.csrs_left_alone.length) parts.push(`${report.csrs_left_alone.length} CSR(s) left alone`);
  return parts.join('; ');
}

/** Runs the steps; the report is the result, and a failed run keeps it (RunFailed's details, its message led by the verb). */
export async function runForModule(client: ClusterClient, options: RunOptions, verb: string): Promise<ModuleResult> {
  const started = Date.now();
  const report = await runSteps(client, { ...options, verb });
  return { ...report, msg: `${verb}: ${summary(report, Date.now() - started)}` };
}
