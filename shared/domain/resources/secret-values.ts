/**
 * Secret values never leave the hub unless revealed: the one place that hides them, for every
 * answer that carries a Secret (list, get, patch, apply, dry-run diff, actions and later views).
 * Each value of `data` (base64) and `stringData` becomes `{sha256, bytes}` of the value's bytes,
 * so a value compares equal across clusters (and between `data` and `stringData`) without being
 * read. The last-applied configuration kubectl keeps in an annotation holds the whole Secret as
 * it was applied: it is hidden the same way.
 */
import { createHash } from 'node:crypto';
import type { KubernetesObject } from '#shared/ports/cluster-gateway.ts';

/** What stands in for a Secret value. */
export interface HiddenValue {
  sha256: string;
  bytes: number;
}

/** The annotation `kubectl apply` (client-side) writes with the object as applied. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

const hidden = (bytes: Buffer): HiddenValue => ({ sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length });

function hideValues(values: unknown, decode: (value: string) => Buffer): unknown {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) return values;
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, typeof value === 'string' ? hidden(decode(value)) : value]));
}

/** Whether an object is a Secret: by its own kind, or (list items come without one) by the resource it was read as. */
export function isSecret(object: KubernetesObject, resource?: { group: string; plural: string }): boolean {
  if (object.kind !== undefined) return object.kind === 'Secret' && (object.apiVersion === undefined || object.apiVersion === 'v1');
  return resource !== undefined && resource.group === '' && resource.plural === 'secrets';
}

/**
 * A copy of `object` with its Secret values hidden; anything that is not a Secret comes back as it is.
 * `resource` names what it was read as, for list items that carry no kind.
 */
export function withSecretValuesHidden<T extends KubernetesObject>(object: T, resource?: { group: string; plural: string }): T {
  if (!object || typeof object !== 'object' || !isSecret(object, resource)) return object;
  const copy: KubernetesObject = { ...object };
  if ('data' in copy) copy.data = hideValues(copy.data, (v) => Buffer.from(v, 'base64'));
  if ('stringData' in copy) copy.stringData = hideValues(copy.stringData, (v) => Buffer.from(v, 'utf8'));
  const lastApplied = copy.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (lastApplied !== undefined) {
    copy.metadata = { ...copy.metadata, annotations: { ...copy.metadata!.annotations, [LAST_APPLIED_ANNOTATION]: hiddenLastApplied(lastApplied) } };
  }
  return copy as T;
}

/** The annotation's JSON with its values hidden; text that is not a Secret's JSON is hidden whole. */
function hiddenLastApplied(text: string): string {
  try {
    const applied = JSON.parse(text) as KubernetesObject;
    if (applied && typeof applied === 'object' && !Array.isArray(applied))
      return JSON.stringify(withSecretValuesHidden({ ...applied, kind: 'Secret', apiVersion: 'v1' }));
  } catch {
    // not JSON: nothing in it can be shown
  }
  return JSON.stringify(hidden(Buffer.from(text, 'utf8')));
}
