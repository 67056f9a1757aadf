import type { z } from '@hono/zod-openapi';
import type { ClusterRecord } from '#shared/domain/clusters/cluster.ts';
import { callerView, clusterOverview, clusterStatus, nothingRead, testCluster } from '#shared/domain/clusters/live-views.ts';
import type { Principal } from '#shared/domain/identity/access.ts';
import { createRouter, type Router } from '#shared/http/app.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { guardedRoutes } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import * as s from './schemas.ts';
import { connectionTestView, namespaceView, overviewView, statusView, summaryView, workloadsView } from './views.ts';

// The ways a live view fails, told apart: the cluster refused the hub's credential, answered too much, or could not be reached.
const liveViewFailures = errorResponses(403, 422, 502, 503);
liveViewFailures[403]!.description =
  "CLUSTER_FORBIDDEN (`reason: forbidden`), on a cluster set to impersonate: the cluster's RBAC lets the caller (clusterhub:<username>, group clusterhub:<role>) read none of the view. Parts they may not read are null otherwise, as for the hub's credential.";
liveViewFailures[502]!.description =
  'CLUSTER_RESPONSE_TOO_LARGE: an answer of the cluster was larger than HUB_MAX_CLUSTER_RESPONSE_BYTES (8 MiB by default) even a page of one object at a time (`limit_bytes`). Lists are read in pages that fit, so only an oversized single object causes it. It does not count towards the circuit breaker.';
liveViewFailures[422]!.description =
  "The cluster answered but refused the hub's credential: CLUSTER_CREDENTIAL_REJECTED (`reason: unauthorized`, the credential is wrong, expired or revoked) or CLUSTER_FORBIDDEN (`reason: forbidden`, RBAC denies all of the view). Parts of a view the credential may not read are null instead. Neither counts towards the circuit breaker.";
liveViewFailures[503]!.description =
  'CLUSTER_UNAVAILABLE: the cluster could not be reached or failed (`reason`: tls, dns, refused, timeout, unknown), or it failed repeatedly and its circuit is open (`reason: circuit_open`, `retry_after_seconds`).';

/** What the hub reads from a cluster as it asks: probes, status, and the live views behind the circuit breaker. */
export function liveViewRoutes(deps: Dependencies): Router {
  const api = createRouter();
  const route = guardedRoutes(api, deps);
  const clusters = () => deps.clusters;

  route(
    {
      method: 'post',
      path: '/clusters/{clusterId}/test',
      tags: ['clusters'],
      summary: 'Probe the cluster now',
      cluster: 'viewer',
      action: 'cluster.test',
      request: { params: s.clusterIdParam },
      responses: { 200: jsonContent(s.testResult, 'The probe result (ok false with the error when unreachable).') },
    },
    async (c) => c.json(connectionTestView(await testCluster(clusters(), c.var.cluster)), 200),
  );

  route(
    {
      method: 'get',
      path: '/clusters/{clusterId}/status',
      tags: ['clusters'],
      summary: 'Probe the cluster and record its status',
      cluster: 'viewer',
      request: { params: s.clusterIdParam },
      responses: { 200: jsonContent(s.status, 'Status.'), ...errorResponses(502) },
    },
    async (c) => c.json(statusView(await clusterStatus(clusters(), c.var.cluster)), 200),
  );

  const liveView = <T extends z.ZodType>(
    path: string,
    summary: string,
    schema: T,
    view: (cluster: ClusterRecord, principal: Principal) => Promise<z.infer<T>>,
  ) =>
    route(
      {
        method: 'get',
        path: `/clusters/{clusterId}${path}`,
        tags: ['clusters'],
        summary,
        cluster: 'viewer',
        request: { params: s.clusterIdParam },
        responses: { 200: jsonContent(schema as z.ZodType, 'Live from the cluster.'), ...liveViewFailures },
      },
      async (c) => c.json((await view(c.var.cluster, c.get('principal')!)) as Record<string, unknown>, 200),
    );

  // As the caller when the cluster is set to impersonate (callerView); status and test probe the hub's own connection.
  liveView('/namespaces', 'Namespaces, live', s.namespaces, async (cluster, principal) => ({
    items: (await callerView(clusters(), cluster, principal, (g) => g.namespaces())).map(namespaceView),
  }));
  liveView('/summary', 'Counts of nodes, namespaces, pods, deployments and services, live', s.summary, async (cluster, principal) =>
    summaryView(await callerView(clusters(), cluster, principal, (g) => g.summary(), nothingRead)),
  );
  liveView('/workloads', 'Deployments, StatefulSets, DaemonSets, Jobs and CronJobs, live', s.workloads, async (cluster, principal) =>
    workloadsView(await callerView(clusters(), cluster, principal, (g) => g.workloads(), nothingRead)),
  );
  liveView('/overview', 'The cluster, its counts and its latest events', s.overview, async (cluster, principal) =>
    overviewView(await clusterOverview(clusters(), cluster, principal)),
  );

  return api;
}
