import { createRouter, type Router } from '#shared/http/app.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { guardedRoutes } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import * as s from './schemas.ts';

/** The keys access tokens are signed with (admin). */
export function signingKeyRoutes(deps: Dependencies): Router {
  const api = createRouter();
  const route = guardedRoutes(api, deps);
  const identity = () => deps.identity;

  route(
    {
      method: 'post',
      path: '/auth/signing-keys/rotate',
      tags: ['auth'],
      summary: 'Start signing access tokens with a new key; the previous keys verify until their tokens expire, or not at all with `revoke_previous`',
      access: 'admin',
      action: 'auth.rotate_signing_key',
      request: { body: { content: { 'application/json': { schema: s.rotateSigningKeyBody } }, required: false } },
      responses: { 200: jsonContent(s.signingKeyRotation, 'The new key, and until when each earlier one verifies.'), ...errorResponses(400, 403) },
    },
    async (c) => {
      const revokePrevious = c.req.valid('json').revoke_previous ?? false;
      const rotation = await identity().keyring.rotate({ revokePrevious });
      const previous = rotation.previous.map((p) => ({ kid: p.kid, verifies_until: p.verifiesUntil }));
      c.set('audit', {
        resourceKind: 'signing_key',
        resourceId: rotation.kid,
        details: { revoke_previous: revokePrevious, ...(revokePrevious ? { revoked: previous.map((p) => p.kid) } : {}) },
      });
      return c.json({ kid: rotation.kid, previous }, 200);
    },
  );

  return api;
}
