import { z } from '@hono/zod-openapi';
import * as admin from '#shared/domain/identity/user-admin.ts';
import { createRouter, type Router } from '#shared/http/app.ts';
import { errorResponses, jsonBody, jsonContent } from '#shared/http/openapi.ts';
import { guardedRoutes } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import * as s from './schemas.ts';

/** Per-cluster roles of a user (admin; never one's own). */
export function clusterPermissionRoutes(deps: Dependencies, clusterExists: (clusterId: string) => Promise<boolean>): Router {
  const api = createRouter();
  const route = guardedRoutes(api, deps);
  const identity = () => deps.identity;

  route(
    {
      method: 'get',
      path: '/users/{id}/cluster-permissions',
      tags: ['users'],
      summary: "A user's per-cluster roles (they override the global role on that cluster)",
      access: 'admin',
      request: { params: s.idParam },
      responses: { 200: jsonContent(z.object({ items: z.array(s.clusterPermission) }), 'Permissions.'), ...errorResponses(403, 404) },
    },
    async (c) => c.json({ items: await admin.listClusterPermissions(identity(), c.req.valid('param').id) }, 200),
  );

  route(
    {
      method: 'post',
      path: '/users/{id}/cluster-permissions',
      tags: ['users'],
      summary: 'Set a per-cluster role (`none` hides the cluster from the user)',
      description: 'Not on your own account (403): another admin sets your grants.',
      access: 'admin',
      action: 'user.cluster_permission.set',
      request: { params: s.idParam, body: jsonBody(s.clusterPermission) },
      responses: { 200: jsonContent(s.clusterPermission, 'Set.'), ...errorResponses(400, 403, 404) },
    },
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      c.set('audit', { resourceKind: 'user', resourceId: id, clusterId: body.cluster_id, details: { role: body.role } });
      return c.json(await admin.setClusterPermission(identity(), c.get('principal')!, id, body, clusterExists), 200);
    },
  );

  route(
    {
      method: 'delete',
      path: '/users/{id}/cluster-permissions/{clusterId}',
      tags: ['users'],
      summary: 'Remove a per-cluster role (the global role applies again)',
      description: 'Not on your own account (403): another admin removes your grants.',
      access: 'admin',
      action: 'user.cluster_permission.delete',
      request: { params: z.object({ id: s.id, clusterId: s.id }) },
      responses: { ...s.noContent, ...errorResponses(403, 404) },
    },
    async (c) => {
      const { id, clusterId } = c.req.valid('param');
      c.set('audit', { resourceKind: 'user', resourceId: id, clusterId });
      await admin.deleteClusterPermission(identity(), c.get('principal')!, id, clusterId);
      return c.body(null, 204);
    },
  );

  return api;
}
