/**
 * A cluster's events, filtered and paged, newest first (issue 15 item 3), for the whole cluster or
 * one object.
 *
 * Where they come from: `events.k8s.io/v1` and core `v1` are two views of one stored Event
 * (the API server converts between them), so an event usually answers through both. The hub reads
 * both (each bounded), merges them by the event's uid, and keeps the events.k8s.io/v1 reading of an
 * event both answered (it carries `series`, `reportingController` and `action`), noting in
 * `api_versions` which APIs answered it. An API the caller may not list, or the cluster does not
 * serve, is left out (`sources` says so); both refused is the cluster's 403. The filters go to the
 * cluster as field selectors, so the read is of matching events only; the API server lists in key
 * order, not time, so the newest are picked from at most MAX_EVENTS_READ per API, and `truncated`
 * says when there were more.
 */
import { InputError } from '#shared/domain/errors.ts';
import { pageOf } from '#shared/domain/in-memory-page.ts';
import { asNumber, asString, field } from '#shared/domain/inventory/json-fields.ts';
import { ClusterApiError, type ClusterEvent, type KubernetesObject, type ResourceCollection } from '#shared/ports/cluster-gateway.ts';
import { onCluster, type Caller, type ClusterSession, type ResourceDeps } from './cluster-session.ts';
import { walkPagesWhile } from '../list-pages.ts';

/** Events read per API and request, at most: a busy namespace's worth, not a whole large cluster's. */
export const MAX_EVENTS_READ = 2_000;

export const EVENT_TYPES = ['Normal', 'Warning'] as const;

/** The two APIs that serve events, and how each names the fields the filters select on. */
const EVENT_APIS = [
  { apiVersion: 'events.k8s.io/v1', collection: { group: 'events.k8s.io', version: 'v1', plural: 'events' }, object: 'regarding' },
  { apiVersion: 'v1', collection: { group: '', version: 'v1', plural: 'events' }, object: 'involvedObject' },
] as const;

export interface EventFilter {
  namespace?: string;
  type?: (typeof EVENT_TYPES)[number];
  reason?: string;
  /** The object the events are about: a kind as the cluster serves it (Pod, pods, po), its namespace and name. */
  involvedObject?: { kind: string; namespace?: string; name: string };
}

export interface EventView extends ClusterEvent {
  uid: string;
  /** The Event object's own name. */
  name: string;
  object: ClusterEvent['object'] & { uid: string | null };
  reporting_component: string | null;
  action: string | null;
  /** The APIs that answered this event (both, usually: they serve one stored object). */
  api_versions: string[];
}

export interface EventPage {
  items: EventView[];
  metadata: {
    continue?: string;
    total: number;
    /** More matching events than the hub reads per request: narrow by namespace, object, type or reason. */
    truncated: boolean;
    /** What each API answered: read, forbidden (to the caller) or not served. */
    sources: Record<string, 'read' | 'forbidden' | 'not_served'>;
  };
}

const iso = (value: unknown): string | null => {
  const text = asString(value);
  if (!text) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
};
const text = (value: unknown, max = 4096) => asString(value)?.slice(0, max) ?? '';
const orNull = (value: unknown) => asString(value)?.slice(0, 256) || null;

/** One event in the hub's shape, from either API's reading of it. */
export function eventView(apiVersion: string, e: KubernetesObject): EventView {
  const modern = apiVersion !== 'v1';
  const about = field(e, modern ? 'regarding' : 'involvedObject');
  const created = iso(field(e, 'metadata', 'creationTimestamp'));
  const eventTime = iso(field(e, 'eventTime'));
  const first = iso(field(e, modern ? 'deprecatedFirstTimestamp' : 'firstTimestamp')) ?? eventTime ?? created;
  const last = iso(field(e, 'series', 'lastObservedTime')) ?? iso(field(e, modern ? 'deprecatedLastTimestamp' : 'lastTimestamp')) ?? eventTime ?? created;
  const count = asNumber(field(e, 'series', 'count'), 0) || asNumber(field(e, modern ? 'deprecatedCount' : 'count'), 0) || 1;
  const reporter = modern
    ? field(e, 'reportingController') || field(e, 'deprecatedSource', 'component')
    : field(e, 'reportingComponent') || field(e, 'source', 'component');
  return {
    uid: text(field(e, 'metadata', 'uid'), 64),
    name: text(field(e, 'metadata', 'name'), 253),
    type: text(field(e, 'type'), 32) || 'Normal',
    reason: text(field(e, 'reason'), 128),
    message: text(field(e, modern ? 'note' : 'message')),
    namespace: text(field(e, 'metadata', 'namespace'), 63),
    object: {
      kind: text(field(about, 'kind'), 128),
      name: text(field(about, 'name'), 253),
      namespace: orNull(field(about, 'namespace')),
      uid: orNull(field(about, 'uid')),
    },
    count,
    first_seen: first,
    last_seen: last,
    reporting_component: orNull(reporter),
    action: orNull(field(e, 'action')),
    api_versions: [apiVersion],
  };
}

/** The field selector each API takes for the filters (values are checked names: nothing to escape). */
function fieldSelector(object: 'regarding' | 'involvedObject', filter: EventFilter, kind: string | undefined): string | undefined {
  const terms: string[] = [];
  if (filter.type) terms.push(`type=${filter.type}`);
  if (filter.reason) terms.push(`reason=${filter.reason}`);
  if (filter.involvedObject) {
    if (kind) terms.push(`${object}.kind=${kind}`);
    terms.push(`${object}.name=${filter.involvedObject.name}`);
    if (filter.involvedObject.namespace) terms.push(`${object}.namespace=${filter.involvedObject.namespace}`);
  }
  return terms.length ? terms.join(',') : undefined;
}

/** Newest first, then by uid: a key that sorts ascending in that order, for stable pages. */
const orderKey = (e: EventView) => `${String(9_999_999_999_999 - (Date.parse(e.last_seen ?? '') || 0)).padStart(13, '0')}|${e.uid}`;

async function readEvents(session: ClusterSession, filter: EventFilter) {
  const kind = filter.involvedObject ? (await session.resolve(filter.involvedObject.kind)).kind : undefined;
  const byUid = new Map<string, EventView>();
  const sources: EventPage['metadata']['sources'] = {};
  let truncated = false;
  let refusal: unknown;
  for (const api of EVENT_APIS) {
    const collection: ResourceCollection = filter.namespace ? { ...api.collection, namespace: filter.namespace } : api.collection;
    let read = 0;
    try {
      const selector = fieldSelector(api.object, filter, kind);
      const walk = await walkPagesWhile(session.gateway, collection, selector ? { fieldSelector: selector } : {}, (items) => {
        for (const item of items) {
          if (read >= MAX_EVENTS_READ) {
            truncated = true;
            break;
          }
          read++;
          const view = eventView(api.apiVersion, item);
          const seen = byUid.get(view.uid);
          if (seen) seen.api_versions.push(api.apiVersion);
          else byUid.set(view.uid || `${api.apiVersion}/${view.namespace}/${view.name}`, view);
        }
        return read < MAX_EVENTS_READ;
      });
      if (walk.stopped) truncated = true;
      sources[api.apiVersion] = 'read';
    } catch (err) {
      if (!(err instanceof ClusterApiError) || (err.kind !== 'forbidden' && err.kind !== 'not_found')) throw err;
      sources[api.apiVersion] = err.kind === 'forbidden' ? 'forbidden' : 'not_served';
      refusal ??= err.kind === 'forbidden' ? err : undefined;
    }
  }
  // Neither API answered because the caller may not list events: that is the cluster's 403, not an empty list.
  if (!Object.values(sources).includes('read') && refusal) throw refusal;
  return { events: [...byUid.values()].sort((a, b) => (orderKey(a) < orderKey(b) ? -1 : 1)), sources, truncated };
}

/** GET /clusters/{id}/events: the cluster's events (or a namespace's), filtered, newest first, a page at a time. */
export async function listEvents(deps: ResourceDeps, caller: Caller, filter: EventFilter, limit: number, cursor?: string): Promise<EventPage> {
  if (filter.involvedObject?.namespace && filter.namespace && filter.involvedObject.namespace !== filter.namespace) {
    throw new InputError('involvedObject names another namespace than `namespace`.', [
      { field: 'involvedObject', location: 'query', message: 'namespace differs from the namespace parameter' },
    ]);
  }
  return onCluster(deps, caller, async (session) => {
    const { events, sources, truncated } = await readEvents(session, filter);
    const binding = JSON.stringify([caller.cluster.id, filter.namespace ?? null, filter.type ?? null, filter.reason ?? null, filter.involvedObject ?? null]);
    const page = pageOf(events, limit, cursor, orderKey, binding);
    return { items: page.items, metadata: { ...(page.continue ? { continue: page.continue } : {}), total: events.length, truncated, sources } };
  });
}

/** GET /resources/{kind}/{namespace}/{name}/events: the events about one object (`-` as namespace for a cluster-scoped one). */
export async function objectEvents(
  deps: ResourceDeps,
  caller: Caller,
  path: { kind: string; namespace: string; name: string },
  limit: number,
  cursor?: string,
): Promise<EventPage> {
  const namespaced = path.namespace !== '-' && path.namespace !== '_';
  return listEvents(
    deps,
    caller,
    {
      ...(namespaced ? { namespace: path.namespace } : {}),
      involvedObject: { kind: path.kind, name: path.name, ...(namespaced ? { namespace: path.namespace } : {}) },
    },
    limit,
    cursor,
  );
}

/** An `involvedObject` query value: `Kind/namespace/name`, or `Kind/name` for a cluster-scoped object. */
export function parseInvolvedObject(value: string): EventFilter['involvedObject'] {
  const parts = value.split('/');
  const [kind, a, b] = parts;
  if ((parts.length === 2 || parts.length === 3) && kind && a && (parts.length === 2 || b)) {
    return parts.length === 3 ? { kind, namespace: a, name: b! } : { kind, name: a };
  }
  throw new InputError('involvedObject is Kind/namespace/name, or Kind/name for a cluster-scoped object.', [
    { field: 'involvedObject', location: 'query', message: 'not Kind/namespace/name' },
  ]);
}
