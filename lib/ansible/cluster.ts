// The Ansible side of the cluster modules (module_utils, as lib/ansible/openstack.ts is for
// OpenStack): the options that choose the cluster and shape a run of hotstack_revive /
// hotstack_prepare, the kubeconfig loaded with its credentials registered for masking before
// anything can print them, the run's request count in `stats`, and the run's report as the result.
// Errors need no mapping: the cluster library's errors are HotstackErrors, which the protocol reports.
import { ClusterClient } from '../cluster/client.ts';
import { inlineKubeconfigSecrets, loadKubeconfig } from '../cluster/kubeconfig.ts';
import { PeriodError, parsePeriod } from '../cluster/period.ts';
import { parseSteps, type Step, StepError, withMinStablePeriod } from '../cluster/steps.ts';
import { RunFailed, type RunOptions, type RunReport, runSteps } from '../revive/run.ts';
import { type ModuleContext, ModuleFailure, type ModuleResult } from './module.ts';
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
      'C(wait_api): until the API answers with these credentials (connection refusals and expired serving certificates are retried).',
      'C(wait_signer): until the kubelet CSR signer (openshift-kube-controller-manager-operator/csr-signer) is valid.',
      "C(approve_csrs): approve the pending kubelet CSRs (client and serving) that are the requesting node's own, in rounds, until every node is Ready with a live heartbeat.",
      'C(wait_stable: <period>): until every ClusterOperator is Available, not Progressing, not Degraded for strictly longer than the period (as C(oc adm wait-for-stable-cluster), driven by a watch).',
      'C(uncordon), C(cordon): every node, in parallel, with the patch C(oc adm cordon) sends; a node already so is left alone.',
      'C(shutdown): every node powers itself off (C(chroot /host shutdown -h +1) in a privileged debug pod per node, as C(oc debug node)); ends when every node is NotReady (hotstack_prepare with I(snapset_data): and every machine SHUTOFF in OpenStack).',
      'C(wait_route_api): until C(route.openshift.io/v1) is served.',
      'C(wait_cert_rotation): until the first kubelet certificate rotation has happened (no wait when it has), or force it (I(force_cert_rotation)).',
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

/** The RETURN block both cluster modules share. */
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
    contains: {
      step: { description: 'The step, with its period if it has one.', returned: 'always', type: 'str', sample: 'wait_stable 60s' },
      outcome: {
        description:
          'C(ok), C(changed), C(would change), C(would wait) (check mode), C(failed), C(timed out), C(interrupted) or C(not run).',
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
      attempts: {
        description: 'Requests until the API answered.',
        returned: 'wait_api and wait_route_api steps',
        type: 'int',
        sample: 1,
      },
      signer_valid_until: {
        description: 'End of validity of the kubelet CSR signer (ISO 8601 UTC).',
        returned: 'wait_signer steps, when the signer says it',
        type: 'str',
        sample: '2026-12-25T18:00:00Z',
      },
      rounds: { description: 'Rounds of CSR approval.', returned: 'approve_csrs steps', type: 'int', sample: 4 },
      approved: { description: 'CSRs the step approved.', returned: 'approve_csrs steps', type: 'int', sample: 2 },
      left_alone: { description: 'Pending CSRs the step left alone.', returned: 'approve_csrs steps', type: 'int', sample: 1 },
      nodes_not_ready: {
        description: 'Nodes not Ready that approving the CSRs would bring back.',
        returned: 'approve_csrs steps in check mode, when some are',
        type: 'list',
        elements: 'str',
        sample: ['master-0'],
      },
      stable_since: {
        description: 'When the last ClusterOperator became stable (ISO 8601 UTC).',
        returned: 'wait_stable steps',
        type: 'str',
        sample: '2026-11-27T08:02:20Z',
      },
      api_errors: {
        description: 'API errors during the wait (each restarted the stability timer).',
        returned: 'wait_stable steps, when there were some',
        type: 'int',
        sample: 3,
      },
      nodes: {
        description:
          'C(cordon) and C(uncordon): one C({node, changed}) per node (C(changed) false for a node already so). C(shutdown): the names of the nodes shut down.',
        returned: 'cordon, uncordon and shutdown steps',
        type: 'list',
        sample: [{ node: 'master-0', changed: true }],
      },
      servers: {
        description: 'hotstack_prepare with I(snapset_data), C(shutdown) step: instance name → its OpenStack status (C(SHUTOFF)).',
        returned: 'shutdown steps of hotstack_prepare given snapset_data',
        type: 'dict',
        sample: { master0: 'SHUTOFF' },
      },
      server_polls: {
        description: 'Server listings made while waiting for the machines to be SHUTOFF.',
        returned: 'shutdown steps of hotstack_prepare given snapset_data',
        type: 'int',
        sample: 4,
      },
      rolled_back: {
        description: 'Nodes uncordoned again after a cordon was interrupted.',
        returned: 'interrupted cordon steps',
        type: 'list',
        elements: 'str',
        sample: ['master-0'],
      },
      waited_seconds: {
        description: 'How long the step waited for the first kubelet certificate rotation.',
        returned: 'wait_cert_rotation steps',
        type: 'float',
        sample: 0,
      },
      forced: {
        description: 'Whether the rotation was forced (I(force_cert_rotation)).',
        returned: 'wait_cert_rotation steps',
        type: 'bool',
        sample: false,
      },
    },
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

function stepsOf(args: ClusterRunArgs, defaults: readonly unknown[]): Step[] {
  try {
    return parseSteps(args.steps ?? defaults);
  } catch (error) {
    if (error instanceof StepError) throw new ModuleFailure(error.message);
    throw error;
  }
}

export function periodOf(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  try {
    const ms = parsePeriod(value, field);
    if (ms <= 0) throw new PeriodError(`${field}: must be longer than 0s`);
    return ms;
  } catch (error) {
    if (error instanceof PeriodError) throw new ModuleFailure(error.message);
    throw error;
  }
}

/** The signal that aborts on SIGTERM/SIGINT/SIGHUP, once the protocol provides one. */

function summary(report: RunReport, wallMs: number): string {
  const parts = [`${report.steps.filter((s) => s.outcome !== 'not run').length} step(s) in ${Math.round(wallMs / 100) / 10}s`];
  if (report.nodes_touched.length) parts.push(`nodes touched: ${report.nodes_touched.join(', ')}`);
  if (report.csrs_approved.length) parts.push(`${report.csrs_approved.length} CSR(s) approved`);
  if (report.csrs_left_alone.length) parts.push(`${report.csrs_left_alone.length} CSR(s) left alone`);
  return parts.join('; ');
}

/** Runs the steps; the report is the result, and a failed run keeps it (RunFailed's details). */
export async function runForModule(client: ClusterClient, options: RunOptions, verb: string): Promise<ModuleResult> {
  const started = Date.now();
  try {
    const report = await runSteps(client, options);
    return { ...report, msg: `${verb}: ${summary(report, Date.now() - started)}` };
  } catch (error) {
    if (error instanceof RunFailed) {
      throw new ModuleFailure(`${verb}: ${error.message}`, error.details);
    }
    throw error;
  }
}
