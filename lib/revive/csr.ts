// Which pending CertificateSigningRequests are a kubelet's and may be approved (issue 8 §4,
// cert-rotation.md §3.4 and §6 b). A pure decision per CSR: the signer, the requester, the node it
// names (which must exist), and the x509 request itself (subject, SANs) parsed from its PKCS#10
// PEM with @peculiar/asn1-csr — node:crypto parses certificates but not certificate requests.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Extensions, id_ce_subjectAltName, type Name, SubjectAlternativeName } from '@peculiar/asn1-x509';
import type { NodeLike } from '../cluster/nodes.ts';
import { HotstackError } from '../errors.ts';

export const CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
export const NODE_BOOTSTRAPPER = 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper';
const NODE_PREFIX = 'system:node:';

/** Usages each kubelet signer allows (Kubernetes' ValidateKubeletClientCSR / ValidateKubeletServingCSR). */
const USAGES: Record<string, { required: string[]; optional: string[] }> = {
  [CLIENT_SIGNER]: { required: ['digital signature', 'client auth'], optional: ['key encipherment'] },
  [SERVING_SIGNER]: { required: ['digital signature', 'server auth'], optional: ['key encipherment'] },
};

export interface CsrLike {
  metadata?: { name?: string; creationTimestamp?: string | Date };
  spec?: { request?: string; signerName?: string; username?: string; usages?: string[]; groups?: string[] };
  status?: { conditions?: { type?: string; status?: string }[]; certificate?: string };
}

// A node as the CSR judgement reads it (lib/cluster/nodes.ts, where nodes are listed).
export type { NodeLike };

export interface ParsedRequest {
  commonName: string | undefined;
  organizations: string[];
  dnsNames: string[];
  ipAddresses: string[];
  /** SANs of kinds a kubelet never asks for (email, URI, other). */
  otherNames: string[];
}

const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

/** One spelling per address, so "fd00:0:…:10" from a request equals "fd00::10" from the node. */
function normaliseIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

/** Parses the PEM (or base64 PEM, as spec.request holds it) of a PKCS#10 request. Throws on garbage. */
export function parseCertificateRequest(request: string): ParsedRequest {
  let pem = request;
  if (!pem.includes('-----BEGIN')) pem = Buffer.from(request, 'base64').toString('utf8');
  const match = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([\s\S]+?)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(pem);
  if (!match) throw new HotstackError('not a PEM certificate request');
  const der = Buffer.from((match[1] as string).replace(/\s+/g, ''), 'base64');
  const csr = AsnConvert.parse(der, CertificationRequest);
  const info = csr.certificationRequestInfo;
  const names = (oid: string) => {
    const out: string[] = [];
    for (const rdn of info.subject as Name) {
      for (const attribute of rdn) {
        if (attribute.type === oid) out.push(attribute.value.toString());
      }
    }
    return out;
  };
  const parsed: ParsedRequest = {
    commonName: names(OID_CN)[0],
    organizations: names(OID_O),
    dnsNames: [],
    ipAddresses: [],
    otherNames: [],
  };
  if (names(OID_CN).length > 1) parsed.otherNames.push('second CN');
  for (const attribute of info.attributes) {
    if (attribute.type !== OID_EXTENSION_REQUEST) continue;
    for (const value of attribute.values) {
      const extensions = AsnConvert.parse(value, Extensions);
      for (const extension of extensions) {
        if (extension.extnID !== id_ce_subjectAltName) continue;
        const san = AsnConvert.parse(extension.extnValue, SubjectAlternativeName);
        for (const name of san) {
          if (name.dNSName !== undefined) parsed.dnsNames.push(name.dNSName);
          else if (name.iPAddress !== undefined) parsed.ipAddresses.push(normaliseIp(String(name.iPAddress)));
          else if (name.rfc822Name !== undefined) parsed.otherNames.push(`email:${name.rfc822Name}`);
          else if (name.uniformResourceIdentifier !== undefined) parsed.otherNames.push(`URI:${name.uniformResourceIdentifier}`);
          else parsed.otherNames.push('other SAN');
        }
      }
    }
  }
  return parsed;
}

export function isPending(csr: CsrLike): boolean {
  return (csr.status?.conditions ?? []).length === 0;
}

export function isApproved(csr: CsrLike): boolean {
  return (csr.status?.conditions ?? []).some((c) => c.type === 'Approved' && c.status === 'True');
}

export type CsrVerdict =
  | { approve: true; node: string; signer: string }
  | { approve: false; node?: string; signer: string; reason: string };

export interface CsrPolicy {
  /** Node names that may get certificates: those in the cluster, or the list the user gave. */
  nodes: ReadonlyMap<string, NodeLike>;
  /** Pending requests created before this are left alone (an old set's stale CSRs). */
  notBefore?: number;
}

/** Every name and address a node owns, for the serving certificate's SANs. */
function nodeNames(name: string, node: NodeLike | undefined): { dns: Set<string>; ips: Set<string> } {
  const dns = new Set<string>([name]);
  const ips = new Set<string>();
  for (const address of node?.status?.addresses ?? []) {
    if (!address.address) continue;
    if (isIP(address.address)) ips.add(normaliseIp(address.address));
    else dns.add(address.address);
  }
  return { dns, ips };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);
}

/** Decides on one CSR. Approved only if everything checks out; otherwise the reason says what did not. */
export function judgeCsr(csr: CsrLike, policy: CsrPolicy): CsrVerdict {
  const signer = csr.spec?.signerName ?? '';
  const username = csr.spec?.username ?? '';
  const deny = (reason: string, node?: string): CsrVerdict => ({ approve: false, signer, reason, ...(node ? { node } : {}) });
  if (!isPending(csr)) return deny('not pending');
  const allowed = USAGES[signer];
  if (!allowed) return deny(`signer ${signer || '(none)'} is not a kubelet signer`);
  const created = csr.metadata?.creationTimestamp ? new Date(csr.metadata.creationTimestamp).getTime() : NaN;
  if (policy.notBefore !== undefined && Number.isFinite(created) && created < policy.notBefore) {
    return deny(`created ${new Date(created).toISOString()}, before this run's window: stale`);
  }
  const requesterNode = username.startsWith(NODE_PREFIX) ? username.slice(NODE_PREFIX.length) : undefined;
  if (signer === SERVING_SIGNER && !requesterNode) return deny(`serving certificate requested by ${username || '(nobody)'}, not by a node`);
  if (signer === CLIENT_SIGNER && !requesterNode && username !== NODE_BOOTSTRAPPER) {
    return deny(`client certificate requested by ${username || '(nobody)'}, neither the node-bootstrapper nor a node`);
  }
  let request: ParsedRequest;
  try {
    request = parseCertificateRequest(csr.spec?.request ?? '');
  } catch (error) {
    return deny(`the x509 request cannot be parsed: ${(error as Error).message}`, requesterNode);
  }
  const cn = request.commonName ?? '';
  if (!cn.startsWith(NODE_PREFIX)) return deny(`the request's CN is ${JSON.stringify(cn)}, not system:node:<name>`, requesterNode);
  const node = cn.slice(NODE_PREFIX.length);
  if (requesterNode !== undefined && requesterNode !== node)
    return deny(`requested by node ${requesterNode} for the CN of node ${node}`, requesterNode);
  if (!policy.nodes.has(node)) return deny(`node ${node} is not a node of this cluster`, node);
  if (!sameSet(request.organizations, ['system:nodes'])) {
    return deny(`the request's O is ${JSON.stringify(request.organizations)}, not exactly ["system:nodes"]`, node);
  }
  const usages = csr.spec?.usages ?? [];
  const missing = allowed.required.filter((u) => !usages.includes(u));
  const extra = usages.filter((u) => !allowed.required.includes(u) && !allowed.optional.includes(u));
  if (missing.length > 0) return deny(`usages lack ${missing.join(', ')}`, node);
  if (extra.length > 0) return deny(`usages ${extra.join(', ')} are not allowed for ${signer}`, node);
  if (request.otherNames.length > 0) return deny(`the request carries ${request.otherNames.join(', ')}`, node);
  if (signer === CLIENT_SIGNER) {
    if (request.dnsNames.length + request.ipAddresses.length > 0)
      return deny('a client certificate request must not carry DNS or IP names', node);
  } else {
    if (request.dnsNames.length + request.ipAddresses.length === 0)
      return deny('a serving certificate request carries no DNS or IP name', node);
    const own = nodeNames(node, policy.nodes.get(node));
    const foreign = [
      ...request.dnsNames.filter((n) => !own.dns.has(n)),
      ...request.ipAddresses.filter((ip) => !own.ips.has(normaliseIp(ip))),
    ];
    if (foreign.length > 0) return deny(`serving names ${foreign.join(', ')} are not node ${node}'s`, node);
  }
  return { approve: true, node, signer };
}

/** NotAfter of an issued certificate (status.certificate, base64 PEM), or undefined. */
export function issuedNotAfter(csr: CsrLike): Date | undefined {
  const encoded = csr.status?.certificate;
  if (!encoded) return undefined;
  try {
    return new Date(new X509Certificate(Buffer.from(encoded, 'base64')).validTo);
  } catch {
    return undefined;
  }
}
