import * as admin from '#shared/domain/identity/user-admin.ts';
import { createRouter, type Router } from '#shared/http/app.ts';
import { errorResponses, jsonBody, jsonContent } from '#shared/http/openapi.ts';
import { listOf, pageQuery, toListResponse } from '#shared/http/pagination.ts';
import { guardedRoutes } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import * as s from './schemas.ts';

/** User administration (admin). */
export function userRoutes(deps: Dependencies): Router {
  const api = createRouter();
  const route = guardedRoutes(api, deps);
  const identity = () => deps.identity;

  route(
    {
      method: 'get',
      path: '/users',
      tags: ['users'],
      summary: 'List users',
      access: 'admin',
      request: { query: pageQuery },
      responses: { 200: jsonContent(listOf(s.user, 'UserList'), 'Users.'), ...errorResponses(400, 403) },
    },
    async (c) => {
      const q = c.req.valid('query');
      return c.json(toListResponse(await identity().users.list(q.limit, q.continue), admin.userView), 200);
    },
  );

  route(
    {
      method: 'post',
      path: '/users',
      tags: ['users'],
      summary: 'Create a user',
      description: s.PASSWORD_POLICY,
      access: 'admin',
      action: 'user.create',
      request: { body: jsonBody(s.createUserBody) },
      responses: { 201: jsonContent(s.user, 'Created.'), ...errorResponses(400, 403, 409) },
    },
    async (c) => {
      const body = c.req.valid('json');
      c.set('audit', { resourceKind: 'user', details: { username: body.username, role: body.role } });
      const created = await admin.createUser(identity(), body);
      c.set('audit', { resourceKind: 'user', resourceId: created.id, details: { username: body.username, role: body.role } });
      return c.json(admin.userView(created), 201);
    },
  );

  route(
    {
      method: 'get',
      path: '/users/{id}',
      tags: ['users'],
      summary: 'Get a user',
      access: 'admin',
      request: { params: s.idParam },
      responses: { 200: jsonContent(s.user, 'The user.'), ...errorResponses(403, 404) },
    },
    async (c) => c.json(admin.userView(await admin.getUser(identity(), c.req.valid('param').id)), 200),
  );

  route(
    {
      method: 'patch',
      path: '/users/{id}',
      tags: ['users'],
      summary: "Change a user's name, role or password (a new password or other role ends their sessions; a new password or lower role revokes their API keys)",
      description: s.PASSWORD_POLICY,
      access: 'admin',
      action: 'user.update',
      request: { params: s.idParam, body: jsonBody(s.updateUserBody) },
      responses: { 200: jsonContent(s.user, 'Updated.'), ...errorResponses(400, 403, 404, 409) },
    },
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      c.set('audit', { resourceKind: 'user', resourceId: id, details: { fields: Object.keys(body) } });
      const { user, apiKeysRevoked, bootstrapSecretRemoved } = await admin.updateUser(identity(), c.get('principal')!, id, body);
      c.set('audit', {
        resourceKind: 'user',
        resourceId: id,
        details: { fields: Object.keys(body), revoked_keys: apiKeysRevoked, ...(bootstrapSecretRemoved ? { bootstrap_removed: true } : {}) },
      });
      return c.json(admin.userView(user), 200);
    },
  );

  route(
    {
      method: 'delete',
      path: '/users/{id}',
      tags: ['users'],
      summary: 'Delete a user with their sessions, API keys and permissions',
      access: 'admin',
      action: 'user.delete',
      request: { params: s.idParam },
      responses: { ...s.noContent, ...errorResponses(403, 404, 409) },
    },
    async (c) => {
      const { id } = c.req.valid('param');
      c.set('audit', { resourceKind: 'user', resourceId: id });
      await admin.deleteUser(identity(), c.get('principal')!, id);
      return c.body(null, 204);
    },
  );

  route(
    {
      method: 'post',
      path: '/users/{id}/unlock',
      tags: ['users'],
      summary: "Lift a user's lockouts: credential changes, and logins from the addresses that failed on the account",
      access: 'admin',
      action: 'user.unlock',
      request: { params: s.idParam },
      responses: { 200: jsonContent(s.user, 'Unlocked.'), ...errorResponses(403, 404) },
    },
    async (c) => {
      const { id } = c.req.valid('param');
      c.set('audit', { resourceKind: 'user', resourceId: id });
      return c.json(admin.userView(await admin.unlockUser(identity(), id)), 200);
    },
  );

  return api;
}
