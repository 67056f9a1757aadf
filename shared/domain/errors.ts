/**
 * Business errors, thrown from use cases and turned into RFC 9457 problem
 * details in exactly one place (shared/http/problem.ts). Messages are shown to
 * clients: never put a credential or an internal detail in one.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra members for the problem document (field errors, retry hints). */
    readonly extra: Record<string, unknown> = {},
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
    super(400, 'VALIDATION_ERROR', message, errors.length ? { errors } : {});
  }
}

export class AuthenticationError extends AppError {
  constructor(message = 'Authentication is required.', code = 'AUTHENTICATION_REQUIRED') {
    super(401, code, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You do not have permission to do this.') {
    super(403, 'FORBIDDEN', message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found.') {
    super(404, 'NOT_FOUND', message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'CONFLICT') {
    super(409, code, message);
  }
}

/** A dependency (the table, a cluster) cannot be reached right now. */
export class UnavailableError extends AppError {
  constructor(message: string, code = 'SERVICE_UNAVAILABLE', extra: Record<string, unknown> = {}) {
    super(503, code, message, extra);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(maxBytes: number) {
    super(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${maxBytes} bytes.`);
  }
}
