import { clusterChanges, clusterInventory, fleetImages } from '#shared/domain/inventory/views.ts';
import { idempotencyKeyHeader, operationAccepted, startOperation } from '#shared/http/start-operation.ts';
import { clusterIdParam } from '#shared/http/path-params.ts';
import { createRouter, type EndpointGroup } from '#shared/http/app.ts';
import { guardedRoutes } from '#shared/http/route.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { pageQuery } from '#shared/http/pagination.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import * as s from './schemas.ts';

const FROM_SNAPSHOTS = 'Read from the inventory snapshots (taken every 15 minutes by default), never from the cluster: `freshness` says when it last looked.';
const metadataOf = (page: { continue?: string }) => (page.continue ? { continue: page.continue } : {});

/** The fleet's inventory: snapshots of each cluster's objects, what changed, and which images run where. */
export function inventoryGroup(deps: Dependencies): EndpointGroup {
  const api = createRouter();
  const route = guardedRoutes(api, deps);

  route(
    {
      method: 'get',
      path: '/clusters/{clusterId}/inventory',
      tags: ['inventory'],
      summary: "The cluster's objects (common kinds and CRDs' instances) as a snapshot found them",
      description: `${FROM_SNAPSHOTS} 404 before the first snapshot, or when none is as old as \`at\` (snapshots are kept 30 days).`,
      cluster: 'viewer',
      request: { params: clusterIdParam, query: pageQuery.extend(s.inventoryQuery.shape) },
      responses: { 200: jsonContent(s.inventory, 'The snapshot.'), ...errorResponses(404) },
    },
    async (c) => {
      const q = c.req.valid('query');
      const answer = await clusterInventory(deps.inventory, c.var.cluster, q.at, { kind: q.kind, namespace: q.namespace }, q.limit, q.continue);
      return c.json(
        { cluster_id: answer.cluster_id, snapshot: answer.snapshot, freshness: answer.freshness, items: answer.items, metadata: metadataOf(answer) },
        200,
      );
    },
  );

  route(
    {
      method: 'get',
      path: '/clusters/{clusterId}/changes',
      tags: ['inventory'],
      summary: 'What was added, modified (images, labels, owner, status) or removed on the cluster, newest first',
      description: `${FROM_SNAPSHOTS} Changes are found by comparing each snapshot with the one before; kept 30 days.`,
      cluster: 'viewer',
      request: { params: clusterIdParam, query: pageQuery.extend(s.changesQuery.shape) },
      responses: { 200: jsonContent(s.changes, 'Changes.'), ...errorResponses(404) },
    },
    async (c) => {
      const q = c.req.valid('query');
      const page = await clusterChanges(deps.inventory, c.var.cluster, q, q.limit, q.continue);
      return c.json({ items: page.items, range: page.range, freshness: page.freshness, metadata: metadataOf(page) }, 200);
    },
  );

  route(
    {
      method: 'post',
      path: '/clusters/{clusterId}/inventory/refresh',
      tags: ['inventory'],
      summary: 'Take a snapshot of the cluster now: 202 and an operation to poll',
      description: 'The same `Idempotency-Key` header within 24 hours answers the same operation.',
      cluster: 'operator',
      action: 'cluster.inventory.refresh',
      request: { params: clusterIdParam, headers: idempotencyKeyHeader },
      responses: { ...operationAccepted, ...errorResponses(404, 409, 503) },
    },
    async (c) => {
      const cluster = c.var.cluster;
      // startOperation answers the documented 202 itself, as a plain Response the typed handler cannot see into.
      return startOperation(c, deps, { job: 'inventory', clusterIds: [cluster.id] }) as never;
    },
  );

  route(
    {
      method: 'get',
      path: '/fleet/images',
      tags: ['inventory'],
      summary: 'Which images run where across the clusters you may see, by image then cluster',
      description: `${FROM_SNAPSHOTS} Counts the pods running each image and names the workloads (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs) that declare it.`,
      access: 'viewer',
      request: { query: pageQuery.extend(s.imagesQuery.shape) },
      responses: { 200: jsonContent(s.images, 'Images.') },
    },
    async (c) => {
      const q = c.req.valid('query');
      const page = await fleetImages(deps.inventory, c.get('principal')!, q.image, q.limit, q.continue);
      return c.json({ items: page.items, metadata: metadataOf(page) }, 200);
    },
  );

  return { name: 'inventory', api };
}
