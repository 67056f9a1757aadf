import { describe, expect, it } from 'vitest';
import { ClusterCredentialRejectedError, ClusterUnavailableError } from '#shared/domain/clusters/errors.ts';
import { ERROR_KINDS, InputError, NotFoundError, RateLimitError } from '#shared/domain/errors.ts';
import { retryPolicyOf, retryPolicyOfError } from '#shared/workers/retry-policy.ts';

describe('the worker edge: error kinds to retry, drop or dead letter', () => {
  it('gives every kind a policy', () => {
    for (const kind of ERROR_KINDS) expect(['retry', 'drop', 'dead_letter']).toContain(retryPolicyOf(kind));
  });

  it('retries what may pass by itself, drops what has nothing left to do, dead-letters what a person must fix', () => {
    expect(retryPolicyOfError(new ClusterUnavailableError('timeout', 'The cluster did not answer.'))).toBe('retry');
    expect(retryPolicyOfError(new RateLimitError(5))).toBe('retry');
    expect(retryPolicyOfError(new NotFoundError('Cluster c-1 does not exist.'))).toBe('drop');
    expect(retryPolicyOfError(new InputError('The message is malformed.'))).toBe('dead_letter');
    expect(retryPolicyOfError(new ClusterCredentialRejectedError('The cluster did not accept the credential.'))).toBe('dead_letter');
  });

  it('retries an error that carries no kind (an SDK error, a bug): the redrive policy bounds it', () => {
    expect(retryPolicyOfError(new Error('socket hang up'))).toBe('retry');
    expect(retryPolicyOfError('thrown string')).toBe('retry');
  });
});
