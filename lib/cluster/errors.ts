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
  CERT_REVOKED: "the API server's certificate is revoked",
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server did not answer in TLS (a plain-HTTP port, or the wrong port or scheme in the server URL?)',
  EPROTO: 'TLS protocol error (a plain-HTTP port, or the wrong port or scheme in the server URL?)',
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

interface Failure {
  codes: string[];
  /** The messages of the cause chain, outermost first. */
  messages: string[];
}

function failureOf(error: unknown): Failure {
  const failure: Failure = { codes: [], messages: [] };
  let current: unknown = error;
  for (let depth = 0; current && depth < 6; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') failure.codes.push(code);
    if (current instanceof Error && current.message) failure.messages.push(current.message);
    const errors = (current as { errors?: unknown[] }).errors;
    if (Array.isArray(errors)) {
      for (const inner of errors) {
        const nested = failureOf(inner);
        failure.codes.push(...nested.codes);
        failure.messages.push(...nested.messages);
      }
    }
    current = (current as { cause?: unknown }).cause;
  }
  return failure;
}

/**
 * What undici's bare "fetch failed" stands for: the innermost message of its cause chain that says
 * more (its first line, without OpenSSL's routine prefix), e.g. "bad port".
 */
function innermostReason(messages: string[]): string | undefined {
  for (const message of [...messages].reverse()) {
    const line = message.split('\n')[0]!.trim();
    if (!line || line === 'fetch failed') continue;
    const ssl = /:SSL routines:[^:]*:([^:]+):/.exec(line);
    return ssl ? `TLS: ${ssl[1]}` : line;
  }
  return undefined;
}

/**
 * A transport failure (no HTTP answer) as a ClusterError naming the server and the cause (connection
 * refused, a TLS error, a name not found...), never undici's bare "fetch failed"; TLS expiry and
 * refusals are retryable.
 */
export function transportError(error: unknown, server: string, what: string): ClusterError {
  if (error instanceof ClusterError) return error;
  const { codes, messages } = failureOf(error);
  const unique = [...new Set(codes)];
  for (const code of unique) {
    if (TLS_CODES[code])
      return new ClusterError(`${what}: ${server}: TLS: ${TLS_CODES[code]} (${code})`, {
        cause: error,
        retryable: code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID',
      });
    if (NET_CODES[code]) {
      const duringTls = messages.some((m) => /before secure TLS connection was established/.test(m));
      const reason = duringTls ? `${NET_CODES[code]} during the TLS handshake` : NET_CODES[code];
      return new ClusterError(`${what}: cannot reach the API server ${server}: ${reason} (${code})`, { cause: error, retryable: true });
    }
  }
  const reason = innermostReason(messages) ?? String(error);
  return new ClusterError(`${what}: ${server}: ${reason}${unique.length ? ` (${unique.join(', ')})` : ''}`, {
    cause: error,
    retryable: true,
  });
}
