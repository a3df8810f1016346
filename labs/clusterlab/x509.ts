// labs/clusterlab/x509.ts — real X.509 material for the lab's actors: keys (node:crypto), certificate
// requests and certificates with chosen validity (openssl, in a temporary folder that is removed
// again). Node can parse certificates but not issue them; openssl 3.0 can only set explicit
// notBefore/notAfter through `openssl ca`, hence the small CA config below.
import { execFile } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KeyPair {
  certPem: string;
  keyPem: string;
}

/** A fresh ECDSA P-256 private key, PKCS#8 PEM (what a kubelet generates). */
export function generateKey(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export interface Subject {
  cn: string;
  o?: string[];
}
export interface Sans {
  dnsNames?: string[];
  ips?: string[];
}

function subjectArg(s: Subject): string {
  const esc = (v: string) => v.replace(/[/\\=]/g, (c) => `\\${c}`);
  return `${(s.o ?? []).map((o) => `/O=${esc(o)}`).join('')}/CN=${esc(s.cn)}`;
}
function sanLine(sans: Sans): string | undefined {
  const parts = [...(sans.dnsNames ?? []).map((d) => `DNS:${d}`), ...(sans.ips ?? []).map((i) => `IP:${i}`)];
  return parts.length ? `subjectAltName=${parts.join(',')}` : undefined;
}

async function inTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'clusterlab-x509-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A PKCS#10 request (PEM) for the key, with subject and SANs; what goes into a CSR object's spec.request. */
export async function createCsr(keyPem: string, subject: Subject, sans: Sans = {}): Promise<string> {
  return inTemp(async (dir) => {
    writeFileSync(join(dir, 'key.pem'), keyPem, { mode: 0o600 });
    const san = sanLine(sans);
    await run('openssl', [
      'req',
      '-new',
      '-key',
      join(dir, 'key.pem'),
      '-subj',
      subjectArg(subject),
      ...(san ? ['-addext', san] : []),
      '-out',
      join(dir, 'req.pem'),
    ]);
    return readFileSync(join(dir, 'req.pem'), 'utf8');
  });
}

const asn1Time = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

const CA_CONFIG = `[ca]
default_ca = lab
[lab]
dir = .
database = ./index.txt
new_certs_dir = .
serial = ./serial
default_md = sha256
policy = pol
unique_subject = no
copy_extensions = copy
email_in_dn = no
[pol]
commonName = supplied
organizationName = optional
organizationalUnitName = optional
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
`;

export interface CertSpec {
  subject: Subject;
  notBefore: Date;
  notAfter: Date;
  kind: 'ca' | 'client' | 'server';
  sans?: Sans;
  /** Signing CA; self-signed when absent. */
  issuer?: KeyPair;
  /** Key to certify; a new one when absent. */
  keyPem?: string;
}

/** A certificate with exactly the given validity window (past or future), signed by issuer or self-signed. */
export async function createCertificate(spec: CertSpec): Promise<KeyPair> {
  const keyPem = spec.keyPem ?? generateKey();
  const certPem = await inTemp(async (dir) => {
    const f = (n: string) => join(dir, n);
    writeFileSync(f('ca.cnf'), CA_CONFIG);
    writeFileSync(f('index.txt'), '');
    writeFileSync(f('serial'), `${BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000))}`.padStart(16, '0').slice(-16));
    writeFileSync(f('key.pem'), keyPem, { mode: 0o600 });
    const san = spec.sans && sanLine(spec.sans);
    await run('openssl', [
      'req',
      '-new',
      '-key',
      f('key.pem'),
      '-subj',
      subjectArg(spec.subject),
      ...(san ? ['-addext', san] : []),
      '-out',
      f('req.pem'),
    ]);
    const signer = spec.issuer ? ['-cert', f('issuer.pem'), '-keyfile', f('issuer.key')] : ['-selfsign', '-keyfile', f('key.pem')];
    if (spec.issuer) {
      writeFileSync(f('issuer.pem'), spec.issuer.certPem);
      writeFileSync(f('issuer.key'), spec.issuer.keyPem, { mode: 0o600 });
    }
    await run(
      'openssl',
      [
        'ca',
        '-batch',
        '-config',
        f('ca.cnf'),
        ...signer,
        '-in',
        f('req.pem'),
        '-startdate',
        asn1Time(spec.notBefore),
        '-enddate',
        asn1Time(spec.notAfter),
        '-extensions',
        `${spec.kind}_ext`,
        '-notext',
        '-out',
        f('cert.pem'),
      ],
      { cwd: dir },
    );
    return readFileSync(f('cert.pem'), 'utf8');
  });
  return { certPem, keyPem };
}

export interface CertInfo {
  subject: string;
  issuer: string;
  commonName: string;
  issuerCommonName: string;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
}

/** The facts a test asserts on, from the first certificate of a PEM bundle. */
export function certInfo(pem: string): CertInfo {
  const cert = new X509Certificate(pem);
  const cn = (dn: string) => /(?:^|\n)CN=([^\n]*)/.exec(dn)?.[1] ?? '';
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    commonName: cn(cert.subject),
    issuerCommonName: cn(cert.issuer),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    isCa: cert.ca,
  };
}
