// labs/clusterlab/signer-rotation.ts — a small stand-in for kube-controller-manager-operator's
// reaction to an invalidated signer (cert-rotation.md §3.3: a csr-signer-signer or csr-signer whose
// auth.openshift.io/certificate-not-after annotation is gone is regenerated on the next sync), for
// tests of hotstack_prepare's force_cert_rotation. Unlike SignerOperator it never switches the lab's
// kube-controller-manager, and it names its CAs briefly (openssl limits a CN to 64 characters).
import { type Certificates, CSR_SIGNER, KCM_CSR_SIGNER, NOT_AFTER, SIGNER_SIGNER } from './certificates.ts';
import { createCertificate } from './x509.ts';

const DAY = 86_400_000;

export class SignerRegenerator {
  readonly rotations: Date[] = [];
  #timer?: NodeJS.Timeout;
  #stopped = false;
  #certs: Certificates;
  constructor(certs: Certificates) {
    this.#certs = certs;
  }

  /** Every syncMs: when either signer secret lost its not-after annotation, write a new 60 d / 30 d chain. */
  start(syncMs = 300): void {
    const loop = async () => {
      const [signer, csr] = await Promise.all([this.#certs.read(SIGNER_SIGNER), this.#certs.read(CSR_SIGNER)]).catch(() => [
        undefined,
        undefined,
      ]);
      const invalidated = [signer, csr].some((s) => s && !s.metadata?.annotations?.[NOT_AFTER]);
      if (invalidated) {
        const now = new Date();
        const unix = Math.floor(now.getTime() / 1000);
        const signerSigner = await createCertificate({
          subject: { cn: `csr-signer-signer@${unix}` },
          notBefore: new Date(now.getTime() - 60_000),
          notAfter: new Date(now.getTime() + 60 * DAY),
          kind: 'ca',
        });
        const csrSigner = await createCertificate({
          subject: { cn: `kube-csr-signer_@${unix}` },
          notBefore: new Date(now.getTime() - 60_000),
          notAfter: new Date(now.getTime() + 30 * DAY),
          kind: 'ca',
          issuer: signerSigner,
        });
        await this.#certs.write(SIGNER_SIGNER, signerSigner, false);
        await this.#certs.write(CSR_SIGNER, csrSigner, true);
        await this.#certs.write(KCM_CSR_SIGNER, csrSigner, true);
        this.rotations.push(now);
      }
      if (!this.#stopped) this.#timer = setTimeout(() => void loop().catch(() => undefined), syncMs);
    };
    this.#timer = setTimeout(() => void loop().catch(() => undefined), 0);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
