import * as account from '#shared/domain/identity/account.ts';
import { rotateBootstrapPassword } from '#shared/domain/identity/bootstrap.ts';
import { createRouter, type Router } from '#shared/http/app.ts';
import { errorResponses, jsonBody, jsonContent } from '#shared/http/openapi.ts';
import { guardedRoutes } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { requireUser } from './require-user.ts';
import * as s from './schemas.ts';

/** Passwords: one's own change, and the first admin's generated one. */
export function passwordRoutes(deps: Dependencies): Router {
  const api = createRouter();
  const route = guardedRoutes(api, deps);
  const identity = () => deps.identity;

  route(
    {
      method: 'post',
      path: '/auth/change-password',
      tags: ['auth'],
      summary: "Change one's own password; ends every other session and revokes your API keys",
      description: s.PASSWORD_POLICY,
      access: 'viewer',
      action: 'auth.change_password',
      request: { body: jsonBody(s.changePasswordBody) },
      responses: { 200: jsonContent(s.changePasswordResult, 'Changed.'), ...errorResponses(400, 403, 423) },
    },
    async (c) => {
      const body = c.req.valid('json');
      const principal = requireUser(c.get('principal'));
      c.set('audit', { resourceKind: 'user', resourceId: principal.userId });
      const { bootstrap_secret_removed, ...changed } = await account.changePassword(identity(), principal, body.current_password, body.new_password);
      c.set('audit', {
        resourceKind: 'user',
        resourceId: principal.userId,
        details: { revoked_keys: changed.api_keys_revoked, ...(bootstrap_secret_removed ? { bootstrap_removed: true } : {}) },
      });
      return c.json(changed, 200);
    },
  );

  route(
    {
      method: 'post',
      path: '/auth/bootstrap-password/rotate',
      tags: ['auth'],
      summary: 'Give the first admin a new generated password in the bootstrap secret, while they have never changed theirs',
      access: 'admin',
      action: 'auth.rotate_bootstrap_password',
      responses: { 200: jsonContent(s.bootstrapPasswordRotation, 'Rotated; read the new password from the secret.'), ...errorResponses(403, 409) },
    },
    async (c) => {
      const rotated = await rotateBootstrapPassword(identity(), requireUser(c.get('principal')));
      c.set('audit', { resourceKind: 'user', resourceId: rotated.user_id, details: { revoked_keys: rotated.api_keys_revoked } });
      return c.json(rotated, 200);
    },
  );

  return api;
}
