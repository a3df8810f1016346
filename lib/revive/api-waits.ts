// Waits on the API itself: that it answers at all with our credentials (an old set's API comes up
// with expired serving certificates and refuses connections first: both retryable), that an API
// group/version is served (route.openshift.io/v1, via discovery), and that the kubelet CSR signer
// is valid again. Each polls briefly (1 s) and returns on the first good answer, so a fresh cluster
// pays one round trip.

import type { ClusterClient } from '../cluster/client.ts';
import { ClusterError, WaitAborted } from '../cluster/errors.ts';
import { abortError, sleep } from '../cluster/time.ts';
import { CSR_SIGNER, KCM_OPERATOR_NS, type SecretLike, type SignerInfo, signerInfo, signerValidNow } from './certs.ts';

export interface PollOptions {
  signal: AbortSignal;
  log: (message: string) => void;
  intervalMs?: number;
  /** Check mode: one try, no waiting. */
  once?: boolean;
}

/**
 * Calls `attempt` until it returns a value; retryable ClusterErrors are logged (first and every
 * tenth) and retried, others end the wait. On abort, the message says what was last seen.
 */
async function poll<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  options: PollOptions,
  notYet: () => string,
): Promise<{ value: T; attempts: number }> {
  let attempts = 0;
  let last = '';
  for (;;) {
    attempts++;
    try {
      const value = await attempt();
      if (value !== undefined) return { value, attempts };
      last = notYet();
    } catch (error) {
      // Ended while an attempt was in flight: say what was last seen, or what the attempt said.
      if (options.signal.aborted) {
        last ||= error instanceof Error ? error.message : String(error);
        break;
      }
      if (!(error instanceof ClusterError) || !error.retryable) throw error;
      last = error.message;
      if (attempts === 1 || attempts % 10 === 0) options.log(`${what}: ${error.message} (retrying)`);
    }
    if (options.once) throw new ClusterError(`${what}: not yet: ${last}`);
    try {
      await sleep(options.intervalMs ?? 1000, options.signal);
    } catch (error) {
      const aborted = error instanceof WaitAborted ? error : abortError(options.signal);
      throw new ClusterError(`${what}: ${aborted.message} (last: ${last})`);
    }
  }
  throw new ClusterError(`${what}: ${abortError(options.signal).message} (last: ${last})`);
}

/**
 * The API is ready (/readyz: a just-started server denies requests until its authorizer has synced)
 * and answers an authenticated request (a one-item node list); 401/403 then end the wait at once.
 */
export async function waitApi(client: ClusterClient, options: PollOptions): Promise<{ attempts: number }> {
  const { attempts } = await poll(
    'wait for the API',
    async () => {
      try {
        await client.request('GET', '/readyz', { what: 'API readiness (/readyz)', signal: options.signal, timeoutMs: 10_000 });
      } catch (error) {
        // Not ready yet (500/503, refused, expired certificate) is retried; a /readyz we may not read says nothing.
        if (!(error instanceof ClusterError) || (error.status !== 401 && error.status !== 403)) throw error;
      }
      await client.request('GET', '/api/v1/nodes?limit=1', { what: 'list nodes', signal: options.signal, timeoutMs: 10_000 });
      return true;
    },
    options,
    () => 'no answer',
  );
  if (attempts > 1) options.log(`the API answers after ${attempts} attempts`);
  return { attempts };
}

/**
 * Is `group/version` served: listed in discovery (/apis, what `oc api-versions` reads) and its
 * resource list answering? An aggregated API whose server is down can stay listed for a while.
 */
async function servesGroupVersion(client: ClusterClient, groupVersion: string, signal: AbortSignal): Promise<boolean> {
  const doc = await client.request<{ groups?: { name?: string; versions?: { groupVersion?: string }[] }[] }>('GET', '/apis', {
    what: 'API discovery (/apis)',
    signal,
    timeoutMs: 10_000,
  });
  if (!(doc.groups ?? []).some((g) => (g.versions ?? []).some((v) => v.groupVersion === groupVersion))) return false;
  try {
    const resources = await client.request<{ resources?: unknown[] }>('GET', `/apis/${groupVersion}`, {
      what: `API discovery (/apis/${groupVersion})`,
      signal,
      timeoutMs: 10_000,
    });
    return (resources.resources ?? []).length > 0;
  } catch (error) {
    if (error instanceof ClusterError && error.retryable) return false;
    throw error;
  }
}

/** Hotstack's wait_for_api_versions_route, at 1 s instead of 16 s intervals. */
export async function waitGroupVersion(client: ClusterClient, groupVersion: string, options: PollOptions): Promise<{ attempts: number }> {
  const { attempts } = await poll(
    `wait for ${groupVersion}`,
    async () => ((await servesGroupVersion(client, groupVersion, options.signal)) ? true : undefined),
    options,
    () => `${groupVersion} is not served yet`,
  );
  options.log(`${groupVersion} is served`);
  return { attempts };
}

export async function readSigner(client: ClusterClient, namespace: string, name: string, signal: AbortSignal): Promise<SignerInfo> {
  const secret = await client.request<SecretLike>('GET', `/api/v1/namespaces/${namespace}/secrets/${name}`, {
    what: `get secret ${namespace}/${name}`,
    signal,
    timeoutMs: 10_000,
  });
  return signerInfo(secret);
}

/** Until openshift-kube-controller-manager-operator/csr-signer is valid now (approving earlier makes KCM back off). */
export async function waitSigner(client: ClusterClient, options: PollOptions): Promise<SignerInfo | undefined> {
  let seen: SignerInfo | undefined;
  let absent = false;
  const { value } = await poll(
    `wait for a valid ${KCM_OPERATOR_NS}/${CSR_SIGNER}`,
    async () => {
      try {
        seen = await readSigner(client, KCM_OPERATOR_NS, CSR_SIGNER, options.signal);
      } catch (error) {
        // No such secret: the signer is not managed the OpenShift way (a plain Kubernetes cluster), nothing to wait for.
        if (error instanceof ClusterError && error.status === 404) {
          absent = true;
          return 'absent' as const;
        }
        throw error;
      }
      return signerValidNow(seen, new Date()) ? seen : undefined;
    },
    options,
    () => (seen ? `valid ${seen.notBefore?.toISOString() ?? '?'} – ${seen.notAfter?.toISOString() ?? '?'}` : 'not read'),
  );
  if (absent || value === 'absent') {
    options.log(
      `no secret ${KCM_OPERATOR_NS}/${CSR_SIGNER}: the kubelet signer is not managed by OpenShift's operator here; nothing to wait for`,
    );
    return undefined;
  }
  return value;
}
