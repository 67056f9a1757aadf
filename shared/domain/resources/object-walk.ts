/**
 * What the resources' actions and questions read off the objects they walk (page walking itself is
 * shared/domain/list-pages.ts): owners, selectors, conditions, and the parts a credential may not read.
 */
import { ClusterApiError, type ClusterGateway, type KubernetesObject } from '#shared/ports/cluster-gateway.ts';

/** A part of an answer the credential may not read (403) is unknown (null), so the parts it may read still answer. */
export async function unlessForbidden<T>(work: Promise<T>): Promise<T | null> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof ClusterApiError && err.kind === 'forbidden') return null;
    throw err;
  }
}

export interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

/** The object's managing controller (the owner reference marked controller), if any. */
export function controllerOf(object: KubernetesObject): OwnerReference | undefined {
  const refs = object.metadata?.ownerReferences;
  return Array.isArray(refs) ? (refs as OwnerReference[]).find((r) => r.controller === true) : undefined;
}

/** Whether the object is controlled by the object with this uid. */
export const controlledBy = (uid: string | undefined) => (object: KubernetesObject) => uid !== undefined && controllerOf(object)?.uid === uid;

/** A label selector (`matchLabels` and `matchExpressions`) written as the list API takes it. */
export function selectorText(selector: unknown): string {
  const { matchLabels = {}, matchExpressions = [] } = (selector ?? {}) as {
    matchLabels?: Record<string, string>;
    matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
  };
  const terms = Object.entries(matchLabels).map(([key, value]) => `${key}=${value}`);
  for (const { key, operator, values = [] } of matchExpressions) {
    if (operator === 'In') terms.push(`${key} in (${values.join(',')})`);
    else if (operator === 'NotIn') terms.push(`${key} notin (${values.join(',')})`);
    else if (operator === 'Exists') terms.push(key);
    else if (operator === 'DoesNotExist') terms.push(`!${key}`);
  }
  return terms.join(',');
}

export const timestamp = (value: unknown): string | null => {
  if (typeof value !== 'string') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
};

/** A condition of an object's status is True. */
export const hasCondition = (object: KubernetesObject, type: string) =>
  ((object.status as { conditions?: Array<{ type?: string; status?: string }> } | undefined)?.conditions ?? []).some(
    (c) => c.type === type && c.status === 'True',
  );

/**
 * The gateway, with the `Warning` texts of every answer it gets gathered (each once): an action
 * makes several calls, and what the cluster warned about in any of them reaches the caller.
 */
export function gatheringWarnings(gateway: ClusterGateway): { gateway: ClusterGateway; warnings: string[] } {
  const warnings: string[] = [];
  const note = <T>(answer: T): T => {
    const texts = (answer as { warnings?: unknown } | undefined)?.warnings;
    if (Array.isArray(texts)) for (const text of texts) if (typeof text === 'string' && !warnings.includes(text)) warnings.push(text);
    return answer;
  };
  const gathering = new Proxy(gateway, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = value.apply(target, args);
        return result instanceof Promise ? result.then(note) : result;
      };
    },
  });
  return { gateway: gathering, warnings };
}
