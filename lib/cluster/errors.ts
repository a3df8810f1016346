// Errors of the cluster library: what failed, where (the API server, the object, the kubeconfig
// field) and why (cause), with a flag for the waits that may retry. They are HotstackErrors, so the
// module protocol reports them as failures; the library itself knows nothing of Ansible.
import { HotstackError } from '../errors.ts';

export class ClusterError extends HotstackError {
  /** A connection refusal, an expired serving certificate, a 5xx: worth retrying while waiting. */
  readonly retryable: boolean;
  /** HTTP status, when the API answered. */
  readonly status: number | undefined;
  /** What a failed step had done before it failed (CSRs approved, nodes touched), for the result. */
  readonly partial: Record<string, unknown> | undefined;
  constructor(message: string, options: { cause?: unknown; retryable?: boolean; status?: number; partial?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.retryable = options.retryable ?? false;
    this.status = options.status;
    this.partial = options.partial;
  }
}

/** A bad kubeconfig (missing file, unknown context, unreadable key): never retried, never a fallback. */
export class KubeconfigError extends ClusterError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
  }
}

/** The run or the step ran out of time, or a signal asked to stop. */
export class WaitAborted extends ClusterError {
  constructor(message: string) {
    super(message);
  }
}

const TLS_CODES: Record<string, string> = {
  CERT_HAS_EXPIRED: "the API server's certificate has expired",
  CERT_NOT_YET_VALID: "the API server's certificate is not yet valid",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the API server's certificate is self-signed and not trusted (set certificate-authority in the kubeconfig)",
  SELF_SIGNED_CERT_IN_CHAIN: "the API server's certificate chain is not trusted (certificate-authority)",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the API server's certificate cannot be verified (certificate-authority)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the API server's certificate issuer is not trusted (certificate-authority)",
  ERR_TLS_CERT_ALTNAME_INVALID: "the API server's certificate does not name this host",
};

const NET_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
};

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 6; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const errors = (current as { errors?: unknown[] }).errors;
    if (Array.isArray(errors)) for (const inner of errors) codes.push(...codesOf(inner));
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** A transport failure (no HTTP answer) as a ClusterError naming the server; TLS expiry and refusals are retryable. */
export function transportError(error: unknown, server: string, what: string): ClusterError {
  if (error instanceof ClusterError) return error;
  const codes = codesOf(error);
  for (const code of codes) {
    if (TLS_CODES[code])
      return new ClusterError(`${what}: ${server}: TLS: ${TLS_CODES[code]} (${code})`, {
        cause: error,
        retryable: code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID',
      });
    if (NET_CODES[code])
      return new ClusterError(`${what}: cannot reach the API server ${server}: ${NET_CODES[code]} (${code})`, {
        cause: error,
        retryable: true,
      });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ClusterError(`${what}: ${server}: ${message}${codes.length ? ` (${codes.join(', ')})` : ''}`, {
    cause: error,
    retryable: true,
  });
}
