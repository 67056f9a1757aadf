import * as account from '#shared/domain/identity/account.ts';
import { createRouter, type Router } from '#shared/http/app.ts';
import { errorResponses, jsonBody, jsonContent } from '#shared/http/openapi.ts';
import { listOf, pageQuery, toListResponse } from '#shared/http/pagination.ts';
import { guardedRoutes } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { requireUser } from './require-user.ts';
import * as s from './schemas.ts';

/** API keys: create (shown once), list, revoke one's own. */
export function apiKeyRoutes(deps: Dependencies): Router {
  const api = createRouter();
  const route = guardedRoutes(api, deps);
  const identity = () => deps.identity;

  route(
    {
      method: 'post',
      path: '/auth/api-keys',
      tags: ['auth'],
      summary: 'Create an API key acting with your permissions (shown once); needs your password, and a code with 2FA',
      access: 'viewer',
      action: 'api_key.create',
      request: { body: jsonBody(s.apiKeyBody) },
      responses: { 201: jsonContent(s.createdApiKey, 'Created; the key is in `key`, shown only now.'), ...errorResponses(400, 403, 423) },
    },
    async (c) => {
      const principal = requireUser(c.get('principal'));
      c.set('audit', { resourceKind: 'api_key' });
      const created = await account.createApiKey(identity(), principal, c.req.valid('json'));
      c.set('audit', { resourceKind: 'api_key', resourceId: created.id, details: { name: created.name } });
      return c.json(created, 201);
    },
  );

  route(
    {
      method: 'get',
      path: '/auth/api-keys',
      tags: ['auth'],
      summary: 'Your API keys (never the keys themselves)',
      access: 'viewer',
      request: { query: pageQuery },
      responses: { 200: jsonContent(listOf(s.apiKey, 'ApiKeyList'), 'Keys.'), ...errorResponses(400) },
    },
    async (c) => {
      const q = c.req.valid('query');
      const page = await account.listApiKeys(identity(), requireUser(c.get('principal')), q.limit, q.continue);
      return c.json(
        toListResponse(page, (k) => account.apiKeyView(k, identity().policy.apiKeyMaxDays)),
        200,
      );
    },
  );

  route(
    {
      method: 'delete',
      path: '/auth/api-keys/{id}',
      tags: ['auth'],
      summary: 'Revoke one of your API keys',
      access: 'viewer',
      action: 'api_key.revoke',
      request: { params: s.idParam },
      responses: { ...s.noContent, ...errorResponses(404) },
    },
    async (c) => {
      const { id } = c.req.valid('param');
      c.set('audit', { resourceKind: 'api_key', resourceId: id });
      await account.revokeApiKey(identity(), requireUser(c.get('principal')), id);
      return c.body(null, 204);
    },
  );

  return api;
}
