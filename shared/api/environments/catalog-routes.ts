import * as catalog from '#shared/domain/environments/catalog.ts';
import { errorResponses, jsonBody, jsonContent } from '#shared/http/openapi.ts';
import { listOf, pageQuery, toListResponse } from '#shared/http/pagination.ts';
import type { DeclareRoute } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import * as s from './schemas.ts';
import { appInstanceView, environmentView } from './views.ts';

const TAGS = ['environments'];

/** Environments and app instances: list, create, read, change, delete. */
export function catalogRoutes(deps: Dependencies, route: DeclareRoute): void {
  const env = () => deps.environments;

  route(
    {
      method: 'get',
      path: '/environments',
      tags: TAGS,
      summary: 'Environments, by their order then name',
      access: 'viewer',
      request: { query: pageQuery },
      responses: { 200: jsonContent(listOf(s.environment, 'EnvironmentList'), 'Environments.') },
    },
    async (c) => {
      const q = c.req.valid('query');
      return c.json(toListResponse(await catalog.listEnvironments(env(), q.limit, q.continue), environmentView), 200);
    },
  );

  route(
    {
      method: 'post',
      path: '/environments',
      tags: TAGS,
      summary: 'Create an environment',
      description: 'Names are unique whatever their case (409 ENVIRONMENT_EXISTS); the hub keeps at most 100 environments (409 LIMIT_REACHED).',
      access: 'operator',
      action: 'environment.create',
      request: { body: jsonBody(s.createEnvironmentBody) },
      responses: { 201: jsonContent(s.environment, 'Created.'), ...errorResponses(409) },
    },
    async (c) => {
      const body = c.req.valid('json');
      c.set('audit', { resourceKind: 'environment', details: { name: body.name, require_approval: body.require_approval ?? false } });
      const created = await catalog.createEnvironment(env(), c.get('principal')!, body);
      c.set('audit', { resourceKind: 'environment', resourceId: created.id, details: { name: created.name, require_approval: created.requireApproval } });
      return c.json(environmentView(created), 201);
    },
  );

  route(
    {
      method: 'get',
      path: '/environments/{environmentId}',
      tags: TAGS,
      summary: 'An environment',
      access: 'viewer',
      request: { params: s.environmentIdParam },
      responses: { 200: jsonContent(s.environment, 'The environment.'), ...errorResponses(404) },
    },
    async (c) => c.json(environmentView(await catalog.getEnvironment(env(), c.req.valid('param').environmentId)), 200),
  );

  route(
    {
      method: 'patch',
      path: '/environments/{environmentId}',
      tags: TAGS,
      summary: 'Change an environment',
      description: 'Turning `require_approval` off needs the admin role (403 for an operator), switching it on does not.',
      access: 'operator',
      action: 'environment.update',
      auditTarget: (c) => ({ resourceKind: 'environment', resourceId: c.req.param('environmentId') }),
      request: { params: s.environmentIdParam, body: jsonBody(s.updateEnvironmentBody) },
      responses: { 200: jsonContent(s.environment, 'Changed.'), ...errorResponses(403, 404, 409) },
    },
    async (c) => {
      const { environmentId } = c.req.valid('param');
      const body = c.req.valid('json');
      c.set('audit', { resourceKind: 'environment', resourceId: environmentId, details: { changes: body } });
      const { require_approval: requireApproval, ...rest } = body;
      const updated = await catalog.updateEnvironment(env(), c.get('principal')!, environmentId, { ...rest, requireApproval });
      return c.json(environmentView(updated), 200);
    },
  );

  route(
    {
      method: 'delete',
      path: '/environments/{environmentId}',
      tags: TAGS,
      summary: 'Delete an environment',
      description: 'An environment that holds app instances answers 409 ENVIRONMENT_NOT_EMPTY unless `cascade=true`. Nothing on any cluster changes.',
      access: 'admin',
      action: 'environment.delete',
      auditTarget: (c) => ({ resourceKind: 'environment', resourceId: c.req.param('environmentId') }),
      request: { params: s.environmentIdParam, query: s.deleteEnvironmentQuery },
      responses: { 204: { description: 'Deleted.' }, ...errorResponses(404, 409) },
    },
    async (c) => {
      const { environmentId } = c.req.valid('param');
      const cascade = c.req.valid('query').cascade === 'true';
      const { removedInstances } = await catalog.deleteEnvironment(env(), environmentId, cascade);
      c.set('audit', { resourceKind: 'environment', resourceId: environmentId, details: { cascade, removed_instances: removedInstances } });
      return c.body(null, 204);
    },
  );

  route(
    {
      method: 'get',
      path: '/app-instances',
      tags: TAGS,
      summary: 'App instances on the clusters you may see, by environment then name',
      description: 'A page may hold fewer than `limit` instances (those on clusters hidden from you are left out) while `continue` says more follow.',
      access: 'viewer',
      request: { query: pageQuery.extend(s.appInstanceQuery.shape) },
      responses: { 200: jsonContent(listOf(s.appInstance, 'AppInstanceList'), 'App instances.') },
    },
    async (c) => {
      const q = c.req.valid('query');
      const page = await catalog.listAppInstances(
        env(),
        c.get('principal')!,
        { environmentId: q.environment_id, clusterId: q.cluster_id },
        q.limit,
        q.continue,
      );
      return c.json(toListResponse(page, appInstanceView), 200);
    },
  );

  route(
    {
      method: 'post',
      path: '/app-instances',
      tags: TAGS,
      summary: 'Add an app instance (a namespace on a cluster) to an environment',
      description:
        'Needs operator on the cluster (a per-cluster override, else the global role): 403 below it, 404 for a cluster you may not see. Names are unique within the environment (409 APP_INSTANCE_EXISTS); an environment holds at most 200 (409 LIMIT_REACHED).',
      access: 'viewer',
      action: 'app-instance.create',
      request: { body: jsonBody(s.createAppInstanceBody) },
      responses: { 201: jsonContent(s.appInstance, 'Created.'), ...errorResponses(403, 404, 409) },
    },
    async (c) => {
      const body = c.req.valid('json');
      c.set('audit', { resourceKind: 'app-instance', clusterId: body.cluster_id, details: { ...body } });
      const created = await catalog.createAppInstance(env(), c.get('principal')!, body);
      c.set('audit', { resourceKind: 'app-instance', resourceId: created.id, clusterId: created.clusterId, details: { ...body } });
      return c.json(appInstanceView(created), 201);
    },
  );

  route(
    {
      method: 'get',
      path: '/app-instances/{appInstanceId}',
      tags: TAGS,
      summary: 'An app instance (404 when its cluster is hidden from you)',
      access: 'viewer',
      request: { params: s.appInstanceIdParam },
      responses: { 200: jsonContent(s.appInstance, 'The app instance.'), ...errorResponses(404) },
    },
    async (c) => c.json(appInstanceView(await catalog.getAppInstance(env(), c.get('principal')!, c.req.valid('param').appInstanceId)), 200),
  );

  route(
    {
      method: 'patch',
      path: '/app-instances/{appInstanceId}',
      tags: TAGS,
      summary: 'Rename an app instance or move it to another namespace of its cluster',
      description: 'Needs operator on its cluster.',
      access: 'viewer',
      action: 'app-instance.update',
      auditTarget: (c) => ({ resourceKind: 'app-instance', resourceId: c.req.param('appInstanceId') }),
      request: { params: s.appInstanceIdParam, body: jsonBody(s.updateAppInstanceBody) },
      responses: { 200: jsonContent(s.appInstance, 'Changed.'), ...errorResponses(403, 404, 409) },
    },
    async (c) => {
      const { appInstanceId } = c.req.valid('param');
      const body = c.req.valid('json');
      const updated = await catalog.updateAppInstance(env(), c.get('principal')!, appInstanceId, body);
      c.set('audit', { resourceKind: 'app-instance', resourceId: appInstanceId, clusterId: updated.clusterId, details: { changes: body } });
      return c.json(appInstanceView(updated), 200);
    },
  );

  route(
    {
      method: 'delete',
      path: '/app-instances/{appInstanceId}',
      tags: TAGS,
      summary: 'Remove an app instance from its environment (nothing on the cluster changes)',
      description: 'Needs operator on its cluster.',
      access: 'viewer',
      action: 'app-instance.delete',
      auditTarget: (c) => ({ resourceKind: 'app-instance', resourceId: c.req.param('appInstanceId') }),
      request: { params: s.appInstanceIdParam },
      responses: { 204: { description: 'Removed.' }, ...errorResponses(403, 404) },
    },
    async (c) => {
      const { appInstanceId } = c.req.valid('param');
      const removed = await catalog.deleteAppInstance(env(), c.get('principal')!, appInstanceId);
      c.set('audit', { resourceKind: 'app-instance', resourceId: appInstanceId, clusterId: removed.clusterId, details: { name: removed.name } });
      return c.body(null, 204);
    },
  );
}
