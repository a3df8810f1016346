// The certificate-aware decision of prepare (issue 8 §5, facts §5, cert-rotation.md §0/§6 a):
// from the kubelet signer secrets' auth.openshift.io annotations (and the certificates themselves),
// has the first kubelet certificate rotation happened, until when to wait if not, and until when a
// set taken now can be revived without CSR approval / at all. Pure: the reads are in rotation.ts.
import { X509Certificate } from 'node:crypto';
import { ClusterError } from '../cluster/errors.ts';

export const KCM_OPERATOR_NS = 'openshift-kube-controller-manager-operator';
export const CSR_SIGNER = 'csr-signer';
export const CSR_SIGNER_SIGNER = 'csr-signer-signer';
export const CSR_SIGNER_CA = 'csr-controller-signer-ca';
export const KAS_OPERATOR_NS = 'openshift-kube-apiserver-operator';
export const KAS_TO_KUBELET_SIGNER = 'kube-apiserver-to-kubelet-signer';

const ANNOTATION_NOT_BEFORE = 'auth.openshift.io/certificate-not-before';
export const ANNOTATION_NOT_AFTER = 'auth.openshift.io/certificate-not-after';
const ANNOTATION_ISSUER = 'auth.openshift.io/certificate-issuer';
/** CN of the installer's 24 h bootstrap signer (openshift/installer pkg/asset/tls/kubelet.go). */
const BOOTSTRAP_ISSUER = 'kubelet-signer';
/** Anything valid for at most this long is a bootstrap-era signer, whatever its name (24 h + slack). */
const BOOTSTRAP_MAX_VALIDITY_MS = 26 * 3_600_000;

export interface SignerInfo {
  /** namespace/name, for messages. */
  ref: string;
  notBefore?: Date;
  notAfter?: Date;
  issuer?: string;
}

export interface SecretLike {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

function date(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** A signer secret's validity, from its annotations, else from its tls.crt. */
export function signerInfo(secret: SecretLike): SignerInfo {
  const annotations = secret.metadata?.annotations ?? {};
  const info: SignerInfo = { ref: `${secret.metadata?.namespace ?? '?'}/${secret.metadata?.name ?? '?'}` };
  const notBefore = date(annotations[ANNOTATION_NOT_BEFORE]);
  const notAfter = date(annotations[ANNOTATION_NOT_AFTER]);
  if (notBefore) info.notBefore = notBefore;
  if (notAfter) info.notAfter = notAfter;
  if (annotations[ANNOTATION_ISSUER]) info.issuer = annotations[ANNOTATION_ISSUER];
  const crt = secret.data?.['tls.crt'];
  if (crt && (!info.notBefore || !info.notAfter)) {
    const cert = certificatesIn(Buffer.from(crt, 'base64').toString('utf8'))[0];
    if (cert) {
      info.notBefore ??= cert.notBefore;
      info.notAfter ??= cert.notAfter;
      info.issuer ??= cert.issuerCN;
    }
  }
  return info;
}

export interface CertSummary {
  subjectCN: string | undefined;
  issuerCN: string | undefined;
  notBefore: Date;
  notAfter: Date;
}

function cnOf(dn: string): string | undefined {
  return /(?:^|\n|,\s*)CN=([^\n,]+)/.exec(dn)?.[1];
}

/** Every certificate of a PEM bundle (a CA bundle holds the current and the previous signers). */
export function certificatesIn(pem: string): CertSummary[] {
  const out: CertSummary[] = [];
  for (const block of pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
    try {
      const cert = new X509Certificate(block);
      out.push({
        subjectCN: cnOf(cert.subject),
        issuerCN: cnOf(cert.issuer),
        notBefore: new Date(cert.validFrom),
        notAfter: new Date(cert.validTo),
      });
    } catch {
      // A block that is not a certificate says nothing about validity: skip it.
    }
  }
  return out;
}

export function isBootstrapSigner(signer: {
  issuer?: string | undefined;
  subjectCN?: string | undefined;
  notBefore?: Date | undefined;
  notAfter?: Date | undefined;
}): boolean {
  if (signer.issuer === BOOTSTRAP_ISSUER || signer.subjectCN === BOOTSTRAP_ISSUER) return true;
  if (signer.notBefore && signer.notAfter) return signer.notAfter.getTime() - signer.notBefore.getTime() <= BOOTSTRAP_MAX_VALIDITY_MS;
  return false;
}

export interface CertificateFacts {
  /** openshift-kube-controller-manager-operator/csr-signer: what kube-controller-manager signs kubelet certificates with. */
  csrSigner: SignerInfo;
  /** openshift-kube-controller-manager-operator/csr-signer-signer (its CA), when readable. */
  signerSigner?: SignerInfo;
  /** Signers in the csr-controller-signer-ca bundle: kubelet certificates may come from any still valid one. */
  bundle?: CertSummary[];
  /** openshift-kube-apiserver-operator/kube-apiserver-to-kubelet-signer: the ~1 year limit of any revive. */
  apiserverToKubelet?: SignerInfo;
}

export interface PrepareDecision {
  /** Has the first rotation happened (no kubelet certificate from the 24 h bootstrap signer can remain valid)? */
  rotated: boolean;
  /** When to stop waiting if not (exactly the moment the bootstrap signer's certificates are dead, plus the margin). */
  waitUntil: Date | null;
  reason: string;
  /** After this, a set taken now needs CSR approval to come back (kubelet client certificates expired). */
  revivableWithoutCsrUntil?: Date;
  /** After this, no revive can work as far as the certificates say (kube-apiserver-to-kubelet signer). */
  revivableUntil?: Date;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Decides whether prepare must wait. Rotated → no wait. Still on the bootstrap signer → wait until
 * its NotAfter (+ margin): by then every kubelet certificate it signed is dead, so every kubelet has
 * renewed against the rotated signer (the operator replaces it at ~80 % of its life). Also when the
 * signer has rotated but the bundle still holds a live bootstrap signer: kubelets may still use
 * certificates it signed.
 */
export function decidePrepare(facts: CertificateFacts, now: Date, marginMs: number): PrepareDecision {
  const { csrSigner } = facts;
  const liveBootstrap = (facts.bundle ?? []).filter((c) => isBootstrapSigner(c) && c.notAfter.getTime() > now.getTime());
  let waitFrom: Date | undefined;
  let reason: string;
  if (isBootstrapSigner(csrSigner)) {
    if (!csrSigner.notAfter)
      throw new ClusterError(
        `${csrSigner.ref} has no ${ANNOTATION_NOT_AFTER} annotation and no readable certificate: cannot tell when it rotates`,
      );
    waitFrom = csrSigner.notAfter;
    reason = `${csrSigner.ref} is still the installer's bootstrap signer (issuer ${csrSigner.issuer ?? '?'}, valid until ${iso(csrSigner.notAfter)}): the first rotation has not happened`;
  } else if (liveBootstrap.length > 0) {
    waitFrom = new Date(Math.max(...liveBootstrap.map((c) => c.notAfter.getTime())));
    reason = `${csrSigner.ref} has rotated, but the bootstrap signer is valid until ${iso(waitFrom)}: kubelets may still hold certificates it signed`;
  } else {
    reason = `${csrSigner.ref} has rotated (issuer ${csrSigner.issuer ?? '?'}, valid ${csrSigner.notBefore ? iso(csrSigner.notBefore) : '?'} – ${csrSigner.notAfter ? iso(csrSigner.notAfter) : '?'})`;
  }
  const waitUntil = waitFrom && waitFrom.getTime() + marginMs > now.getTime() ? new Date(waitFrom.getTime() + marginMs) : null;
  // A bootstrap signer past its end was never rotated: waiting cannot help (the cluster needs recovery or a forced rotation).
  const rotated = waitUntil === null && !isBootstrapSigner(csrSigner);
  if (!rotated && waitUntil === null)
    reason = `${csrSigner.ref} is the bootstrap signer and expired at ${iso(csrSigner.notAfter as Date)} without being rotated`;
  const decision: PrepareDecision = { rotated, waitUntil, reason };
  // Kubelet client certificates are capped at their signer's NotAfter, and may come from any signer
  // of the bundle that is still valid: the earliest such NotAfter bounds a CSR-free revive.
  const candidates = [
    csrSigner.notAfter,
    ...(facts.bundle ?? []).filter((c) => c.notAfter.getTime() > now.getTime()).map((c) => c.notAfter),
  ].filter((d): d is Date => d !== undefined);
  if (candidates.length > 0) decision.revivableWithoutCsrUntil = new Date(Math.min(...candidates.map((d) => d.getTime())));
  if (facts.apiserverToKubelet?.notAfter) decision.revivableUntil = facts.apiserverToKubelet.notAfter;
  return decision;
}

/** The image properties playbook 04 passes to hotstack_snapset's `properties` (COMMON.md contract). */
export function snapsetProperties(decision: PrepareDecision): Record<string, string> {
  const out: Record<string, string> = {};
  if (decision.revivableWithoutCsrUntil) out.hotstack_revivable_without_csr_until = iso(decision.revivableWithoutCsrUntil);
  if (decision.revivableUntil) out.hotstack_revivable_until = iso(decision.revivableUntil);
  return out;
}

/** Is the kubelet signer usable now (revive: approving before it is makes KCM back off ~16 min)? */
export function signerValidNow(signer: SignerInfo, now: Date): boolean {
  return (
    !!signer.notBefore && !!signer.notAfter && signer.notBefore.getTime() <= now.getTime() && now.getTime() < signer.notAfter.getTime()
  );
}
