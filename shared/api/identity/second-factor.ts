import { z } from '@hono/zod-openapi';
import * as account from '#shared/domain/identity/account.ts';
import { createRouter, type Router } from '#shared/http/app.ts';
import { errorResponses, jsonBody, jsonContent } from '#shared/http/openapi.ts';
import { guardedRoutes } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { requireUser } from './require-user.ts';
import * as s from './schemas.ts';

/** Two-factor authentication (TOTP): enrol, turn on, turn off. */
export function secondFactorRoutes(deps: Dependencies): Router {
  const api = createRouter();
  const route = guardedRoutes(api, deps);
  const identity = () => deps.identity;

  route(
    {
      method: 'post',
      path: '/auth/2fa/setup',
      tags: ['auth'],
      summary: 'Start TOTP enrolment: a secret and an otpauth:// URL for an authenticator app',
      access: 'viewer',
      action: 'auth.2fa_setup',
      responses: { 200: jsonContent(s.totpSetup, 'Scan or type the secret, then verify a code.'), ...errorResponses(403, 409, 423) },
    },
    async (c) => {
      const principal = requireUser(c.get('principal'));
      c.set('audit', { resourceKind: 'user', resourceId: principal.userId });
      return c.json(await account.setupTotp(identity(), principal), 200);
    },
  );

  route(
    {
      method: 'post',
      path: '/auth/2fa/verify',
      tags: ['auth'],
      summary: 'Turn 2FA on with a code from the new secret',
      access: 'viewer',
      action: 'auth.2fa_enable',
      request: { body: jsonBody(s.codeBody) },
      responses: { 200: jsonContent(z.object({ totp_enabled: z.boolean() }), 'On.'), ...errorResponses(400, 403, 409, 423) },
    },
    async (c) => {
      const principal = requireUser(c.get('principal'));
      c.set('audit', { resourceKind: 'user', resourceId: principal.userId });
      return c.json(await account.enableTotp(identity(), principal, c.req.valid('json').code), 200);
    },
  );

  route(
    {
      method: 'post',
      path: '/auth/2fa/disable',
      tags: ['auth'],
      summary: 'Turn 2FA off; needs a valid code',
      access: 'viewer',
      action: 'auth.2fa_disable',
      request: { body: jsonBody(s.codeBody) },
      responses: { 200: jsonContent(z.object({ totp_enabled: z.boolean() }), 'Off.'), ...errorResponses(400, 403, 409, 423) },
    },
    async (c) => {
      const principal = requireUser(c.get('principal'));
      c.set('audit', { resourceKind: 'user', resourceId: principal.userId });
      return c.json(await account.disableTotp(identity(), principal, c.req.valid('json').code), 200);
    },
  );

  return api;
}
