/**
 * The cluster's own continue token, wrapped with the list it belongs to: the cluster, the
 * resource, the namespace and the selectors, as a digest. Sent back with any other list (another
 * cluster, kind or filter), it answers 400 instead of reaching a cluster it was never from; the
 * page size may change between pages, as it may with kubectl.
 */
import { createHash } from 'node:crypto';
import { InputError } from '#shared/domain/errors.ts';

/** What a page of a resource list is bound to. */
export interface ListBinding {
  clusterId: string;
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

const digest = (b: ListBinding) =>
  createHash('sha256')
    .update(JSON.stringify([b.clusterId, b.group, b.version, b.plural, b.namespace ?? null, b.labelSelector ?? null, b.fieldSelector ?? null]))
    .digest('base64url')
    .slice(0, 22);

const invalid = () =>
  new InputError('The continue token is invalid or belongs to another list, cluster or filters; start again without it.', [
    { field: 'continue', location: 'query', message: 'invalid continue token' },
  ]);

export function wrapContinue(binding: ListBinding, clusterToken: string): string {
  return Buffer.from(JSON.stringify({ q: digest(binding), c: clusterToken }), 'utf8').toString('base64url');
}

/** The cluster's token inside `token`, if `token` was made for this very list; 400 otherwise. */
export function unwrapContinue(binding: ListBinding, token: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const { q, c } = (parsed ?? {}) as { q?: unknown; c?: unknown };
  if (typeof q !== 'string' || typeof c !== 'string' || q !== digest(binding) || c.length === 0 || !/^[\x21-\x7e]+$/.test(c)) throw invalid();
  return c;
}
