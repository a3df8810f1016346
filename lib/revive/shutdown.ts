// Shutdown of every node the way Hotstack does it, without oc: per node a privileged debug pod as
// `oc debug node/<n> -- chroot /host shutdown -h +1` creates it (facts §2.3: temporary
// openshift-debug-<rand> namespace with privileged pod-security labels, pod <node>-debug-<rand>,
// label debug.openshift.io/managed-by=oc-debug, image from the openshift/tools:latest imagestreamtag
// else registry.redhat.io/rhel9/support-tools), all nodes in parallel; each pod is deleted once it
// has run, the namespace at the end — also when the run is interrupted. Then waits until every node
// is NotReady.
import { randomBytes } from 'node:crypto';
import type { ClusterClient } from '../cluster/client.ts';
import { ClusterError } from '../cluster/errors.ts';
import { isReady, listNodes, type Node } from '../cluster/nodes.ts';
import { sleep } from '../cluster/time.ts';

const FALLBACK_DEBUG_IMAGE = 'registry.redhat.io/rhel9/support-tools';
export const SHUTDOWN_COMMAND = ['chroot', '/host', 'shutdown', '-h', '+1'];
const DEBUG_LABEL = 'debug.openshift.io/managed-by';

function suffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** oc's pod name: the node name made DNS-safe, "-debug-", 5 random characters. */
export function debugPodName(node: string): string {
  const base = node
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50);
  return `${base}-debug-${suffix()}`;
}

export function debugNamespace(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        'pod-security.kubernetes.io/enforce': 'privileged',
        'pod-security.kubernetes.io/audit': 'privileged',
        'pod-security.kubernetes.io/warn': 'privileged',
        'security.openshift.io/scc.podSecurityLabelSync': 'false',
      },
      annotations: { 'openshift.io/node-selector': '' },
    },
  };
}

export function debugPod(
  node: string,
  namespace: string,
  image: string,
  command: string[],
  withPriorityClass = true,
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: debugPodName(node),
      namespace,
      labels: { [DEBUG_LABEL]: 'oc-debug' },
      annotations: {
        'debug.openshift.io/source-container': 'container-00',
        'debug.openshift.io/source-resource': `/v1, Resource=nodes/${node}`,
      },
    },
    spec: {
      nodeName: node,
      hostNetwork: true,
      hostPID: true,
      hostIPC: true,
      restartPolicy: 'Never',
      ...(withPriorityClass ? { priorityClassName: 'openshift-user-critical' } : {}),
      volumes: [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }],
      containers: [
        {
          name: 'container-00',
          image,
          command,
          env: [
            { name: 'TMOUT', value: '900' },
            { name: 'HOST', value: '/host' },
          ],
          securityContext: { privileged: true, runAsUser: 0 },
          volumeMounts: [{ name: 'host', mountPath: '/host' }],
        },
      ],
    },
  };
}

/** oc's image choice: the openshift/tools:latest imagestreamtag, else the support-tools image. */
async function resolveDebugImage(client: ClusterClient, signal?: AbortSignal): Promise<string> {
  try {
    const tag = await client.get<{ image?: { dockerImageReference?: string } }>(
      '/apis/image.openshift.io/v1/namespaces/openshift/imagestreamtags/tools:latest',
      'get imagestreamtag openshift/tools:latest',
      signal,
    );
    if (tag.image?.dockerImageReference) return tag.image.dockerImageReference;
  } catch {
    // No image API, no such tag, or no permission: oc falls back too.
  }
  return FALLBACK_DEBUG_IMAGE;
}

interface PodStatus {
  status?: {
    phase?: string;
    containerStatuses?: {
      state?: { terminated?: { exitCode?: number; reason?: string }; waiting?: { reason?: string; message?: string } };
    }[];
  };
}

export interface ShutdownOutcome {
  node: string;
  pod: string;
  /** The debug pod ran to completion: the power-off is scheduled in one minute. */
  scheduled: boolean;
}

export interface ShutdownOptions {
  image?: string;
  signal: AbortSignal;
  log: (message: string) => void;
  /** How long one debug pod may take to run (Hotstack: 75 s). */
  podTimeoutMs?: number;
  /** Wait until every node is NotReady after scheduling (the step's end). */
  waitNotReady?: boolean;
  nodeSelector?: string;
}

export async function shutdownNodes(client: ClusterClient, nodes: readonly Node[], options: ShutdownOptions): Promise<ShutdownOutcome[]> {
  const { signal, log } = options;
  const image = options.image ?? (await resolveDebugImage(client, signal));
  const namespace = `openshift-debug-${suffix()}`;
  const cleanupSignal = () => AbortSignal.timeout(15_000);
  await client.request('POST', '/api/v1/namespaces', { body: debugNamespace(namespace), what: `create namespace ${namespace}`, signal });
  log(`created namespace ${namespace}; debug pods use ${image}`);
  const pods = new Map<string, string>();
  const podPath = (pod: string) => `/api/v1/namespaces/${namespace}/pods/${pod}`;
  const deletePod = (pod: string) =>
    client
      .request('DELETE', `${podPath(pod)}?gracePeriodSeconds=0`, { what: `delete pod ${namespace}/${pod}`, signal: cleanupSignal() })
      .then(() => pods.delete(pod))
      .catch((error: Error) => log(`could not delete pod ${namespace}/${pod}: ${error.message}`));
  try {
    const outcomes = await Promise.all(
      nodes.map(async (node): Promise<ShutdownOutcome> => {
        const name = node.metadata.name;
        let body = debugPod(name, namespace, image, SHUTDOWN_COMMAND);
        try {
          await client.request('POST', `/api/v1/namespaces/${namespace}/pods`, { body, what: `create debug pod for node ${name}`, signal });
        } catch (error) {
          // A cluster without OpenShift's priority class: run the pod without it rather than not at all.
          if (!(error instanceof ClusterError) || !/PriorityClass|priorityclass/i.test(error.message)) throw error;
          body = debugPod(name, namespace, image, SHUTDOWN_COMMAND, false);
          await client.request('POST', `/api/v1/namespaces/${namespace}/pods`, { body, what: `create debug pod for node ${name}`, signal });
        }
        const pod = (body.metadata as { name: string }).name;
        pods.set(pod, name);
        log(`node/${name}: debug pod ${pod} runs ${SHUTDOWN_COMMAND.join(' ')}`);
        const deadline = Date.now() + (options.podTimeoutMs ?? 75_000);
        for (;;) {
          const status = await client.get<PodStatus>(podPath(pod), `get debug pod ${namespace}/${pod}`, signal);
          const phase = status.status?.phase;
          const terminated = status.status?.containerStatuses?.[0]?.state?.terminated;
          if (phase === 'Succeeded') break;
          if (phase === 'Failed' || (terminated && terminated.exitCode !== 0)) {
            throw new ClusterError(
              `shutdown of node ${name}: debug pod ${namespace}/${pod} failed (exit code ${terminated?.exitCode ?? '?'}${terminated?.reason ? `, ${terminated.reason}` : ''})`,
            );
          }
          if (Date.now() > deadline) {
            const waiting = status.status?.containerStatuses?.[0]?.state?.waiting;
            throw new ClusterError(
              `shutdown of node ${name}: debug pod ${namespace}/${pod} did not complete within ${Math.round((options.podTimeoutMs ?? 75_000) / 1000)}s (phase ${phase ?? 'unknown'}${waiting?.reason ? `, ${waiting.reason}` : ''})`,
            );
          }
          await sleep(500, signal);
        }
        await deletePod(pod);
        log(`node/${name}: power-off scheduled in one minute`);
        return { node: name, pod, scheduled: true };
      }),
    );
    if (options.waitNotReady !== false) {
      log(`waiting until ${nodes.length} node(s) are NotReady`);
      const wanted = new Set(nodes.map((n) => n.metadata.name));
      let apiGoneSince: number | undefined;
      for (;;) {
        const now = Date.now();
        let current: Node[];
        try {
          current = await listNodes(client, signal, options.nodeSelector);
        } catch (error) {
          // When the control plane itself powers off, the API goes with it: that is the end we wait for.
          // (Only once it stays away for 10 s: a single failed call is not a powered-off control plane.)
          if (error instanceof ClusterError && error.retryable && error.status === undefined) {
            apiGoneSince ??= Date.now();
            if (Date.now() - apiGoneSince >= 10_000) {
              log(`the API server went away (${error.message}): the control plane is powering off`);
              break;
            }
            await sleep(1000, signal);
            continue;
          }
          throw error;
        }
        apiGoneSince = undefined;
        const stillReady = current.filter((n) => wanted.has(n.metadata.name) && isReady(n, now)).map((n) => n.metadata.name);
        if (stillReady.length === 0) break;
        await sleep(1000, signal);
      }
      log('every node is NotReady');
    }
    return outcomes;
  } finally {
    await Promise.all([...pods.keys()].map(deletePod));
    await client
      .request('DELETE', `/api/v1/namespaces/${namespace}`, { what: `delete namespace ${namespace}`, signal: cleanupSignal() })
      .catch((error: Error) => log(`could not delete namespace ${namespace}: ${error.message}`));
  }
}
