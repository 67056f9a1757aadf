/**
 * Reading a whole collection of a cluster a page at a time, for every context that must see each
 * object of a kind (the inventory, the health sweep, the resources' counts and questions, the
 * topology): only one page is held at once, and the cluster's own continue token says where the
 * next starts. What a caller keeps is what it makes of each page.
 */
import { ClusterApiError, type ClusterGateway, type KubernetesObject, type ListQuery, type ResourceCollection } from '#shared/ports/cluster-gateway.ts';

/** Objects asked for per page; the gateway asks again with fewer when a page is too large for it. */
export const PAGE_SIZE = 500;

export type PageQuery = Omit<ListQuery, 'limit' | 'continue'>;

/** Calls `visit` with each page of the collection, in order, until the last or until `visit` answers false; answers whether it stopped early with pages left. */
export async function walkPagesWhile(
  gateway: ClusterGateway,
  collection: ResourceCollection,
  query: PageQuery,
  visit: (items: KubernetesObject[]) => boolean,
  pageSize = PAGE_SIZE,
): Promise<{ stopped: boolean }> {
  let next: string | undefined;
  do {
    const page = await gateway.list(collection, { ...query, limit: pageSize, ...(next ? { continue: next } : {}) });
    next = page.continue;
    if (!visit(page.items)) return { stopped: next !== undefined };
  } while (next);
  return { stopped: false };
}

/** Calls `visit` with each page of the collection, in order, until the last. */
export async function walkPages(
  gateway: ClusterGateway,
  collection: ResourceCollection,
  query: PageQuery,
  visit: (items: KubernetesObject[]) => void,
  pageSize = PAGE_SIZE,
): Promise<void> {
  await walkPagesWhile(gateway, collection, query, (items) => (visit(items), true), pageSize);
}

/** Like walkPages, but a kind the credential may not list (403) or the cluster does not serve (404) answers false instead of failing the whole read. */
export async function walkPagesIfAllowed(
  gateway: ClusterGateway,
  collection: ResourceCollection,
  query: PageQuery,
  visit: (items: KubernetesObject[]) => void,
  pageSize = PAGE_SIZE,
): Promise<boolean> {
  try {
    await walkPages(gateway, collection, query, visit, pageSize);
    return true;
  } catch (err) {
    if (err instanceof ClusterApiError && (err.kind === 'forbidden' || err.kind === 'not_found')) return false;
    throw err;
  }
}

/** Every object of the collection that `keep` accepts (only those stay in memory). */
export async function collect(
  gateway: ClusterGateway,
  collection: ResourceCollection,
  query: PageQuery,
  keep: (object: KubernetesObject) => boolean = () => true,
): Promise<KubernetesObject[]> {
  const kept: KubernetesObject[] = [];
  await walkPages(gateway, collection, query, (items) => kept.push(...items.filter(keep)));
  return kept;
}
