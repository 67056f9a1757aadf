/**
 * The worker edge's counterpart of the HTTP edge's kind-to-status table (shared/http/problem.ts):
 * what a worker does with a message whose handling failed, by the kind of the failure.
 * - retry: it may succeed later as it is (a dependency down, a limit, a concurrent change, a lock
 *   that expires): report it as a batch item failure; the queue's redrive policy bounds the retries.
 * - drop: there is nothing left to do (what it was about is gone): log it and count it as done.
 * - dead_letter: it will fail again until a person acts (a malformed message, a refused or
 *   unsuitable credential, an oversized answer): move it to the dead-letter queue, do not retry.
 */
import { AppError, type ErrorKind } from '#shared/domain/errors.ts';

export type RetryPolicy = 'retry' | 'drop' | 'dead_letter';

const policyOfKind: Readonly<Record<ErrorKind, RetryPolicy>> = {
  invalid: 'dead_letter',
  unauthenticated: 'dead_letter',
  forbidden: 'dead_letter',
  not_found: 'drop',
  conflict: 'retry',
  confirmation_required: 'dead_letter',
  payload_too_large: 'dead_letter',
  misdirected: 'dead_letter',
  unprocessable: 'dead_letter',
  locked: 'retry',
  rate_limited: 'retry',
  upstream_too_large: 'dead_letter',
  unavailable: 'retry',
};

/** What a worker does with a message that failed with an error of `kind`. */
export function retryPolicyOf(kind: ErrorKind): RetryPolicy {
  return policyOfKind[kind];
}

/** The policy for anything a handler throws: errors that are not AppErrors (an SDK's, a bug) are retried. */
export function retryPolicyOfError(err: unknown): RetryPolicy {
  return err instanceof AppError ? retryPolicyOf(err.kind) : 'retry';
}
