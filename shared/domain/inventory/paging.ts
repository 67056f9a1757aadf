/**
 * Reading a whole kind a page at a time: the sweep and the inventory never ask a cluster for a
 * large kind in one request, and never hold more than one page of its objects; what they keep is
 * what they make of each page.
 */
import { ClusterApiError, type ClusterGateway, type KubernetesObject, type ListQuery, type ResourceCollection } from '#shared/ports/cluster-gateway.ts';

/** Objects asked for per page (the gateway halves it for a page too large to read). */
export const PAGE_LIMIT = 500;

/** Visits every object of a collection, page by page, following the cluster's continue tokens. */
export async function eachPage(
  gateway: ClusterGateway,
  collection: ResourceCollection,
  visit: (items: KubernetesObject[]) => void,
  query: Omit<ListQuery, 'limit' | 'continue'> = {},
  pageLimit = PAGE_LIMIT,
): Promise<void> {
  let next: string | undefined;
  do {
    const page = await gateway.list(collection, { ...query, limit: pageLimit, ...(next ? { continue: next } : {}) });
    visit(page.items);
    next = page.continue;
  } while (next);
}

/** Like eachPage, but a kind the credential may not list (403) answers false instead of failing the whole read. */
export async function eachPageIfAllowed(
  gateway: ClusterGateway,
  collection: ResourceCollection,
  visit: (items: KubernetesObject[]) => void,
  query: Omit<ListQuery, 'limit' | 'continue'> = {},
  pageLimit = PAGE_LIMIT,
): Promise<boolean> {
  try {
    await eachPage(gateway, collection, visit, query, pageLimit);
    return true;
  } catch (err) {
    if (err instanceof ClusterApiError && (err.kind === 'forbidden' || err.kind === 'not_found')) return false;
    throw err;
  }
}

/** A field of plain JSON from a cluster, read defensively: a hostile cluster may send any shape. */
export function field(value: unknown, ...path: string[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at) || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
export const asNumber = (value: unknown, fallback = 0): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
export const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
