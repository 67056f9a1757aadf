/**
 * Walking a collection page by page, for the views that count or list whole kinds: only a page
 * at a time is in memory, and a page too large for the transport is asked for again, smaller.
 */
import { ClusterApiError, type ListQuery, type ObjectList, type ResourceCollection } from '#shared/ports/cluster-gateway.ts';
import { causeOf } from './connection-failure.ts';
import { ResponseTooLargeError } from './guarded-transport.ts';

export const PAGE_SIZE = 500;

export interface ListPage<T> {
  items: T[];
  continue?: string;
  remainingItemCount?: number;
}
export type Lister<T> = (page: { limit: number; continue?: string }) => Promise<ListPage<T>>;

/**
 * Pages through a collection, asking for `first` objects and then as many as `more` says after
 * each page (0: stop). A page the transport refuses as too large is asked for again with half the
 * limit (the same continue token), down to one object, and later pages keep the smaller limit: a
 * list of big objects still arrives within HUB_MAX_CLUSTER_RESPONSE_BYTES, a page at a time.
 * Returns the continue token of where it stopped (undefined at the end of the collection).
 */
export async function pages<T>(list: Lister<T>, first: number, more: (page: ListPage<T>) => number): Promise<string | undefined> {
  let wanted = first;
  let fits = Number.POSITIVE_INFINITY;
  let next: string | undefined;
  for (;;) {
    const limit = Math.min(wanted, fits);
    let page: ListPage<T>;
    try {
      page = await list({ limit, ...(next ? { continue: next } : {}) });
    } catch (err) {
      if (limit > 1 && causeOf(err, ResponseTooLargeError)) {
        fits = Math.ceil(limit / 2);
        continue;
      }
      throw err;
    }
    next = page.continue || undefined;
    wanted = more(page);
    if (wanted <= 0 || !next) return next;
  }
}

/** Counts a collection with one small request when the server reports remainingItemCount, paging otherwise. */
export async function countAll<T>(list: Lister<T>): Promise<number> {
  let count = 0;
  await pages(list, 1, (page) => {
    count += page.items.length;
    if (page.remainingItemCount === undefined) return PAGE_SIZE;
    count += page.remainingItemCount;
    return 0;
  });
  return count;
}

/** Lists at most `max` objects, page by page. */
export async function listUpTo<T>(list: Lister<T>, max: number): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  const next = await pages(list, Math.min(PAGE_SIZE, max), (page) => {
    items.push(...page.items);
    return Math.min(PAGE_SIZE, max - items.length);
  });
  return { items: items.slice(0, max), truncated: next !== undefined };
}

/** The gateway's generic list call. */
export type ListCall = (collection: ResourceCollection, query: ListQuery) => Promise<ObjectList>;

/** One kind's pages through the generic list call. */
export const listerOf =
  (list: ListCall, collection: ResourceCollection): Lister<ObjectList['items'][number]> =>
  (page) =>
    list(collection, { limit: page.limit, ...(page.continue ? { continue: page.continue } : {}) });

/**
 * A part of a view the credential may not read (HTTP 403) is reported as unknown, so the parts it
 * may read still answer. Only 403: a refused credential (401) or an unreachable cluster fails the call.
 */
export function forbiddenAsNull(err: unknown): null {
  if (err instanceof ClusterApiError && err.kind === 'forbidden') return null;
  if ((err as { code?: unknown } | null)?.code === 403) return null; // an ApiException of the typed client
  throw err;
}

/** A list call of @kubernetes/client-node's typed APIs as a Lister. */
export function typedLister<T>(
  list: (page: { limit: number; _continue?: string }) => Promise<{ items: T[]; metadata?: { _continue?: string; remainingItemCount?: number } }>,
): Lister<T> {
  return async (page) => {
    const result = await list({ limit: page.limit, ...(page.continue ? { _continue: page.continue } : {}) });
    return {
      items: result.items,
      ...(result.metadata?._continue ? { continue: result.metadata._continue } : {}),
      ...(result.metadata?.remainingItemCount !== undefined ? { remainingItemCount: result.metadata.remainingItemCount } : {}),
    };
  };
}

export const iso = (value: Date | string | undefined | null): string | null => {
  if (!value) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
};

export const clampLimit = (value: number | undefined, fallback: number, max: number) =>
  value === undefined || !Number.isFinite(value) ? fallback : Math.min(Math.max(1, Math.floor(value)), max);
