// The Ansible side of the cluster modules (module_utils, as lib/ansible/openstack.ts is for
// OpenStack): the options that choose the cluster and shape a run of hotstack_revive /
// hotstack_prepare, the kubeconfig loaded with its credentials registered for masking before
// anything can print them, the run's request count in `stats`, and the run's report as the result.
// Errors need no mapping: the cluster library's errors are HotstackErrors, which the protocol reports.
import { ClusterClient } from '../cluster/client.ts';
import { inlineKubeconfigSecrets, loadKubeconfig } from '../cluster/kubeconfig.ts';
import { PeriodError, parsePeriod } from '../cluster/period.ts';
import { parseSteps, type Step, StepError } from '../cluster/steps.ts';
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
      'C(shutdown): every node powers itself off (C(chroot /host shutdown -h +1) in a privileged debug pod per node, as C(oc debug node)); ends when every node is NotReady.',
      'C(wait_route_api): until C(route.openshift.io/v1) is served.',
      'C(wait_cert_rotation): until the first kubelet certificate rotation has happened (no wait when it has), or force it (I(force_cert_rotation)).',
      'Periods and timeouts: C(90s), C(5m), C(1h30m), or a number of seconds.',
    ],
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
      'One entry per step, in order: C(step) (e.g. C(wait_stable 60s)), C(outcome) (ok, changed, would change, would wait, failed, timed out, interrupted, not run), C(started) (ISO 8601 UTC), C(duration_seconds), C(msg) when it failed, and step details (C(nodes), C(stable_since), C(rounds), C(attempts)...).',
    returned: 'always',
    type: 'list',
    elements: 'dict',
    sample: [
      {
        step: 'wait_stable 60s',
        outcome: 'ok',
        started: '2026-11-25T18:00:00Z',
        duration_seconds: 61.2,
        stable_since: '2026-11-25T18:00:00Z',
      },
    ],
  },
  nodes_touched: {
    description: 'Nodes the run changed (cordoned, uncordoned, shut down).',
    returned: 'always',
    type: 'list',
    elements: 'str',
  },
  csrs_approved: {
    description:
      'Kubelet CSRs approved: C(name), C(node), C(signer), C(issued) (the certificate was issued by the end of the step) and its C(not_after).',
    returned: 'always',
    type: 'list',
    elements: 'dict',
  },
  csrs_left_alone: {
    description: 'Pending CSRs that were not approved, each with C(name), C(signer), C(requester) and the C(reason).',
    returned: 'always',
    type: 'list',
    elements: 'dict',
  },
  held_back: {
    description:
      'The ClusterOperators that held stability back the longest over all stable waits: C(name), C(unstable_seconds), C(last_reason).',
    returned: 'always',
    type: 'list',
    elements: 'dict',
  },
  interrupted: {
    description: 'True when a signal (SIGTERM, SIGINT, SIGHUP) stopped the run; nodes are left as before the step that was running.',
    returned: 'when interrupted',
    type: 'bool',
  },
  stats: { description: 'C(wall_seconds) of the run and C(api_requests) sent.', returned: 'always', type: 'dict' },
};

export type ClusterRunArgs = ArgsOf<typeof CLUSTER_OPTIONS>;

/** The RunOptions every cluster module takes from its context and the common options. */
export function commonRunOptions(
  ctx: ModuleContext,
  args: ClusterRunArgs,
  defaultSteps: readonly unknown[],
): Pick<RunOptions, 'steps' | 'checkMode' | 'signal' | 'deadline' | 'log' | 'nodeSelector' | 'operatorSelector'> {
  const steps = stepsOf(args, defaultSteps);
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

export function stepsOf(args: ClusterRunArgs, defaults: readonly unknown[]): Step[] {
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
