/**
 * Live search of one cluster (issue 15 item 5): the common kinds and every CRD's instances, read
 * a page at a time as the caller (the cluster's RBAC decides per namespace when the cluster
 * impersonates), matched by name, label and image (shared/domain/search/matching.ts), ranked.
 *
 * Bounded: at most MAX_SEARCH_KINDS kinds and MAX_SEARCH_OBJECTS objects are read per search, and
 * only the best `limit` hits are kept. A Secret is matched by its name and labels only: its values
 * are never looked at, nor answered. A kind the caller may not list is skipped and named.
 */
import { imagesOf } from '#shared/domain/inventory/objects.ts';
import { asString, field } from '#shared/domain/inventory/json-fields.ts';
import { byRank, matchObject, type SearchMatch } from '#shared/domain/search/matching.ts';
import { ClusterApiError, type ApiResource, type KubernetesObject } from '#shared/ports/cluster-gateway.ts';
import { onCluster, type Caller, type ClusterSession, type ResourceDeps } from './cluster-session.ts';
import { resolveKind } from './kinds.ts';
import { walkPagesWhile } from '../list-pages.ts';

export const MAX_SEARCH_KINDS = 40;
export const MAX_SEARCH_OBJECTS = 5_000;
export const MAX_SEARCH_HITS = 200;

/** What a search reads when it is not told which kinds. */
export const DEFAULT_SEARCH_KINDS = [
  'pods',
  'deployments',
  'statefulsets',
  'daemonsets',
  'jobs',
  'cronjobs',
  'services',
  'ingresses',
  'configmaps',
  'secrets',
  'persistentvolumeclaims',
  'serviceaccounts',
  'namespaces',
  'nodes',
];
const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };

export interface SearchQuery {
  q: string;
  /** Kinds as the cluster serves them (plural, Kind, short name); the default kinds and every CRD without. */
  kinds?: string[];
  namespace?: string;
  limit: number;
}

export interface SearchHit {
  kind: string;
  api_version: string;
  namespace: string | null;
  name: string;
  score: number;
  match: Omit<SearchMatch, 'score'>;
}

export interface SkippedKind {
  kind: string;
  reason: 'forbidden' | 'kind_cap' | 'object_cap' | 'cluster_scoped';
}

export interface SearchAnswer {
  query: string;
  items: SearchHit[];
  metadata: { kinds_searched: number; objects_read: number; truncated: boolean; skipped: SkippedKind[] };
}

const qualified = (r: ApiResource) => (r.group ? `${r.plural}.${r.group}` : r.plural);

/** The kinds to read: those asked for (404 UNKNOWN_KIND for one not served), else the default ones served and every CRD's. */
async function kindsToRead(session: ClusterSession, asked: string[] | undefined): Promise<{ kinds: ApiResource[]; crdsForbidden: boolean }> {
  if (asked?.length) {
    const kinds: ApiResource[] = [];
    for (const name of asked) kinds.push(await session.resolve(name));
    return { kinds, crdsForbidden: false };
  }
  const served = await session.served();
  const kinds = DEFAULT_SEARCH_KINDS.map((k) => resolveKind(served, k)).filter((r): r is ApiResource => r !== undefined);
  let crdsForbidden = false;
  try {
    await walkPagesWhile(session.gateway, CRDS, {}, (items) => {
      for (const crd of items) {
        const group = asString(field(crd, 'spec', 'group'));
        const plural = asString(field(crd, 'spec', 'names', 'plural'));
        const found = group && plural ? served.find((r) => r.group === group && r.plural === plural && r.preferred) : undefined;
        if (found && found.verbs.includes('list')) kinds.push(found);
      }
      return kinds.length <= MAX_SEARCH_KINDS;
    });
  } catch (err) {
    if (!(err instanceof ClusterApiError && err.kind === 'forbidden')) throw err;
    crdsForbidden = true;
  }
  return { kinds, crdsForbidden };
}

/** GET /clusters/{id}/search: the objects whose name, labels or images match `q`, best first. */
export async function searchCluster(deps: ResourceDeps, caller: Caller, query: SearchQuery): Promise<SearchAnswer> {
  return onCluster(deps, caller, async (session) => {
    const { kinds, crdsForbidden } = await kindsToRead(session, query.kinds);
    const skipped: SkippedKind[] = crdsForbidden ? [{ kind: `${CRDS.plural}.${CRDS.group}`, reason: 'forbidden' }] : [];
    const hits: SearchHit[] = [];
    let read = 0;
    let searched = 0;
    let truncated = false;
    for (const [i, resource] of kinds.entries()) {
      if (i >= MAX_SEARCH_KINDS) {
        skipped.push({ kind: qualified(resource), reason: 'kind_cap' });
        truncated = true;
        continue;
      }
      if (read >= MAX_SEARCH_OBJECTS) {
        skipped.push({ kind: qualified(resource), reason: 'object_cap' });
        truncated = true;
        continue;
      }
      // A namespace narrows the search to it: cluster-scoped kinds (nodes, a cluster-scoped CRD) are not in one.
      if (query.namespace && !resource.namespaced) {
        skipped.push({ kind: qualified(resource), reason: 'cluster_scoped' });
        continue;
      }
      const apiVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version;
      try {
        const walk = await walkPagesWhile(session.gateway, session.collection(resource, query.namespace), {}, (items) => {
          for (const item of items) {
            if (read >= MAX_SEARCH_OBJECTS) return false;
            read++;
            const hit = hitOf(resource, apiVersion, item, query.q);
            if (hit) hits.push(hit);
          }
          // Keep only the best few while reading, so memory stays bounded by the hits asked for.
          if (hits.length > query.limit * 4) hits.sort(byRank).splice(query.limit);
          return read < MAX_SEARCH_OBJECTS;
        });
        searched++;
        if (walk.stopped) truncated = true;
      } catch (err) {
        if (!(err instanceof ClusterApiError && err.kind === 'forbidden')) throw err;
        skipped.push({ kind: qualified(resource), reason: 'forbidden' });
      }
    }
    return {
      query: query.q,
      items: hits.sort(byRank).slice(0, query.limit),
      metadata: { kinds_searched: searched, objects_read: read, truncated, skipped },
    };
  });
}

/** The hit of one object, looking only at its name, labels and images (never a Secret's or ConfigMap's data). */
function hitOf(resource: ApiResource, apiVersion: string, item: KubernetesObject, q: string): SearchHit | undefined {
  const labels = item.metadata?.labels && typeof item.metadata.labels === 'object' ? item.metadata.labels : {};
  const name = item.metadata?.name ?? '';
  const found = matchObject({ name, labels, images: imagesOf(resource.kind, item) }, q);
  if (!found) return undefined;
  return {
    kind: resource.kind,
    api_version: apiVersion,
    namespace: item.metadata?.namespace ?? null,
    name,
    score: found.score,
    match: { field: found.field, value: found.value },
  };
}
