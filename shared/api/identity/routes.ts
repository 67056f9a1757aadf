import { createRoute, z } from '@hono/zod-openapi';
import { AuthenticationError, InputError } from '#shared/domain/errors.ts';
import * as account from '#shared/domain/identity/account.ts';
import * as admin from '#shared/domain/identity/user-admin.ts';
import { login, refresh } from '#shared/domain/identity/authentication.ts';
import { rotateBootstrapPassword } from '#shared/domain/identity/bootstrap.ts';
import { createRouter, type EndpointGroup } from '#shared/http/app.ts';
import { clientIp, sourceKey } from '#shared/http/client-ip.ts';
import { authenticatedSecurity, guards } from '#shared/http/guard.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { listOf, pageQuery, toListResponse } from '#shared/http/pagination.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import * as s from './schemas.ts';

const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } }, required: true });
const noContent = { 204: { description: 'Done.' } };
const authed = { security: authenticatedSecurity };

export interface IdentityOptions {
  /** Whether a cluster exists, for per-cluster grants. */
  clusterExists: (clusterId: string) => Promise<boolean>;
}

/** Login, tokens, 2FA and API keys (/auth), and user administration (/users). */
export function identityGroup(
  deps: Dependencies,
  options: IdentityOptions = { clusterExists: async (clusterId) => Boolean(await deps.clusters.clusters.get(clusterId)) },
): EndpointGroup {
  const guard = guards(deps);
  const api = createRouter();
  const identity = () => deps.identity;

  // ---- sessions -------------------------------------------------------------
  api.openapi(
    createRoute({
      method: 'post',
      path: '/auth/login',
      tags: ['auth'],
      summary: 'Log in with username, password and (when 2FA is on) a TOTP code',
      description:
        'Failed logins lock out the address they come from, never the account: after 5 failures on one account (or 20 on any) an address ' +
        'is refused for 15 minutes with 429 `TOO_MANY_FAILED_LOGINS`. After 5 failures on an account from addresses it has never logged in ' +
        'from, further attempts from such addresses wait, longer each time, with 429 `LOGIN_THROTTLED`. Both carry `Retry-After`. An address ' +
        'the user logged in from before skips the wait, and a valid `totp_code` skips the wait and the address lockouts.',
      middleware: guard({ access: 'public', action: 'auth.login' }),
      request: { body: json(s.loginBody) },
      responses: { 200: jsonContent(s.tokenPair, 'Logged in.'), ...errorResponses(400, 401) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const source = sourceKey(clientIp(c, deps.config.trustedProxies));
      const pair = await login(identity(), body, source, (subject) => c.set('audit', { resourceKind: 'session', subject }));
      return c.json(pair, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/auth/refresh',
      tags: ['auth'],
      summary: 'Trade a refresh token for a new token pair (the old refresh token dies)',
      description:
        'A refresh token of the session that was already traded in revokes the whole session (401 `REFRESH_TOKEN_REUSED`): it was stolen ' +
        'or replayed. Any other wrong token answers 401 `INVALID_TOKEN` and changes nothing.',
      middleware: guard({ access: 'public', action: 'auth.refresh' }),
      request: { body: json(s.refreshBody) },
      responses: { 200: jsonContent(s.tokenPair, 'New pair.'), ...errorResponses(400, 401) },
    }),
    async (c) => {
      const { subject, ...pair } = await refresh(identity(), c.req.valid('json').refresh_token);
      c.set('audit', { resourceKind: 'session', subject });
      return c.json(pair, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/auth/logout',
      tags: ['auth'],
      summary: 'End the session of the presented access token',
      ...authed,
      middleware: guard({ access: 'viewer', action: 'auth.logout' }),
      responses: { ...noContent, ...errorResponses(400) },
    }),
    async (c) => {
      const principal = c.get('principal')!;
      if (!principal.sessionId) throw new InputError('Only a bearer token has a session to end; revoke an API key with DELETE /auth/api-keys/{id}.');
      await identity().sessions.revoke(principal.sessionId);
      c.set('audit', { resourceKind: 'session', resourceId: principal.sessionId });
      return c.body(null, 204);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/auth/me',
      tags: ['auth'],
      summary: 'Who the caller is, with role, cluster permissions and 2FA state',
      ...authed,
      middleware: guard({ access: 'viewer' }),
      responses: { 200: jsonContent(s.me, 'The caller.') },
    }),
    (c) => c.json(account.me(c.get('principal')!), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/auth/change-password',
      tags: ['auth'],
      summary: "Change one's own password; ends every other session and revokes your API keys",
      description: s.PASSWORD_POLICY,
      ...authed,
      middleware: guard({ access: 'viewer', action: 'auth.change_password' }),
      request: { body: json(s.changePasswordBody) },
      responses: { 200: jsonContent(s.changePasswordResult, 'Changed.'), ...errorResponses(400, 403, 423) },
    }),
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

  // ---- two-factor -----------------------------------------------------------
  api.openapi(
    createRoute({
      method: 'post',
      path: '/auth/2fa/setup',
      tags: ['auth'],
      summary: 'Start TOTP enrolment: a secret and an otpauth:// URL for an authenticator app',
      ...authed,
      middleware: guard({ access: 'viewer', action: 'auth.2fa_setup' }),
      responses: { 200: jsonContent(s.totpSetup, 'Scan or type the secret, then verify a code.'), ...errorResponses(403, 409, 423) },
    }),
    async (c) => {
      const principal = requireUser(c.get('principal'));
      c.set('audit', { resourceKind: 'user', resourceId: principal.userId });
      return c.json(await account.setupTotp(identity(), principal), 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/auth/2fa/verify',
      tags: ['auth'],
      summary: 'Turn 2FA on with a code from the new secret',
      ...authed,
      middleware: guard({ access: 'viewer', action: 'auth.2fa_enable' }),
      request: { body: json(s.codeBody) },
      responses: { 200: jsonContent(z.object({ totp_enabled: z.boolean() }), 'On.'), ...errorResponses(400, 403, 409, 423) },
    }),
    async (c) => {
      const principal = requireUser(c.get('principal'));
      c.set('audit', { resourceKind: 'user', resourceId: principal.userId });
      return c.json(await account.enableTotp(identity(), principal, c.req.valid('json').code), 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/auth/2fa/disable',
      tags: ['auth'],
      summary: 'Turn 2FA off; needs a valid code',
      ...authed,
      middleware: guard({ access: 'viewer', action: 'auth.2fa_disable' }),
      request: { body: json(s.codeBody) },
      responses: { 200: jsonContent(z.object({ totp_enabled: z.boolean() }), 'Off.'), ...errorResponses(400, 403, 409, 423) },
    }),
    async (c) => {
      const principal = requireUser(c.get('principal'));
      c.set('audit', { resourceKind: 'user', resourceId: principal.userId });
      return c.json(await account.disableTotp(identity(), principal, c.req.valid('json').code), 200);
    },
  );

  // ---- API keys -------------------------------------------------------------
  api.openapi(
    createRoute({
      method: 'post',
      path: '/auth/api-keys',
      tags: ['auth'],
      summary: 'Create an API key acting with your permissions (shown once); needs your password, and a code with 2FA',
      ...authed,
      middleware: guard({ access: 'viewer', action: 'api_key.create' }),
      request: { body: json(s.apiKeyBody) },
      responses: { 201: jsonContent(s.createdApiKey, 'Created; the key is in `key`, shown only now.'), ...errorResponses(400, 403, 423) },
    }),
    async (c) => {
      const principal = requireUser(c.get('principal'));
      c.set('audit', { resourceKind: 'api_key' });
      const created = await account.createApiKey(identity(), principal, c.req.valid('json'));
      c.set('audit', { resourceKind: 'api_key', resourceId: created.id, details: { name: created.name } });
      return c.json(created, 201);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/auth/api-keys',
      tags: ['auth'],
      summary: 'Your API keys (never the keys themselves)',
      ...authed,
      middleware: guard({ access: 'viewer' }),
      request: { query: pageQuery },
      responses: { 200: jsonContent(listOf(s.apiKey, 'ApiKeyList'), 'Keys.'), ...errorResponses(400) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const page = await account.listApiKeys(identity(), requireUser(c.get('principal')), q.limit, q.continue);
      return c.json(
        toListResponse(page, (k) => account.apiKeyView(k, identity().policy.apiKeyMaxDays)),
        200,
      );
    },
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/auth/api-keys/{id}',
      tags: ['auth'],
      summary: 'Revoke one of your API keys',
      ...authed,
      middleware: guard({ access: 'viewer', action: 'api_key.revoke' }),
      request: { params: s.idParam },
      responses: { ...noContent, ...errorResponses(404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      c.set('audit', { resourceKind: 'api_key', resourceId: id });
      await account.revokeApiKey(identity(), requireUser(c.get('principal')), id);
      return c.body(null, 204);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/auth/signing-keys/rotate',
      tags: ['auth'],
      summary: 'Start signing access tokens with a new key; the previous keys verify until their tokens expire, or not at all with `revoke_previous`',
      ...authed,
      middleware: guard({ access: 'admin', action: 'auth.rotate_signing_key' }),
      request: { body: { content: { 'application/json': { schema: s.rotateSigningKeyBody } }, required: false } },
      responses: { 200: jsonContent(s.signingKeyRotation, 'The new key, and until when each earlier one verifies.'), ...errorResponses(400, 403) },
    }),
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

  api.openapi(
    createRoute({
      method: 'post',
      path: '/auth/bootstrap-password/rotate',
      tags: ['auth'],
      summary: 'Give the first admin a new generated password in the bootstrap secret, while they have never changed theirs',
      ...authed,
      middleware: guard({ access: 'admin', action: 'auth.rotate_bootstrap_password' }),
      responses: { 200: jsonContent(s.bootstrapPasswordRotation, 'Rotated; read the new password from the secret.'), ...errorResponses(403, 409) },
    }),
    async (c) => {
      const rotated = await rotateBootstrapPassword(identity(), requireUser(c.get('principal')));
      c.set('audit', { resourceKind: 'user', resourceId: rotated.user_id, details: { revoked_keys: rotated.api_keys_revoked } });
      return c.json(rotated, 200);
    },
  );

  // ---- users (admin) --------------------------------------------------------
  const adminOnly = (action?: string) => guard({ access: 'admin', action });

  api.openapi(
    createRoute({
      method: 'get',
      path: '/users',
      tags: ['users'],
      summary: 'List users',
      ...authed,
      middleware: adminOnly(),
      request: { query: pageQuery },
      responses: { 200: jsonContent(listOf(s.user, 'UserList'), 'Users.'), ...errorResponses(400, 403) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(toListResponse(await identity().users.list(q.limit, q.continue), admin.userView), 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/users',
      tags: ['users'],
      summary: 'Create a user',
      description: s.PASSWORD_POLICY,
      ...authed,
      middleware: adminOnly('user.create'),
      request: { body: json(s.createUserBody) },
      responses: { 201: jsonContent(s.user, 'Created.'), ...errorResponses(400, 403, 409) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      c.set('audit', { resourceKind: 'user', details: { username: body.username, role: body.role } });
      const created = await admin.createUser(identity(), body);
      c.set('audit', { resourceKind: 'user', resourceId: created.id, details: { username: body.username, role: body.role } });
      return c.json(admin.userView(created), 201);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/users/{id}',
      tags: ['users'],
      summary: 'Get a user',
      ...authed,
      middleware: adminOnly(),
      request: { params: s.idParam },
      responses: { 200: jsonContent(s.user, 'The user.'), ...errorResponses(403, 404) },
    }),
    async (c) => c.json(admin.userView(await admin.getUser(identity(), c.req.valid('param').id)), 200),
  );

  api.openapi(
    createRoute({
      method: 'patch',
      path: '/users/{id}',
      tags: ['users'],
      summary: "Change a user's name, role or password (a new password or other role ends their sessions; a new password or lower role revokes their API keys)",
      description: s.PASSWORD_POLICY,
      ...authed,
      middleware: adminOnly('user.update'),
      request: { params: s.idParam, body: json(s.updateUserBody) },
      responses: { 200: jsonContent(s.user, 'Updated.'), ...errorResponses(400, 403, 404, 409) },
    }),
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

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/users/{id}',
      tags: ['users'],
      summary: 'Delete a user with their sessions, API keys and permissions',
      ...authed,
      middleware: adminOnly('user.delete'),
      request: { params: s.idParam },
      responses: { ...noContent, ...errorResponses(403, 404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      c.set('audit', { resourceKind: 'user', resourceId: id });
      await admin.deleteUser(identity(), c.get('principal')!, id);
      return c.body(null, 204);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/users/{id}/unlock',
      tags: ['users'],
      summary: "Lift a user's lockouts: credential changes, and logins from the addresses that failed on the account",
      ...authed,
      middleware: adminOnly('user.unlock'),
      request: { params: s.idParam },
      responses: { 200: jsonContent(s.user, 'Unlocked.'), ...errorResponses(403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      c.set('audit', { resourceKind: 'user', resourceId: id });
      return c.json(admin.userView(await admin.unlockUser(identity(), id)), 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/users/{id}/cluster-permissions',
      tags: ['users'],
      summary: "A user's per-cluster roles (they override the global role on that cluster)",
      ...authed,
      middleware: adminOnly(),
      request: { params: s.idParam },
      responses: { 200: jsonContent(z.object({ items: z.array(s.clusterPermission) }), 'Permissions.'), ...errorResponses(403, 404) },
    }),
    async (c) => c.json({ items: await admin.listClusterPermissions(identity(), c.req.valid('param').id) }, 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/users/{id}/cluster-permissions',
      tags: ['users'],
      summary: 'Set a per-cluster role (`none` hides the cluster from the user)',
      description: 'Not on your own account (403): another admin sets your grants.',
      ...authed,
      middleware: adminOnly('user.cluster_permission.set'),
      request: { params: s.idParam, body: json(s.clusterPermission) },
      responses: { 200: jsonContent(s.clusterPermission, 'Set.'), ...errorResponses(400, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      c.set('audit', { resourceKind: 'user', resourceId: id, clusterId: body.cluster_id, details: { role: body.role } });
      return c.json(await admin.setClusterPermission(identity(), c.get('principal')!, id, body, options.clusterExists), 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/users/{id}/cluster-permissions/{clusterId}',
      tags: ['users'],
      summary: 'Remove a per-cluster role (the global role applies again)',
      description: 'Not on your own account (403): another admin removes your grants.',
      ...authed,
      middleware: adminOnly('user.cluster_permission.delete'),
      request: { params: z.object({ id: s.id, clusterId: s.id }) },
      responses: { ...noContent, ...errorResponses(403, 404) },
    }),
    async (c) => {
      const { id, clusterId } = c.req.valid('param');
      c.set('audit', { resourceKind: 'user', resourceId: id, clusterId });
      await admin.deleteClusterPermission(identity(), c.get('principal')!, id, clusterId);
      return c.body(null, 204);
    },
  );

  return { name: 'identity', api };
}

/** Account endpoints need a real user, not the anonymous principal of a relaxed auth mode. */
function requireUser<P extends { via: string }>(principal: P | undefined): P {
  if (!principal || principal.via === 'anonymous') throw new AuthenticationError('Log in to manage your account.');
  return principal;
}
