import { describe, expect, it } from 'vitest';
import { json } from '#test/support/http.ts';
import { localRequestGuard } from '#infra/local/local-request-guard.ts';
import {
  ClusterCredentialRejectedError,
  ClusterForbiddenError,
  ClusterResponseTooLargeError,
  ClusterUnavailableError,
  ClusterUnreachableError,
} from '#shared/domain/clusters/errors.ts';
import {
  AuthenticationError,
  ConflictError,
  ERROR_KINDS,
  ForbiddenError,
  InputError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitError,
  UnavailableError,
  type AppError,
} from '#shared/domain/errors.ts';
import { AccountLockedError, LoginThrottledError, TooManyFailedLoginsError } from '#shared/domain/identity/errors.ts';
import { createApi, createRouter } from '#shared/http/app.ts';
import { httpStatusOf } from '#shared/http/problem.ts';
import { createLogger } from '#shared/observability/logger.ts';

/** A group whose one route throws the error it is given, behind the middleware every group has. */
function throwing(err: AppError) {
  const api = createRouter();
  api.get('/fails', () => {
    throw err;
  });
  return createApi([{ name: 'failing', api }], createLogger({}, { write: () => {} }));
}

async function problemOf(err: AppError) {
  const res = await throwing(err).request('/api/v1/fails');
  return { status: res.status, type: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after'), body: await json(res) };
}

/** The problem document each error answered with before errors carried a kind (fixed here, by hand). */
const document = (status: number, title: string, code: string, detail: string, extra: Record<string, unknown> = {}) => ({
  type: `https://clusterhub.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
  title,
  status,
  detail,
  code,
  request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
  instance: '/api/v1/fails',
  ...extra,
});

describe('the HTTP edge: error kinds to statuses', () => {
  it('maps every kind to the status it has always answered with', () => {
    const statuses = Object.fromEntries(ERROR_KINDS.map((kind) => [kind, httpStatusOf(kind)]));
    expect(statuses).toEqual({
      invalid: 400,
      unauthenticated: 401,
      forbidden: 403,
      not_found: 404,
      conflict: 409,
      payload_too_large: 413,
      misdirected: 421,
      unprocessable: 422,
      locked: 423,
      confirmation_required: 428,
      rate_limited: 429,
      upstream_too_large: 502,
      unavailable: 503,
    });
  });

  it.each<[string, AppError, ReturnType<typeof document>]>([
    [
      'invalid input, with every failing field',
      new InputError('The request body is invalid: name.', [{ field: 'name', location: 'body', message: 'Too short.' }]),
      document(400, 'Bad Request', 'VALIDATION_ERROR', 'The request body is invalid: name.', {
        errors: [{ field: 'name', location: 'body', message: 'Too short.' }],
      }),
    ],
    [
      'a wrong token',
      new AuthenticationError('The token is invalid.', 'INVALID_TOKEN'),
      document(401, 'Unauthorized', 'INVALID_TOKEN', 'The token is invalid.'),
    ],
    ['a missing role', new ForbiddenError(), document(403, 'Forbidden', 'FORBIDDEN', 'You do not have permission to do this.')],
    ['something missing', new NotFoundError('Cluster c-1 does not exist.'), document(404, 'Not Found', 'NOT_FOUND', 'Cluster c-1 does not exist.')],
    ['a name taken', new ConflictError('The name is taken.', 'CLUSTER_EXISTS'), document(409, 'Conflict', 'CLUSTER_EXISTS', 'The name is taken.')],
    [
      'a body too large',
      new PayloadTooLargeError(1024),
      document(413, 'Content Too Large', 'PAYLOAD_TOO_LARGE', 'The request body is larger than 1024 bytes.'),
    ],
    [
      'the table down',
      new UnavailableError('The database cannot be reached.', 'DATABASE_UNAVAILABLE'),
      document(503, 'Service Unavailable', 'DATABASE_UNAVAILABLE', 'The database cannot be reached.'),
    ],
    [
      'an account locked',
      new AccountLockedError('2030-01-01T00:00:00.000Z'),
      document(
        423,
        'Locked',
        'ACCOUNT_LOCKED',
        'Too many wrong passwords or codes from a session of this account: changes to its credentials are locked until 2030-01-01T00:00:00.000Z. An admin can unlock it sooner.',
        { locked_until: '2030-01-01T00:00:00.000Z' },
      ),
    ],
    [
      'a cluster down',
      new ClusterUnavailableError('timeout', 'The cluster at 10.0.0.1:6443 did not answer within 5 s.'),
      document(503, 'Service Unavailable', 'CLUSTER_UNAVAILABLE', 'The cluster at 10.0.0.1:6443 did not answer within 5 s.', { reason: 'timeout' }),
    ],
    [
      // 502 has no title of its own in the table: kept as it was.
      'an answer too large',
      new ClusterResponseTooLargeError('The cluster sent too much.', 8 * 1024 * 1024),
      document(502, 'Error', 'CLUSTER_RESPONSE_TOO_LARGE', 'The cluster sent too much.', { limit_bytes: 8 * 1024 * 1024 }),
    ],
    [
      'a cluster unreachable at registration',
      new ClusterUnreachableError('dns', 'The name k.example could not be resolved.'),
      document(422, 'Unprocessable Content', 'CLUSTER_UNREACHABLE', 'The name k.example could not be resolved.', { reason: 'dns' }),
    ],
    [
      'a credential the cluster refuses',
      new ClusterCredentialRejectedError('The cluster did not accept the credential.'),
      document(422, 'Unprocessable Content', 'CLUSTER_CREDENTIAL_REJECTED', 'The cluster did not accept the credential.', { reason: 'unauthorized' }),
    ],
    [
      "the cluster's RBAC refusing the hub",
      new ClusterForbiddenError('The credential may not list nodes.'),
      document(422, 'Unprocessable Content', 'CLUSTER_FORBIDDEN', 'The credential may not list nodes.', { reason: 'forbidden' }),
    ],
  ])('renders %s as before', async (_, err, expected) => {
    const problem = await problemOf(err);
    expect(problem.status).toBe(expected.status);
    expect(problem.type).toBe('application/problem+json');
    expect(problem.body).toEqual(expected);
    expect(problem.retryAfter).toBeNull();
  });

  it.each<[string, AppError, string]>([
    ['the rate limiter', new RateLimitError(7), 'RATE_LIMIT_EXCEEDED'],
    ['a source that failed too often', new TooManyFailedLoginsError(7), 'TOO_MANY_FAILED_LOGINS'],
    ['a throttled account', new LoginThrottledError(7), 'LOGIN_THROTTLED'],
  ])('answers %s with 429 and Retry-After', async (_, err, code) => {
    const problem = await problemOf(err);
    expect(problem.status).toBe(429);
    expect(problem.retryAfter).toBe('7');
    expect(problem.body).toEqual(document(429, 'Too Many Requests', code, err.message, { retry_after_seconds: 7 }));
  });

  it('sends no Retry-After with a 503, even one that says when to retry (an open circuit)', async () => {
    const open = new UnavailableError('Cluster prod failed repeatedly; the hub stops calling it for 30 s.', 'CLUSTER_UNAVAILABLE', {
      reason: 'circuit_open',
      retry_after_seconds: 30,
    });
    const problem = await problemOf(open);
    expect(problem.retryAfter).toBeNull();
    expect(problem.body).toEqual(
      document(503, 'Service Unavailable', 'CLUSTER_UNAVAILABLE', open.message, { reason: 'circuit_open', retry_after_seconds: 30 }),
    );
  });

  it("renders the local run's refusals as before: another server's Host (421), another page's change (403)", async () => {
    const api = createRouter();
    api.post('/fails', (c) => c.body(null, 204));
    const app = createApi([{ name: 'local', api }], createLogger({}, { write: () => {} }), { guards: [localRequestGuard({ host: '127.0.0.1', port: 8080 })] });
    const misdirected = await app.request('/api/v1/fails', { method: 'POST', headers: { Host: 'attacker.example:8080' } });
    expect(misdirected.status).toBe(421);
    expect(await json(misdirected)).toMatchObject({ status: 421, title: 'Misdirected Request', code: 'MISDIRECTED_REQUEST' });
    const crossOrigin = await app.request('/api/v1/fails', { method: 'POST', headers: { Host: '127.0.0.1:8080', Origin: 'https://attacker.example' } });
    expect(crossOrigin.status).toBe(403);
    expect(await json(crossOrigin)).toEqual(
      document(
        403,
        'Forbidden',
        'CROSS_ORIGIN_REQUEST',
        "Changes are accepted from the hub's own origin (http://127.0.0.1:8080) only, not from another web page.",
      ),
    );
  });
});
