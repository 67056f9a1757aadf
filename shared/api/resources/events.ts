/**
 * The events views (issue 15 item 3): a cluster's events filtered and paged, and one object's
 * events beside the object's own routes. Both APIs that serve events are read and merged
 * (shared/domain/resources/events.ts says how).
 */
import { z } from '@hono/zod-openapi';
import { EVENT_TYPES, listEvents, MAX_EVENTS_READ, objectEvents, parseInvolvedObject } from '#shared/domain/resources/events.ts';
import { clusterEvent } from '#shared/http/event-schema.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { pageQuery } from '#shared/http/pagination.ts';
import { clusterIdParam, objectParams, type ResourceRouteFile } from './route-kit.ts';

const namespaceName = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);

const eventQuery = pageQuery.extend({
  namespace: namespaceName.optional().openapi({ description: 'Only the events of this namespace; all namespaces without it.' }),
  type: z.enum(EVENT_TYPES).optional(),
  reason: z
    .string()
    .max(128)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'an event reason (BackOff, FailedScheduling, ...)')
    .optional()
    .openapi({ example: 'FailedScheduling' }),
  involvedObject: z
    .string()
    .max(600)
    .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$/, 'Kind/namespace/name or Kind/name')
    .optional()
    .openapi({
      description: 'The object the events are about: `Kind/namespace/name` (`Pod/shop/web-0`, `pods/shop/web-0`), or `Kind/name` for a cluster-scoped one.',
    }),
});

const eventView = clusterEvent
  .extend({
    uid: z.string(),
    name: z.string().openapi({ description: "The Event object's own name." }),
    object: clusterEvent.shape.object.extend({ uid: z.string().nullable() }),
    reporting_component: z.string().nullable(),
    action: z.string().nullable(),
    api_versions: z.array(z.string()).openapi({ description: 'Which APIs answered it: `events.k8s.io/v1`, `v1` (usually both: they serve one stored Event).' }),
  })
  .openapi('Event');

const eventPage = z
  .object({
    items: z.array(eventView),
    metadata: z.object({
      continue: z.string().optional(),
      total: z.number().int().openapi({ description: 'Matching events read.' }),
      truncated: z
        .boolean()
        .openapi({ description: `More than ${MAX_EVENTS_READ} matching events per API: the newest are picked from those read; narrow the filters.` }),
      sources: z.record(z.string(), z.enum(['read', 'forbidden', 'not_served'])).openapi({ description: 'What each events API answered.' }),
    }),
  })
  .openapi('EventList', { description: 'Newest first (by last seen).' });

const failures = errorResponses(403, 404, 422, 502, 503);
const HOW =
  "events.k8s.io/v1 and core v1 serve one stored Event each: both are read (up to a cap each), merged by the event's uid (the events.k8s.io/v1 reading kept), newest first. An API the caller may not list is left out and named in `metadata.sources`; both refused answers 403 CLUSTER_FORBIDDEN.";

export const eventRoutes: ResourceRouteFile = (kit) => {
  kit.declare(
    {
      method: 'get',
      path: '/clusters/{clusterId}/events',
      tags: ['resources'],
      summary: "The cluster's events, filtered, newest first",
      description: `${HOW} The filters go to the cluster as field selectors.`,
      cluster: 'viewer',
      request: { params: clusterIdParam, query: eventQuery },
      responses: { 200: jsonContent(eventPage, 'A page of events.'), ...failures },
    },
    async (c) => {
      const q = c.req.valid('query');
      const filter = {
        ...(q.namespace ? { namespace: q.namespace } : {}),
        ...(q.type ? { type: q.type } : {}),
        ...(q.reason ? { reason: q.reason } : {}),
        ...(q.involvedObject ? { involvedObject: parseInvolvedObject(q.involvedObject) } : {}),
      };
      return c.json(await listEvents(kit.deps.resources, kit.caller(c), filter, q.limit, q.continue), 200);
    },
  );

  kit.declare(
    {
      method: 'get',
      path: '/clusters/{clusterId}/resources/{kind}/{namespace}/{name}/events',
      tags: ['resources'],
      summary: 'The events about one object, newest first',
      description: `What \`kubectl describe\` lists under Events. Events outlive their object, so a deleted object's are still answered. ${HOW}`,
      cluster: 'viewer',
      request: { params: objectParams, query: pageQuery },
      responses: { 200: jsonContent(eventPage, 'A page of events.'), ...failures },
    },
    async (c) => {
      const { kind, namespace, name } = c.req.valid('param');
      const q = c.req.valid('query');
      return c.json(await objectEvents(kit.deps.resources, kit.caller(c), { kind, namespace, name }, q.limit, q.continue), 200);
    },
  );
};
