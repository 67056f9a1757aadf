import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ClusterRecord } from '#shared/domain/clusters/cluster.ts';
import { visibleCluster } from '#shared/domain/clusters/registry.ts';
import { clusterChanges, clusterInventory, fleetImages } from '#shared/domain/inventory/views.ts';
import { operationAccepted, startOperation } from '#shared/api/operations/start-operation.ts';
import { clusterIdParam } from '#shared/api/clusters/schemas.ts';
import { createRouter, type EndpointGroup } from '#shared/http/app.ts';
import type { AppEnv } from '#shared/http/env.ts';
import { authenticatedSecurity as security, guards } from '#shared/http/guard.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { pageQuery } from '#shared/http/pagination.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import * as s from './schemas.ts';

const FROM_SNAPSHOTS = 'Read from the inventory snapshots (taken every 15 minutes by default), never from the cluster: `freshness` says when it last looked.';
const metadataOf = (page: { continue?: string }) => (page.continue ? { continue: page.continue } : {});

/** The fleet's inventory: snapshots of each cluster's objects, what changed, and which images run where. */
export function inventoryGroup(deps: Dependencies): EndpointGroup {
  const guard = guards(deps);
  const api = createRouter();

  const pathCluster = async (c: Context<AppEnv>): Promise<ClusterRecord> => {
    const id = c.req.param('clusterId')!;
    c.set('audit', { ...c.get('audit'), resourceKind: 'cluster', resourceId: id, clusterId: id });
    return visibleCluster(deps.clusters, c.get('principal')!, id);
  };

  api.openapi(
    createRoute({
      method: 'get',
      path: '/clusters/{clusterId}/inventory',
      tags: ['inventory'],
      summary: "The cluster's objects (common kinds and CRDs' instances) as a snapshot found them",
      description: `Needs viewer on the cluster. ${FROM_SNAPSHOTS} 404 before the first snapshot, or when none is as old as \`at\` (snapshots are kept 30 days).`,
      security,
      middleware: guard({ access: 'viewer', cluster: 'viewer' }),
      request: { params: clusterIdParam, query: pageQuery.extend(s.inventoryQuery.shape) },
      responses: { 200: jsonContent(s.inventory, 'The snapshot.'), ...errorResponses(404) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const answer = await clusterInventory(deps.inventory, await pathCluster(c), q.at, { kind: q.kind, namespace: q.namespace }, q.limit, q.continue);
      return c.json(
        { cluster_id: answer.cluster_id, snapshot: answer.snapshot, freshness: answer.freshness, items: answer.items, metadata: metadataOf(answer) },
        200,
      );
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/clusters/{clusterId}/changes',
      tags: ['inventory'],
      summary: 'What was added, modified (images, labels, owner, status) or removed on the cluster, newest first',
      description: `Needs viewer on the cluster. ${FROM_SNAPSHOTS} Changes are found by comparing each snapshot with the one before; kept 30 days.`,
      security,
      middleware: guard({ access: 'viewer', cluster: 'viewer' }),
      request: { params: clusterIdParam, query: pageQuery.extend(s.changesQuery.shape) },
      responses: { 200: jsonContent(s.changes, 'Changes.'), ...errorResponses(404) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const page = await clusterChanges(deps.inventory, await pathCluster(c), q, q.limit, q.continue);
      return c.json({ items: page.items, range: page.range, freshness: page.freshness, metadata: metadataOf(page) }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/clusters/{clusterId}/inventory/refresh',
      tags: ['inventory'],
      summary: 'Take a snapshot of the cluster now: 202 and an operation to poll',
      description:
        'Needs operator on the cluster (a per-cluster override, else the global role). The same `Idempotency-Key` header within 24 hours answers the same operation.',
      security,
      middleware: guard({ access: 'viewer', cluster: 'operator', action: 'cluster.inventory.refresh' }),
      // The Idempotency-Key header is read and checked by startOperation (its shared schema does not render in the document yet).
      request: { params: clusterIdParam },
      responses: { ...operationAccepted, ...errorResponses(404) },
    }),
    async (c) => {
      const cluster = await pathCluster(c);
      // startOperation answers the documented 202 itself, as a plain Response the typed handler cannot see into.
      return startOperation(c, deps, { job: 'inventory', clusterIds: [cluster.id] }) as never;
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/fleet/images',
      tags: ['inventory'],
      summary: 'Which images run where across the clusters you may see, by image then cluster',
      description: `${FROM_SNAPSHOTS} Counts the pods running each image and names the workloads (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs) that declare it.`,
      security,
      middleware: guard({ access: 'viewer' }),
      request: { query: pageQuery.extend(s.imagesQuery.shape) },
      responses: { 200: jsonContent(s.images, 'Images.') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const page = await fleetImages(deps.inventory, c.get('principal')!, q.image, q.limit, q.continue);
      return c.json({ items: page.items, metadata: metadataOf(page) }, 200);
    },
  );

  return { name: 'inventory', api };
}
