/**
 * Business errors, thrown from use cases and turned into RFC 9457 problem
 * details in exactly one place (shared/http/problem.ts). Messages are shown to
 * clients: never put a credential or an internal detail in one.
 *
 * An error says what kind of failure it is, never an HTTP status: the HTTP edge
 * maps kind to status (shared/http/problem.ts), a worker edge maps it to retry,
 * drop or dead letter (shared/workers/retry-policy.ts). Errors of one context
 * live in its folder (shared/domain/<context>/errors.ts); the ones every
 * context uses live here.
 */
export const ERROR_KINDS = [
  /** The request itself is wrong: a field, a token, a parameter. */
  'invalid',
  /** Nobody is known: a missing or wrong credential. */
  'unauthenticated',
  /** Someone is known but may not do this. */
  'forbidden',
  'not_found',
  /** The state does not allow it: a name taken, a concurrent change. */
  'conflict',
  /** A destructive change that was not confirmed (`X-Confirm-Destructive: true`). */
  'confirmation_required',
  /** The request is larger than the hub takes. */
  'payload_too_large',
  /** The request was addressed to another server (a Host this one does not answer for). */
  'misdirected',
  /** Well formed, but what it asks cannot be done: a cluster that cannot be reached or refuses the hub. */
  'unprocessable',
  /** What it asks is locked for a while (a credential change after wrong passwords). */
  'locked',
  /** Too many requests: try again after `retry_after_seconds`. */
  'rate_limited',
  /** A dependency answered more than the hub reads at once. */
  'upstream_too_large',
  /** A dependency (the table, a cluster) cannot be reached right now. */
  'unavailable',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    /** Extra members for the problem document (field errors, retry hints). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export interface FieldError {
  field: string;
  /** body, query, param or header */
  location?: string;
  message: string;
}

export class InputError extends AppError {
  constructor(message: string, errors: FieldError[] = []) {
    super('invalid', 'VALIDATION_ERROR', message, errors.length ? { errors } : {});
  }
}

export class AuthenticationError extends AppError {
  constructor(message = 'Authentication is required.', code = 'AUTHENTICATION_REQUIRED') {
    super('unauthenticated', code, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You do not have permission to do this.') {
    super('forbidden', 'FORBIDDEN', message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found.') {
    super('not_found', 'NOT_FOUND', message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'CONFLICT') {
    super('conflict', code, message);
  }
}

/** A dependency (the table, a cluster) cannot be reached right now. */
export class UnavailableError extends AppError {
  constructor(message: string, code = 'SERVICE_UNAVAILABLE', details: Record<string, unknown> = {}) {
    super('unavailable', code, message, details);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(maxBytes: number) {
    super('payload_too_large', 'PAYLOAD_TOO_LARGE', `The request body is larger than ${maxBytes} bytes.`);
  }
}

/** Too many requests for a rate tier (the guard's limiter, any context's limit): try again after `retry_after_seconds`. */
export class RateLimitError extends AppError {
  constructor(retryAfterSeconds: number) {
    super('rate_limited', 'RATE_LIMIT_EXCEEDED', `Too many requests: retry after ${retryAfterSeconds} seconds.`, {
      retry_after_seconds: retryAfterSeconds,
    });
  }
}
