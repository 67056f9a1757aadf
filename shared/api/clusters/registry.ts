import { z } from '@hono/zod-openapi';
import { discoverLocalContexts } from '#shared/domain/clusters/discovery.ts';
import { setActive } from '#shared/domain/clusters/live-views.ts';
import { deleteCluster, listClusters, registerCluster, updateCluster } from '#shared/domain/clusters/registry.ts';
import { createRouter, type Router } from '#shared/http/app.ts';
import { errorResponses, jsonBody, jsonContent } from '#shared/http/openapi.ts';
import { listOf, pageQuery, toListResponse } from '#shared/http/pagination.ts';
import { guardedRoutes } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import * as s from './schemas.ts';
import { clusterView, fromCredentialSource } from './views.ts';

const localContexts = z.object({
  items: z.array(
    z.object({
      context: z.string(),
      cluster: z.string().nullable(),
      server: z.string().nullable(),
      current: z.boolean(),
      importable: z.boolean(),
      reason: z.string().nullable(),
    }),
  ),
});

/** The registry: list, register, discover, read, change, unregister, (de)activate. */
export function registryRoutes(deps: Dependencies): Router {
  const api = createRouter();
  const route = guardedRoutes(api, deps);
  const clusters = () => deps.clusters;

  route(
    {
      method: 'get',
      path: '/clusters',
      tags: ['clusters'],
      summary: 'The clusters you may see, filtered by status, provider, labels and a name search',
      access: 'viewer',
      request: { query: pageQuery.extend(s.listQuery.shape) },
      responses: { 200: jsonContent(listOf(s.cluster, 'ClusterList'), 'Clusters.'), ...errorResponses(400) },
    },
    async (c) => {
      const q = c.req.valid('query');
      const labels = q.label ? Object.fromEntries(q.label.split(',').map((pair) => pair.split('=') as [string, string])) : undefined;
      const page = await listClusters(
        clusters(),
        c.get('principal')!,
        { status: q.status, provider: q.provider, labels, search: q.search },
        q.limit,
        q.continue,
      );
      return c.json(toListResponse(page, clusterView), 200);
    },
  );

  route(
    {
      method: 'post',
      path: '/clusters',
      tags: ['clusters'],
      summary: 'Register a cluster from exactly one kubeconfig source; the hub connects before it answers',
      description: `Needs the global admin role. ${s.CREDENTIAL_SOURCE_RULES} \`force\` replaces a cluster of the same name, which also needs admin on that cluster (a per-cluster override below admin refuses it, 403); a name taken by a cluster hidden from the caller answers 409 CLUSTER_EXISTS as a lost race for the name would, and is never replaced. An import (\`kubeconfig_secret_ref\`) is deleted once the registration stored it.`,
      access: 'admin',
      action: 'cluster.register',
      tier: 'exec',
      request: { body: jsonBody(s.registerBody) },
      responses: { 201: jsonContent(s.cluster, 'Registered and connected.'), ...errorResponses(400, 409, 422) },
    },
    async (c) => {
      const body = c.req.valid('json');
      c.set('audit', { resourceKind: 'cluster', details: { name: body.name, force: body.force ?? false, impersonate: body.impersonate ?? false } });
      const cluster = await registerCluster(clusters(), c.get('principal')!, fromCredentialSource(body));
      c.set('audit', { resourceKind: 'cluster', resourceId: cluster.id, clusterId: cluster.id, details: { name: cluster.name, server: cluster.serverUrl } });
      return c.json(clusterView(cluster), 201);
    },
  );

  route(
    {
      method: 'get',
      path: '/clusters/discover',
      tags: ['clusters'],
      summary: "Local run only: the contexts of this machine's kubeconfig, for registration with local_context",
      access: 'admin',
      responses: { 200: jsonContent(localContexts, 'Contexts.'), ...errorResponses(404) },
    },
    async (c) => c.json(await discoverLocalContexts(clusters()), 200),
  );

  route(
    {
      method: 'get',
      path: '/clusters/{clusterId}',
      tags: ['clusters'],
      summary: 'A cluster',
      cluster: 'viewer',
      request: { params: s.clusterIdParam },
      responses: { 200: jsonContent(s.cluster, 'The cluster.') },
    },
    (c) => c.json(clusterView(c.var.cluster), 200),
  );

  route(
    {
      method: 'patch',
      path: '/clusters/{clusterId}',
      tags: ['clusters'],
      summary: 'Rename, relabel, or replace the credential (through the same checks as registration)',
      description:
        'A credential source also needs the global admin role, as registration does (403 otherwise). A credential source (kubeconfig, kubeconfig_base64, kubeconfig_secret_ref) replaces the stored credential, which is then deleted; an import is deleted once stored. `context` selects a context of that new kubeconfig and is refused (400) without one.',
      cluster: 'admin',
      action: 'cluster.update',
      tier: 'exec',
      request: { params: s.clusterIdParam, body: jsonBody(s.updateBody) },
      responses: { 200: jsonContent(s.cluster, 'Updated.'), ...errorResponses(400, 409, 422) },
    },
    async (c) => {
      const body = c.req.valid('json');
      c.set('audit', {
        ...c.get('audit'),
        details: {
          fields: Object.keys(body).filter((k) => !k.startsWith('kubeconfig')),
          credential_replaced: 'kubeconfig' in body || 'kubeconfig_base64' in body || 'kubeconfig_secret_ref' in body,
        },
      });
      return c.json(clusterView(await updateCluster(clusters(), c.get('principal')!, c.var.cluster, fromCredentialSource(body))), 200);
    },
  );

  route(
    {
      method: 'delete',
      path: '/clusters/{clusterId}',
      tags: ['clusters'],
      summary: 'Unregister a cluster: its stored credential and every grant on it go too',
      cluster: 'admin',
      action: 'cluster.delete',
      request: { params: s.clusterIdParam },
      responses: { 204: { description: 'Deleted.' } },
    },
    async (c) => {
      await deleteCluster(clusters(), c.var.cluster);
      return c.body(null, 204);
    },
  );

  route(
    {
      method: 'post',
      path: '/clusters/{clusterId}/set-active',
      tags: ['clusters'],
      summary: 'Include or skip the cluster in background work',
      cluster: 'operator',
      action: 'cluster.set_active',
      request: { params: s.clusterIdParam, body: jsonBody(z.object({ active: z.boolean() })) },
      responses: { 200: jsonContent(s.cluster, 'Updated.'), ...errorResponses(400) },
    },
    async (c) => {
      const { active } = c.req.valid('json');
      c.set('audit', { ...c.get('audit'), details: { active } });
      return c.json(clusterView(await setActive(clusters(), c.var.cluster, active)), 200);
    },
  );

  return api;
}
