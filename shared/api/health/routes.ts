import { clusterHealth, fleetExpiring, fleetHealth, healthHistory } from '#shared/domain/health/fleet.ts';
import { idempotencyKeyHeader, operationAccepted, startOperation } from '#shared/http/start-operation.ts';
import { clusterIdParam } from '#shared/http/path-params.ts';
import { createRouter, type EndpointGroup } from '#shared/http/app.ts';
import { guardedRoutes } from '#shared/http/route.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { pageQuery } from '#shared/http/pagination.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import * as s from './schemas.ts';

const FROM_SWEEPS =
  'Read from the results of the scheduled health sweeps (every 3 minutes by default), never from the cluster: `freshness` says how old they are.';

/** Health sweep results: per cluster, across the fleet, and a sweep on demand. */
export function healthGroup(deps: Dependencies): EndpointGroup {
  const api = createRouter();
  const route = guardedRoutes(api, deps);

  route(
    {
      method: 'get',
      path: '/clusters/{clusterId}/health',
      tags: ['health'],
      summary: "The cluster's latest health: status with reasons, nodes, failing pods, unavailable workloads, expiring certificates",
      description: `${FROM_SWEEPS} 404 before its first sweep.`,
      cluster: 'viewer',
      request: { params: clusterIdParam },
      responses: { 200: jsonContent(s.latestHealth, 'The latest sweep result.'), ...errorResponses(404) },
    },
    async (c) => c.json(await clusterHealth(deps.health, c.var.cluster), 200),
  );

  route(
    {
      method: 'get',
      path: '/clusters/{clusterId}/health/history',
      tags: ['health'],
      summary: "The cluster's sweep results between two times, newest first (kept 30 days)",
      cluster: 'viewer',
      request: { params: clusterIdParam, query: pageQuery.extend(s.historyQuery.shape) },
      responses: { 200: jsonContent(s.history, 'Results.'), ...errorResponses(404) },
    },
    async (c) => {
      const q = c.req.valid('query');
      const page = await healthHistory(deps.health, c.var.cluster, { since: q.since, until: q.until }, q.limit, q.continue);
      return c.json({ items: page.items, range: page.range, metadata: page.continue ? { continue: page.continue } : {} }, 200);
    },
  );

  route(
    {
      method: 'post',
      path: '/clusters/{clusterId}/sweep',
      tags: ['health'],
      summary: 'Sweep the cluster now: 202 and an operation to poll',
      description: 'The same `Idempotency-Key` header within 24 hours answers the same operation. The result lands in `/clusters/{clusterId}/health`.',
      cluster: 'operator',
      action: 'cluster.health.sweep',
      request: { params: clusterIdParam, headers: idempotencyKeyHeader },
      responses: { ...operationAccepted, ...errorResponses(404, 409, 503) },
    },
    async (c) => {
      const cluster = c.var.cluster;
      // startOperation answers the documented 202 itself, as a plain Response the typed handler cannot see into.
      return startOperation(c, deps, { job: 'health-sweep', clusterIds: [cluster.id] }) as never;
    },
  );

  route(
    {
      method: 'get',
      path: '/fleet/health',
      tags: ['health'],
      summary: 'Every cluster you may see with its latest health, and counts by status',
      description: `${FROM_SWEEPS} A cluster not swept yet is \`unknown\`. Sorted by cluster name.`,
      access: 'viewer',
      request: { query: pageQuery },
      responses: { 200: jsonContent(s.fleetHealth, 'The fleet.') },
    },
    async (c) => {
      const q = c.req.valid('query');
      const page = await fleetHealth(deps.health, c.get('principal')!, q.limit, q.continue);
      return c.json({ items: page.items, counts: page.counts, freshness: page.freshness, metadata: page.continue ? { continue: page.continue } : {} }, 200);
    },
  );

  route(
    {
      method: 'get',
      path: '/fleet/expiring',
      tags: ['health'],
      summary: "Certificates and credentials expiring soon across the clusters you may see: the hub's own credentials, cluster CAs, kubernetes.io/tls Secrets",
      description: `${FROM_SWEEPS} Soonest first; expired ones included. Only certificate facts (subject, end of validity), never a Secret's value.`,
      access: 'viewer',
      request: { query: pageQuery.extend(s.expiringQuery.shape) },
      responses: { 200: jsonContent(s.fleetExpiring, 'Expiring items.') },
    },
    async (c) => {
      const q = c.req.valid('query');
      const page = await fleetExpiring(deps.health, c.get('principal')!, q.within_days, q.limit, q.continue);
      return c.json(
        { items: page.items, truncated: page.truncated, freshness: page.freshness, metadata: page.continue ? { continue: page.continue } : {} },
        200,
      );
    },
  );

  return { name: 'health', api };
}
