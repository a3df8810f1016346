// labs/clusterlab/certificates.ts — the certificates actor: the kube-controller-manager CSR signer chain as
// OpenShift keeps it, with real certificates and the auth.openshift.io/certificate-* annotations:
//   openshift-kube-controller-manager-operator/csr-signer-signer   the signer CA (24 h kubelet-signer
//                                                                  after install, 60 d once rotated)
//   openshift-kube-controller-manager-operator/csr-signer          the CA KCM signs CSRs with (30 d)
//   openshift-kube-controller-manager/csr-signer                   the copy KCM reads
// installScenario() writes a cluster just installed, rotated, or expired (cert-rotation.md §0, §3.3).
// SignerOperator plays kube-controller-manager-operator's cert rotation: it regenerates a deleted,
// unannotated or expired (or past-refresh) signer, re-issues csr-signer from it, copies it, and
// switches the lab's real kube-controller-manager to sign with the new csr-signer.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { operatorsConfig, paths } from './lab.ts';
import { certInfo, createCertificate, type KeyPair } from './x509.ts';

export const OPERATOR_NS = 'openshift-kube-controller-manager-operator';
export const KCM_NS = 'openshift-kube-controller-manager';
export const NOT_BEFORE = 'auth.openshift.io/certificate-not-before';
export const NOT_AFTER = 'auth.openshift.io/certificate-not-after';
export const ISSUER = 'auth.openshift.io/certificate-issuer';

const HOUR = 3600_000;
// library-go names it <namespace>_<secret>@<unix> (71 characters here); openssl refuses a CN over 64,
// so the lab drops the "openshift-" of the namespace.
const SIGNER_CN_PREFIX = 'kube-controller-manager-operator_csr-signer-signer';
const DAY = 24 * HOUR;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export type Scenario = 'fresh' | 'rotated' | 'expired';

export interface SecretRef {
  namespace: string;
  name: string;
}
export const SIGNER_SIGNER: SecretRef = { namespace: OPERATOR_NS, name: 'csr-signer-signer' };
export const CSR_SIGNER: SecretRef = { namespace: OPERATOR_NS, name: 'csr-signer' };
export const KCM_CSR_SIGNER: SecretRef = { namespace: KCM_NS, name: 'csr-signer' };

function tlsSecret(ref: SecretRef, pair: KeyPair, target: boolean): k8s.V1Secret {
  const info = certInfo(pair.certPem);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      annotations: { [NOT_BEFORE]: iso(info.notBefore), [NOT_AFTER]: iso(info.notAfter), [ISSUER]: info.issuerCommonName },
      ...(target ? { labels: { 'auth.openshift.io/managed-certificate-type': 'target' } } : {}),
    },
    data: { 'tls.crt': Buffer.from(pair.certPem).toString('base64'), 'tls.key': Buffer.from(pair.keyPem).toString('base64') },
  };
}

export interface SignerChain {
  signerSigner: KeyPair;
  csrSigner: KeyPair;
}

/**
 * Builds a signer chain. fresh: the installer's 24 h kubelet-signer (notBefore = installedAt) and a
 * csr-signer issued from it 8 min later, capped at the signer's end. rotated: the operator's 60 d
 * signer and 30 d kube-csr-signer, made at installedAt. expired: the fresh chain of an install 40 days ago.
 */
export async function makeChain(scenario: Scenario, installedAt = new Date(Date.now() - HOUR)): Promise<SignerChain> {
  const t0 = scenario === 'expired' ? new Date(Date.now() - 40 * DAY) : installedAt;
  if (scenario === 'rotated') {
    const unix = Math.floor(t0.getTime() / 1000);
    const signerSigner = await createCertificate({
      subject: { cn: `${SIGNER_CN_PREFIX}@${unix}` },
      notBefore: t0,
      notAfter: new Date(t0.getTime() + 60 * DAY),
      kind: 'ca',
    });
    const csrSigner = await createCertificate({
      subject: { cn: `kube-csr-signer_@${unix}` },
      notBefore: t0,
      notAfter: new Date(t0.getTime() + 30 * DAY),
      kind: 'ca',
      issuer: signerSigner,
    });
    return { signerSigner, csrSigner };
  }
  const end = new Date(t0.getTime() + DAY);
  const signerSigner = await createCertificate({
    subject: { cn: 'kubelet-signer', o: ['openshift'] },
    notBefore: t0,
    notAfter: end,
    kind: 'ca',
  });
  const csrSigner = await createCertificate({
    subject: { cn: `kube-csr-signer_@${Math.floor(t0.getTime() / 1000 + 480)}` },
    notBefore: new Date(t0.getTime() + 8 * 60_000),
    notAfter: end,
    kind: 'ca',
    issuer: signerSigner,
  });
  return { signerSigner, csrSigner };
}

export class Certificates {
  #core: k8s.CoreV1Api;
  constructor(kubeConfig: k8s.KubeConfig = operatorsConfig()) {
    this.#core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  }

  /** Writes the three secrets of a scenario (replacing existing ones); returns the chain. */
  async installScenario(scenario: Scenario, installedAt?: Date): Promise<SignerChain> {
    const chain = await makeChain(scenario, installedAt);
    await this.write(SIGNER_SIGNER, chain.signerSigner, false);
    await this.write(CSR_SIGNER, chain.csrSigner, true);
    await this.write(KCM_CSR_SIGNER, chain.csrSigner, true);
    return chain;
  }

  async write(ref: SecretRef, pair: KeyPair, target: boolean): Promise<void> {
    const body = tlsSecret(ref, pair, target);
    await this.#core.replaceNamespacedSecret({ name: ref.name, namespace: ref.namespace, body }).catch(async (e: unknown) => {
      if ((e as { code?: number }).code === 404) await this.#core.createNamespacedSecret({ namespace: ref.namespace, body });
      else throw e;
    });
  }

  async read(ref: SecretRef): Promise<k8s.V1Secret | undefined> {
    return this.#core.readNamespacedSecret(ref).catch((e: unknown) => {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    });
  }

  async remove(): Promise<void> {
    for (const ref of [SIGNER_SIGNER, CSR_SIGNER, KCM_CSR_SIGNER]) {
      await this.#core.deleteNamespacedSecret(ref).catch((e: unknown) => {
        if ((e as { code?: number }).code !== 404) throw e;
      });
    }
  }
}

/** Why library-go would make a new signer now, or undefined if the secret is fine (cert-rotation.md §3.3). */
export function needsNewSigner(
  secret: k8s.V1Secret | undefined,
  now: Date,
  refreshMs: number,
  refreshOnlyWhenExpired = false,
): string | undefined {
  if (!secret) return 'missing';
  const notAfter = Date.parse(secret.metadata?.annotations?.[NOT_AFTER] ?? '');
  const notBefore = Date.parse(secret.metadata?.annotations?.[NOT_BEFORE] ?? '');
  if (Number.isNaN(notAfter)) return 'missing notAfter';
  if (now.getTime() > notAfter) return 'already expired';
  if (refreshOnlyWhenExpired) return undefined;
  if (!Number.isNaN(notBefore)) {
    const at80 = notBefore + 0.8 * (notAfter - notBefore);
    if (now.getTime() > at80) return 'past its 80% life';
    if (now.getTime() > notBefore + refreshMs) return 'past its refresh';
  }
  return undefined;
}

export interface Rotation {
  at: Date;
  reason: string;
  signerSigner: string;
  csrSigner: string;
}

/**
 * kube-controller-manager-operator's cert rotation, in a loop every syncMs: csr-signer-signer
 * (60 d, refresh 30 d) and csr-signer (30 d, refresh 15 d, issued by the signer) are regenerated when
 * missing, unannotated, expired or due; csr-signer is copied to openshift-kube-controller-manager
 * and (switchKcm, default true) installed as the lab kube-controller-manager's signing CA, which
 * reloads it without a restart, and appended to the apiserver's client CA bundle.
 */
export class SignerOperator {
  readonly rotations: Rotation[] = [];
  #certs: Certificates;
  #timer?: NodeJS.Timeout;
  #busy = false;
  #opts: { syncMs: number; switchKcm: boolean };
  constructor(options: { syncMs?: number; switchKcm?: boolean; kubeConfig?: k8s.KubeConfig } = {}) {
    this.#opts = { syncMs: options.syncMs ?? 1000, switchKcm: options.switchKcm ?? true };
    this.#certs = new Certificates(options.kubeConfig);
  }

  start(): void {
    const loop = async () => {
      await this.sync().catch(() => undefined);
      this.#timer = setTimeout(loop, this.#opts.syncMs);
    };
    this.#timer = setTimeout(loop, 0);
  }
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** One pass; returns the rotation it made, if any. */
  async sync(now = new Date()): Promise<Rotation | undefined> {
    if (this.#busy) return undefined;
    this.#busy = true;
    try {
      let signerSecret = await this.#certs.read(SIGNER_SIGNER);
      let signer: KeyPair | undefined;
      const signerReason = needsNewSigner(signerSecret, now, 30 * DAY);
      let reason = signerReason ? `csr-signer-signer: ${signerReason}` : '';
      if (signerReason) {
        const unix = Math.floor(now.getTime() / 1000);
        signer = await createCertificate({
          subject: { cn: `${SIGNER_CN_PREFIX}@${unix}` },
          notBefore: new Date(now.getTime() - 60_000),
          notAfter: new Date(now.getTime() + 60 * DAY),
          kind: 'ca',
        });
        await this.#certs.write(SIGNER_SIGNER, signer, false);
        signerSecret = await this.#certs.read(SIGNER_SIGNER);
      } else signer = pairOf(signerSecret!);
      const csrSecret = await this.#certs.read(CSR_SIGNER);
      const csrReason =
        needsNewSigner(csrSecret, now, 15 * DAY) ??
        (csrSecret && certInfo(pairOf(csrSecret).certPem).issuer !== certInfo(signer.certPem).subject
          ? 'issued by another signer'
          : undefined);
      if (!signerReason && !csrReason) return undefined;
      if (csrReason) reason = reason ? `${reason}; csr-signer: ${csrReason}` : `csr-signer: ${csrReason}`;
      const unix = Math.floor(now.getTime() / 1000);
      const csrSigner = await createCertificate({
        subject: { cn: `kube-csr-signer_@${unix}` },
        notBefore: new Date(now.getTime() - 60_000),
        notAfter: new Date(Math.min(now.getTime() + 30 * DAY, certInfo(signer.certPem).notAfter.getTime())),
        kind: 'ca',
        issuer: signer,
      });
      await this.#certs.write(CSR_SIGNER, csrSigner, true);
      await this.#certs.write(KCM_CSR_SIGNER, csrSigner, true);
      if (this.#opts.switchKcm) switchLabSigner(csrSigner);
      const rotation = {
        at: new Date(),
        reason,
        signerSigner: certInfo(signer.certPem).commonName,
        csrSigner: certInfo(csrSigner.certPem).commonName,
      };
      this.rotations.push(rotation);
      return rotation;
    } finally {
      this.#busy = false;
    }
  }
}

function pairOf(secret: k8s.V1Secret): KeyPair {
  const d = (k: string) => Buffer.from(secret.data?.[k] ?? '', 'base64').toString();
  return { certPem: d('tls.crt'), keyPem: d('tls.key') };
}

/**
 * Makes the lab's kube-controller-manager sign with pair from now on (it reloads its
 * --cluster-signing-* files), and lets the apiserver accept client certificates issued by it.
 */
export function switchLabSigner(pair: KeyPair): void {
  const bundle = existsSync(paths.clientCa) ? readFileSync(paths.clientCa, 'utf8') : '';
  if (!bundle.includes(pair.certPem.trim())) atomicWrite(paths.clientCa, `${bundle.trimEnd()}\n${pair.certPem.trim()}\n`);
  atomicWrite(paths.csrSignerKey, pair.keyPem, 0o600);
  atomicWrite(paths.csrSignerCert, pair.certPem);
}

function atomicWrite(file: string, content: string, mode = 0o644): void {
  writeFileSync(`${file}.tmp`, content, { mode });
  renameSync(`${file}.tmp`, file);
}
