// The one base error every part of the project throws for an expected failure (bad input, a cloud
// that refused, a set that could not be made). The Ansible protocol recognises it and turns it into
// `failed: true` with its message and `details` as result keys; anything else is a bug and is
// reported as one too, without a stack trace unless -vvv. Client libraries (lib/openstack,
// lib/cluster) extend it without knowing anything of Ansible.

export interface HotstackErrorOptions {
  /** Extra result keys for the failure (e.g. `status`, `removed_images`); JSON values only. */
  details?: Record<string, unknown>;
  /** The lower-level error this one explains (kept for -vvv and for callers that inspect it). */
  cause?: unknown;
}

export class HotstackError extends Error {
  readonly details: Record<string, unknown>;

  constructor(message: string, options: HotstackErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? {};
  }
}

/** A wait that ran out of time (pollUntil). */
export class TimeoutError extends HotstackError {}

/** Work stopped because its AbortSignal fired (a signal to the process, a caller giving up). */
export class AbortedError extends HotstackError {}

/** The message of anything thrown, for messages that explain a cause. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
