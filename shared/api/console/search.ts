/**
 * Search (issue 15 item 5): live on one cluster, and across the fleet from the inventory
 * snapshots without contacting a cluster.
 */
import { z } from '@hono/zod-openapi';
import { MAX_FLEET_SEARCH_CLUSTERS, searchFleet } from '#shared/domain/inventory/search.ts';
import { MAX_SEARCH_HITS, MAX_SEARCH_KINDS, MAX_SEARCH_OBJECTS, searchCluster } from '#shared/domain/resources/search.ts';
import { MAX_QUERY, MIN_QUERY } from '#shared/domain/search/matching.ts';
import type { Principal } from '#shared/domain/identity/access.ts';
import { InputError } from '#shared/domain/errors.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { clusterIdParam } from '#shared/http/path-params.ts';
import type { ConsoleRouteFile } from './routes.ts';

// Up to MAX_SEARCH_KINDS kind names, comma-separated (spaces around a comma allowed): one pattern for the check and the
// OpenAPI document, so what the document calls valid is what the route takes.
const KIND_NAME = '[A-Za-z0-9][A-Za-z0-9.-]{0,252}';
const KINDS_PATTERN = new RegExp(`^(?: *${KIND_NAME} *(?:, *${KIND_NAME} *){0,${MAX_SEARCH_KINDS - 1}})?$`);
const kindsParam = z
  .string()
  .max(2048)
  .regex(KINDS_PATTERN, `up to ${MAX_SEARCH_KINDS} kinds, comma-separated`)
  .optional()
  .transform((v) => (v ? [...new Set(v.split(',').map((k) => k.trim()))] : undefined))
  .openapi({
    type: 'string',
    pattern: KINDS_PATTERN.source,
    description: `Up to ${MAX_SEARCH_KINDS} comma-separated kinds (\`deployments,pods\`, \`Deployment\`); the common kinds and every CRD without.`,
  });

const QUERY_TEXT = 'Matched against names (exact, prefix, substring), labels (`app=web` exactly, or a value or key) and images (`nginx`).';

const searchQuery = z.object({
  q: z.string().trim().min(MIN_QUERY).max(MAX_QUERY).openapi({
    description: 'Matched against names (exact, prefix, substring), labels (`app=web` exactly, or a value or key) and images (`nginx`).',
    example: 'web',
  }),
  kinds: kindsParam,
  limit: z.coerce.number().int().min(1).max(MAX_SEARCH_HITS).default(50),
});

const match = z.object({ field: z.enum(['name', 'label', 'image']), value: z.string() }).openapi('SearchMatch');
const hitFields = {
  kind: z.string(),
  api_version: z.string(),
  namespace: z.string().nullable(),
  name: z.string(),
  score: z.number().int().openapi({ description: 'Higher is better: name over label over image, exact over prefix over substring.' }),
  match,
};

const clusterSearch = z
  .object({
    query: z.string(),
    items: z.array(z.object(hitFields).openapi('SearchHit')),
    metadata: z.object({
      kinds_searched: z.number().int(),
      objects_read: z.number().int(),
      truncated: z.boolean().openapi({ description: `More than ${MAX_SEARCH_KINDS} kinds or ${MAX_SEARCH_OBJECTS} objects: the rest was not read.` }),
      skipped: z.array(z.object({ kind: z.string(), reason: z.enum(['forbidden', 'kind_cap', 'object_cap', 'cluster_scoped']) })),
    }),
  })
  .openapi('ClusterSearch', { description: 'Best first.' });

const fleetSearch = z
  .object({
    query: z.string(),
    items: z.array(z.object({ cluster_id: z.string(), cluster_name: z.string(), ...hitFields }).openapi('FleetSearchHit')),
    clusters: z.array(
      z
        .object({
          cluster_id: z.string(),
          cluster_name: z.string(),
          status: z.enum(['searched', 'no_snapshot', 'over_cap']),
          checked_at: z.string().nullable().openapi({ description: 'When the inventory last looked at the cluster.' }),
          age_seconds: z.number().int().nullable(),
          hits: z.number().int(),
        })
        .openapi('ClusterSearched'),
    ),
  })
  .openapi('FleetSearch', { description: 'Best first, with what each cluster visible to the caller contributed and how fresh its snapshot is.' });

export const searchRoutes: ConsoleRouteFile = ({ declare, deps }) => {
  declare(
    {
      method: 'get',
      path: '/clusters/{clusterId}/search',
      tags: ['console'],
      summary: "Search the cluster's objects live by name, label and image",
      description: `Reads the common kinds and every CRD's instances (or \`kinds\`) from the cluster, a page at a time, at most ${MAX_SEARCH_KINDS} kinds and ${MAX_SEARCH_OBJECTS} objects per search. A Secret is matched by name and labels only, never its values. A kind the caller may not list (the cluster's RBAC, per namespace with \`namespace\` when the cluster impersonates) is skipped and named.`,
      cluster: 'viewer',
      request: {
        params: clusterIdParam,
        // `q` is checked in the handler: a required query parameter would be validated before the path's cluster id, and a
        // malformed id must be the error a caller hears first, as on every other route.
        query: searchQuery.extend({
          q: searchQuery.shape.q.optional().openapi({ description: `${QUERY_TEXT} Required.`, example: 'web' }),
          namespace: z
            .string()
            .max(63)
            .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
            .optional()
            .openapi({ description: 'Only this namespace (cluster-scoped kinds are then skipped).' }),
        }),
      },
      responses: { 200: jsonContent(clusterSearch, 'Matches, best first.'), ...errorResponses(403, 404, 422, 502, 503) },
    },
    async (c) => {
      const q = c.req.valid('query');
      if (!q.q) throw new InputError('The request query is invalid: q.', [{ field: 'q', location: 'query', message: 'Required: the text to search for' }]);
      const caller = { principal: c.get('principal')!, cluster: c.var.cluster };
      return c.json(await searchCluster(deps.resources, caller, { q: q.q, kinds: q.kinds, namespace: q.namespace, limit: q.limit }), 200);
    },
  );

  declare(
    {
      method: 'get',
      path: '/search',
      tags: ['console'],
      summary: 'Search every cluster you may see, from the inventory snapshots',
      description: `Never contacts a cluster: each cluster's latest inventory snapshot is searched (a few at a time, at most ${MAX_FLEET_SEARCH_CLUSTERS} clusters), and \`clusters\` says how fresh each one is. Secrets are not in the inventory. \`kinds\` are Kind names (\`Deployment\`).`,
      access: 'viewer',
      request: { query: searchQuery },
      responses: { 200: jsonContent(fleetSearch, 'Matches, best first.') },
    },
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await searchFleet(deps.inventory, c.get('principal') as Principal, { q: q.q, kinds: q.kinds, limit: q.limit }), 200);
    },
  );
};
