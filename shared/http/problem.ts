import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, type ErrorKind } from '#shared/domain/errors.ts';
import type { AppEnv } from './env.ts';

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  423: 'Locked',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The one table from an error's kind to the status it answers with. */
const statusOfKind: Readonly<Record<ErrorKind, ContentfulStatusCode>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  confirmation_required: 428,
  payload_too_large: 413,
  misdirected: 421,
  unprocessable: 422,
  locked: 423,
  rate_limited: 429,
  upstream_too_large: 502,
  unavailable: 503,
};

/** The HTTP status an error of `kind` answers with. */
export function httpStatusOf(kind: ErrorKind): ContentfulStatusCode {
  return statusOfKind[kind];
}

/** The RFC 9457 problem document clusterhub answers every error with. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  request_id: string;
  instance?: string;
  [extra: string]: unknown;
}

/** Builds the problem response for a status, code and sentence. */
export function problemResponse(c: Context<AppEnv>, status: number, code: string, detail: string, extra: Record<string, unknown> = {}): Response {
  const body: Problem = {
    type: `https://clusterhub.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: titles[status] ?? 'Error',
    status,
    detail,
    code,
    request_id: c.get('requestId') ?? '',
    instance: c.req.path,
    ...extra,
  };
  return c.body(JSON.stringify(body), status as ContentfulStatusCode, {
    'Content-Type': 'application/problem+json',
  });
}

/** The one place where thrown errors become HTTP responses. */
export function handleError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof AppError) {
    const response = problemResponse(c, httpStatusOf(err.kind), err.code, err.message, err.details);
    if (err.kind === 'rate_limited' && typeof err.details.retry_after_seconds === 'number') {
      response.headers.set('Retry-After', String(err.details.retry_after_seconds));
    }
    return response;
  }
  if (err instanceof HTTPException) {
    // Hono's own refusals: malformed JSON, a body over the limit, a body that is not JSON, and the like.
    const status = err.status;
    const code = status === 400 ? 'VALIDATION_ERROR' : status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'HTTP_ERROR';
    const detail =
      status === 400
        ? `The request is malformed: ${err.message || 'invalid body'}.`
        : status === 415
          ? 'The request body must be JSON: send it with Content-Type: application/json.'
          : err.message || 'Request refused.';
    return problemResponse(c, status, code, detail);
  }
  c.get('logger')?.error('unhandled error', { error: err.name, stack: err.stack });
  return problemResponse(c, 500, 'INTERNAL_ERROR', 'An unexpected error occurred. Quote the request id when reporting it.');
}

/** Unknown routes answer 404 in the same shape as every other error. */
export function handleNotFound(c: Context<AppEnv>): Response {
  return problemResponse(c, 404, 'NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`);
}
