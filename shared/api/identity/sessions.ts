import { InputError } from '#shared/domain/errors.ts';
import * as account from '#shared/domain/identity/account.ts';
import { login, refresh } from '#shared/domain/identity/authentication.ts';
import { createRouter, type Router } from '#shared/http/app.ts';
import { clientIp, sourceKey } from '#shared/http/client-ip.ts';
import { errorResponses, jsonBody, jsonContent } from '#shared/http/openapi.ts';
import { guardedRoutes } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import * as s from './schemas.ts';

/** Sessions: log in, refresh, log out, and who the caller is. */
export function sessionRoutes(deps: Dependencies): Router {
  const api = createRouter();
  const route = guardedRoutes(api, deps);
  const identity = () => deps.identity;

  route(
    {
      method: 'post',
      path: '/auth/login',
      tags: ['auth'],
      summary: 'Log in with username, password and (when 2FA is on) a TOTP code',
      description:
        'Failed logins lock out the address they come from, never the account: after 5 failures on one account (or 20 on any) an address ' +
        'is refused for 15 minutes with 429 `TOO_MANY_FAILED_LOGINS`. After 5 failures on an account from addresses it has never logged in ' +
        'from, further attempts from such addresses wait, longer each time, with 429 `LOGIN_THROTTLED`. Both carry `Retry-After`. An address ' +
        'the user logged in from before skips the wait, and a valid `totp_code` skips the wait and the address lockouts.',
      access: 'public',
      action: 'auth.login',
      request: { body: jsonBody(s.loginBody) },
      responses: { 200: jsonContent(s.tokenPair, 'Logged in.'), ...errorResponses(400, 401) },
    },
    async (c) => {
      const body = c.req.valid('json');
      const source = sourceKey(clientIp(c, deps.config.trustedProxies));
      const pair = await login(identity(), body, source, (subject) => c.set('audit', { resourceKind: 'session', subject }));
      return c.json(pair, 200);
    },
  );

  route(
    {
      method: 'post',
      path: '/auth/refresh',
      tags: ['auth'],
      summary: 'Trade a refresh token for a new token pair (the old refresh token dies)',
      description:
        'A refresh token of the session that was already traded in revokes the whole session (401 `REFRESH_TOKEN_REUSED`): it was stolen ' +
        'or replayed. Any other wrong token answers 401 `INVALID_TOKEN` and changes nothing.',
      access: 'public',
      action: 'auth.refresh',
      request: { body: jsonBody(s.refreshBody) },
      responses: { 200: jsonContent(s.tokenPair, 'New pair.'), ...errorResponses(400, 401) },
    },
    async (c) => {
      const { subject, ...pair } = await refresh(identity(), c.req.valid('json').refresh_token);
      c.set('audit', { resourceKind: 'session', subject });
      return c.json(pair, 200);
    },
  );

  route(
    {
      method: 'post',
      path: '/auth/logout',
      tags: ['auth'],
      summary: 'End the session of the presented access token',
      access: 'viewer',
      action: 'auth.logout',
      responses: { ...s.noContent, ...errorResponses(400) },
    },
    async (c) => {
      const principal = c.get('principal')!;
      if (!principal.sessionId) throw new InputError('Only a bearer token has a session to end; revoke an API key with DELETE /auth/api-keys/{id}.');
      await identity().sessions.revoke(principal.sessionId);
      c.set('audit', { resourceKind: 'session', resourceId: principal.sessionId });
      return c.body(null, 204);
    },
  );

  route(
    {
      method: 'get',
      path: '/auth/me',
      tags: ['auth'],
      summary: 'Who the caller is, with role, cluster permissions and 2FA state',
      access: 'viewer',
      responses: { 200: jsonContent(s.me, 'The caller.') },
    },
    (c) => c.json(account.me(c.get('principal')!), 200),
  );

  return api;
}
