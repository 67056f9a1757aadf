/** The events view: recent events, newest first, bounded. */
import type * as K8s from '@kubernetes/client-node';
import type { ClusterEvent, EventQuery } from '#shared/ports/cluster-gateway.ts';
import { clampLimit, iso, listUpTo, typedLister } from './list-pages.ts';

const DEFAULT_EVENT_LIMIT = 50;
const MAX_EVENT_LIMIT = 500;
/** Events are not sorted by the API server: the newest are picked from at most this many. */
const EVENTS_SCANNED = 2_000;

/**
 * On the typed client, whose refusals the gateway classifies as ClusterUnavailableError: a
 * credential that may not read events fails the view (forbidden), as the overview expects.
 */
export async function recentEvents(core: K8s.CoreV1Api, query: EventQuery = {}): Promise<ClusterEvent[]> {
  const limit = clampLimit(query.limit, DEFAULT_EVENT_LIMIT, MAX_EVENT_LIMIT);
  const namespace = query.namespace;
  const { items } = await listUpTo(
    typedLister((p) => (namespace ? core.listNamespacedEvent({ namespace, ...p }) : core.listEventForAllNamespaces(p))),
    EVENTS_SCANNED,
  );
  const seen = (e: K8s.CoreV1Event) => iso(e.lastTimestamp) ?? iso(e.eventTime) ?? iso(e.series?.lastObservedTime) ?? iso(e.metadata?.creationTimestamp);
  return items
    .map((e) => ({
      type: e.type ?? 'Normal',
      reason: e.reason ?? '',
      message: e.message ?? '',
      namespace: e.metadata?.namespace ?? '',
      object: { kind: e.involvedObject?.kind ?? '', name: e.involvedObject?.name ?? '', namespace: e.involvedObject?.namespace ?? null },
      count: e.count ?? e.series?.count ?? 1,
      first_seen: iso(e.firstTimestamp) ?? iso(e.eventTime) ?? iso(e.metadata?.creationTimestamp),
      last_seen: seen(e),
    }))
    .sort((a, b) => (b.last_seen ?? '').localeCompare(a.last_seen ?? ''))
    .slice(0, limit);
}
