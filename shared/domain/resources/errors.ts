/**
 * The resources context's errors, and the one translation of a cluster's refusal
 * (ClusterApiError) into the hub's own: answers from a cluster are mapped, never passed on raw.
 */
import { AppError, ConflictError, InputError } from '#shared/domain/errors.ts';
import { ClusterApiError } from '#shared/ports/cluster-gateway.ts';

/** No served resource answers to the name: 404 UNKNOWN_KIND with the closest ones. */
export class UnknownKindError extends AppError {
  constructor(kind: string, closest: string[]) {
    const hint = closest.length ? ` The closest it serves: ${closest.join(', ')}.` : '';
    super('not_found', 'UNKNOWN_KIND', `The cluster serves no resource named "${kind}".${hint}`, { kind, closest });
  }
}

/** A destructive change sent without `X-Confirm-Destructive: true`: 428 CONFIRMATION_REQUIRED. */
export class ConfirmationRequiredError extends AppError {
  constructor(what: string) {
    super('confirmation_required', 'CONFIRMATION_REQUIRED', `${what} is destructive: send the header X-Confirm-Destructive: true to confirm it.`);
  }
}

const describeResource = (r: ClusterApiError['details']['resource']) => {
  const kind = r.group ? `${r.plural}.${r.group}` : r.plural;
  return r.name ? `${kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}` : `${kind}${r.namespace ? ` in ${r.namespace}` : ''}`;
};

/**
 * What a cluster's refusal means to the caller: 404 RESOURCE_NOT_FOUND, 409 CONFLICT with the
 * cluster's reason, 422 VALIDATION_ERROR with its causes, 403 CLUSTER_FORBIDDEN naming the verb and
 * resource (the cluster's RBAC said no, to the hub's credential or the impersonated user), 400 for
 * the rest (an expired continue token among them). Anything else passes unchanged.
 */
export function clusterRefusal(err: unknown): unknown {
  if (!(err instanceof ClusterApiError)) return err;
  const { reason, verb, resource, causes, warnings } = err.details;
  const what = describeResource(resource);
  const extra = { cluster_reason: reason, ...(warnings.length ? { warnings } : {}) };
  switch (err.kind) {
    case 'not_found':
      return new AppError('not_found', 'RESOURCE_NOT_FOUND', `The cluster has no ${what}.`, extra);
    case 'conflict': {
      const conflict = new ConflictError(`The cluster refused to ${verb} ${what}: ${err.message}`);
      Object.assign(conflict.details, extra);
      return conflict;
    }
    case 'unprocessable':
      return new AppError('unprocessable', 'VALIDATION_ERROR', `The cluster refused ${what} as invalid: ${err.message}`, { ...extra, causes });
    case 'forbidden':
      return new AppError('forbidden', 'CLUSTER_FORBIDDEN', `The cluster does not allow ${verb} on ${what}: ${err.message}`, {
        ...extra,
        verb,
        resource: { group: resource.group, plural: resource.plural, ...(resource.namespace ? { namespace: resource.namespace } : {}) },
      });
    case 'gone':
      return new InputError('The continue token has expired on the cluster; start the list again without it.', [
        { field: 'continue', location: 'query', message: 'expired continue token' },
      ]);
    default: {
      const invalid = new InputError(`The cluster refused the request for ${what}: ${err.message}`, []);
      Object.assign(invalid.details, extra, causes.length ? { causes } : {});
      return invalid;
    }
  }
}
