// The I/O side of the certificate-aware prepare: read the signer secrets and the CA bundle into
// CertificateFacts, wait until the first rotation has happened (or fail at once if that lies
// beyond the step's deadline), or force it as cert-rotation.md §6 (a) step 2 describes: null the
// certificate-not-after annotations of csr-signer-signer and csr-signer so the operator regenerates
// them, then wait for the new signer.

import type { ClusterClient } from '../cluster/client.ts';
import { ClusterError } from '../cluster/errors.ts';
import { sleep } from '../cluster/time.ts';
import { readSigner } from './api-waits.ts';
import {
  ANNOTATION_NOT_AFTER,
  type CertificateFacts,
  CSR_SIGNER,
  CSR_SIGNER_CA,
  CSR_SIGNER_SIGNER,
  certificatesIn,
  decidePrepare,
  isBootstrapSigner,
  KAS_OPERATOR_NS,
  KAS_TO_KUBELET_SIGNER,
  KCM_OPERATOR_NS,
  type PrepareDecision,
} from './certs.ts';

const optional = async <T>(read: Promise<T>): Promise<T | undefined> => {
  try {
    return await read;
  } catch (error) {
    // Absent (404) or not ours to read (403): the decision works without it, from the annotations.
    if (error instanceof ClusterError && (error.status === 404 || error.status === 403)) return undefined;
    throw error;
  }
};

async function readCertificateFacts(client: ClusterClient, signal: AbortSignal): Promise<CertificateFacts> {
  const [csrSigner, signerSigner, bundle, apiserverToKubelet] = await Promise.all([
    readSigner(client, KCM_OPERATOR_NS, CSR_SIGNER, signal),
    optional(readSigner(client, KCM_OPERATOR_NS, CSR_SIGNER_SIGNER, signal)),
    optional(
      client.get<{ data?: Record<string, string> }>(
        `/api/v1/namespaces/${KCM_OPERATOR_NS}/configmaps/${CSR_SIGNER_CA}`,
        `get configmap ${KCM_OPERATOR_NS}/${CSR_SIGNER_CA}`,
        signal,
      ),
    ),
    optional(readSigner(client, KAS_OPERATOR_NS, KAS_TO_KUBELET_SIGNER, signal)),
  ]);
  const facts: CertificateFacts = { csrSigner };
  if (signerSigner) facts.signerSigner = signerSigner;
  const pem = bundle?.data?.['ca-bundle.crt'];
  if (pem) facts.bundle = certificatesIn(pem);
  if (apiserverToKubelet) facts.apiserverToKubelet = apiserverToKubelet;
  return facts;
}

export interface RotationOutcome {
  decision: PrepareDecision;
  waitedMs: number;
  forced: boolean;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A bootstrap signer that expired without rotating: waiting cannot help. */
function cannotWait(decision: PrepareDecision): ClusterError {
  return new ClusterError(`${decision.reason}; set force_cert_rotation: true to have the operator regenerate it`);
}

/**
 * The step's outcome in check mode, which reads the decision once and neither waits nor forces:
 * what a real run would do — nothing (`ok`, rotated), force the rotation (`would change`), wait
 * (`would wait`, until when in the msg), or fail (thrown, as the real run fails).
 */
export function checkModeRotation(
  decision: PrepareDecision,
  force: boolean,
): { outcome: 'ok' | 'would wait' | 'would change'; msg?: string } {
  if (decision.rotated) return { outcome: 'ok' };
  if (force) return { outcome: 'would change', msg: `would force the rotation now (${decision.reason})` };
  if (decision.waitUntil) return { outcome: 'would wait', msg: `would wait until ${iso(decision.waitUntil)}` };
  throw cannotWait(decision);
}

export async function waitCertRotation(
  client: ClusterClient,
  options: { signal: AbortSignal; log: (m: string) => void; deadline: number; marginMs: number; force: boolean; checkMode: boolean },
): Promise<RotationOutcome> {
  const { signal, log } = options;
  const started = Date.now();
  let decision = decidePrepare(await readCertificateFacts(client, signal), new Date(), options.marginMs);
  log(decision.reason);
  if (decision.rotated || options.checkMode) return { decision, waitedMs: 0, forced: false };
  if (!decision.waitUntil && !options.force) throw cannotWait(decision);
  const waitUntil = decision.waitUntil as Date;
  if (options.force) {
    const before = decision;
    const since = Date.now();
    log(`forcing the rotation now: nulling ${ANNOTATION_NOT_AFTER} of ${KCM_OPERATOR_NS}/${CSR_SIGNER_SIGNER} and /${CSR_SIGNER}`);
    for (const name of [CSR_SIGNER_SIGNER, CSR_SIGNER]) {
      await client.request('PATCH', `/api/v1/namespaces/${KCM_OPERATOR_NS}/secrets/${name}`, {
        body: { metadata: { annotations: { [ANNOTATION_NOT_AFTER]: null } } },
        contentType: 'application/merge-patch+json',
        what: `force rotation of secret ${KCM_OPERATOR_NS}/${name}`,
        signal,
      });
    }
    for (;;) {
      const facts = await readCertificateFacts(client, signal);
      if (!isBootstrapSigner(facts.csrSigner) && facts.csrSigner.notBefore && facts.csrSigner.notBefore.getTime() >= since - 5 * 60_000) {
        decision = decidePrepare(facts, new Date(), options.marginMs);
        break;
      }
      if (Date.now() > options.deadline)
        throw new ClusterError(`forced rotation: ${KCM_OPERATOR_NS}/${CSR_SIGNER} was not regenerated by the operator in time`);
      await sleep(1000, signal);
    }
    log(`new signer ${decision.reason}`);
    // Kubelets still hold certificates from the old signer: without CSR approval a set lives only as long as those.
    const oldEnd = before.revivableWithoutCsrUntil;
    const forced: PrepareDecision = { ...decision, rotated: true, waitUntil: null };
    if (oldEnd && (!forced.revivableWithoutCsrUntil || oldEnd < forced.revivableWithoutCsrUntil)) forced.revivableWithoutCsrUntil = oldEnd;
    return { decision: forced, waitedMs: Date.now() - started, forced: true };
  }
  if (waitUntil.getTime() > options.deadline) {
    throw new ClusterError(
      `the first kubelet certificate rotation is due at ${iso(waitUntil)}, after this step's deadline ${iso(new Date(options.deadline))}: raise the step's timeout, or set force_cert_rotation: true (then revive approves the kubelets' CSRs)`,
    );
  }
  log(`waiting until ${iso(waitUntil)} (${Math.round((waitUntil.getTime() - Date.now()) / 60_000)} min) for the first rotation`);
  await sleep(waitUntil.getTime() - Date.now(), signal);
  for (;;) {
    decision = decidePrepare(await readCertificateFacts(client, signal), new Date(), options.marginMs);
    if (decision.rotated) break;
    if (Date.now() > options.deadline || !decision.waitUntil)
      throw new ClusterError(`waited until ${iso(waitUntil)}, but ${decision.reason}`);
    await sleep(30_000, signal);
  }
  log(decision.reason);
  return { decision, waitedMs: Date.now() - started, forced: false };
}
