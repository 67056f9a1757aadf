/**
 * The clusters context's errors: what can go wrong between the hub and a registered cluster.
 * The Kubernetes gateway (shared/ports/cluster-gateway.ts) throws the first three and re-exports
 * them as part of its contract. Messages end up in responses, logs and audit entries: they never
 * hold a credential.
 */
import { AppError, UnavailableError } from '#shared/domain/errors.ts';
import type { ConnectionFailureReason } from '#shared/ports/cluster-gateway.ts';

/**
 * A live view could not be answered: the cluster is down, slow, or refuses the credential.
 * Becomes 503 CLUSTER_UNAVAILABLE with `reason`, except that live views answer a credential the
 * cluster refuses (`unauthorized`, `forbidden`) with 422; the message never holds a credential.
 */
export class ClusterUnavailableError extends UnavailableError {
  constructor(
    readonly reason: ConnectionFailureReason,
    message: string,
  ) {
    super(message, 'CLUSTER_UNAVAILABLE', { reason });
  }
}

/**
 * The cluster answered with more than the hub keeps in memory for one answer
 * (HUB_MAX_CLUSTER_RESPONSE_BYTES), even a page of a single object: 502 CLUSTER_RESPONSE_TOO_LARGE.
 * The cluster is up and answering, so this does not count towards its circuit breaker.
 */
export class ClusterResponseTooLargeError extends AppError {
  constructor(message: string, limitBytes: number) {
    super('upstream_too_large', 'CLUSTER_RESPONSE_TOO_LARGE', message, { limit_bytes: limitBytes });
  }
}

/** The hub could not connect to a cluster it was asked to register: 422 CLUSTER_UNREACHABLE with `reason`. */
export class ClusterUnreachableError extends AppError {
  constructor(
    readonly reason: ConnectionFailureReason,
    message: string,
  ) {
    super('unprocessable', 'CLUSTER_UNREACHABLE', message, { reason });
  }

  /** The registration-time form of a gateway failure. */
  static from(err: ClusterUnavailableError): ClusterUnreachableError {
    return new ClusterUnreachableError(err.reason, err.message);
  }
}

/**
 * The cluster refused the hub's own credential an operation (HTTP 403): the cluster is reachable,
 * so this is not CLUSTER_UNAVAILABLE, and not the caller's 403 either. 422 CLUSTER_FORBIDDEN.
 */
export class ClusterForbiddenError extends AppError {
  constructor(message: string) {
    super('unprocessable', 'CLUSTER_FORBIDDEN', message, { reason: 'forbidden' });
  }
}

/**
 * The cluster refused the caller the hub impersonates (HTTP 403): its own RBAC decided, as it
 * would for kubectl, so this is the caller's 403 (CLUSTER_FORBIDDEN), not the hub credential's 422.
 */
export class ClusterForbidsCallerError extends AppError {
  constructor(message: string) {
    super('forbidden', 'CLUSTER_FORBIDDEN', message, { reason: 'forbidden' });
  }
}

/**
 * The cluster did not accept the hub's stored credential (HTTP 401): it is reachable, but the
 * credential is wrong, expired or revoked and must be replaced. 422 CLUSTER_CREDENTIAL_REJECTED.
 */
export class ClusterCredentialRejectedError extends AppError {
  constructor(message: string) {
    super('unprocessable', 'CLUSTER_CREDENTIAL_REJECTED', message, { reason: 'unauthorized' });
  }
}
