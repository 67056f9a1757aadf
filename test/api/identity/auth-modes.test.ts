import { describe, expect, it } from 'vitest';
import { endpointGroups } from '#shared/api/catalog.ts';
import { loadConfig } from '#shared/config/config.ts';
import { createApi } from '#shared/http/app.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { startTestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { jsonPost } from '#test/support/identity.ts';

describe('auth modes', () => {
  it('optional: anonymous callers read as viewers and cannot change anything', async () => {
    const hub = await startTestHub({ HUB_AUTH_MODE: 'optional' });
    try {
      expect(await json(await hub.fetch('/api/v1/auth/me'))).toMatchObject({ role: 'viewer', auth_method: 'anonymous' });
      expect((await hub.fetch('/api/v1/users', jsonPost({ username: 'x-user', password: 'long-enough-pass', role: 'admin' }))).status).toBe(403);
    } finally {
      await hub.stop();
    }
  });

  it('optional: anonymous callers are rate limited per client address, not as one crowd', async () => {
    const hub = await startTestHub({ HUB_AUTH_MODE: 'optional', HUB_RATE_LIMIT_READ_PER_MINUTE: '2' });
    try {
      // The app as a Lambda runs it: API Gateway tells the caller's address in the request context.
      const app = createApi(endpointGroups(hub.deps), createLogger({}, { level: 'error' }));
      const from = (sourceIp: string) => app.fetch(new Request('http://hub/api/v1/auth/me'), { requestContext: { http: { sourceIp } } });
      const first = [];
      for (let i = 0; i < 3; i++) first.push((await from('198.51.100.7')).status);
      expect(first).toEqual([200, 200, 429]);
      expect((await from('203.0.113.9')).status).toBe(200);
    } finally {
      await hub.stop();
    }
  });

  it('disabled: every caller acts as admin, and a deployment refuses the mode', async () => {
    const hub = await startTestHub({ HUB_AUTH_MODE: 'disabled' });
    try {
      expect((await hub.fetch('/api/v1/users')).status).toBe(200);
    } finally {
      await hub.stop();
    }
    expect(() => loadConfig({ HUB_AUTH_MODE: 'disabled', HUB_ENVIRONMENT: 'aws' })).toThrow(/local run only/);
  });
});

describe('the OpenAPI document', () => {
  it('lists every identity endpoint with its security scheme; login and refresh are public', async () => {
    const hub = await startTestHub();
    try {
      const doc = await json(await hub.fetch('/api/v1/openapi.json'));
      const expected: [string, string][] = [
        ['/api/v1/auth/login', 'post'],
        ['/api/v1/auth/refresh', 'post'],
        ['/api/v1/auth/logout', 'post'],
        ['/api/v1/auth/me', 'get'],
        ['/api/v1/auth/change-password', 'post'],
        ['/api/v1/auth/2fa/setup', 'post'],
        ['/api/v1/auth/2fa/verify', 'post'],
        ['/api/v1/auth/2fa/disable', 'post'],
        ['/api/v1/auth/api-keys', 'post'],
        ['/api/v1/auth/api-keys', 'get'],
        ['/api/v1/auth/api-keys/{id}', 'delete'],
        ['/api/v1/users', 'get'],
        ['/api/v1/users', 'post'],
        ['/api/v1/users/{id}', 'get'],
        ['/api/v1/users/{id}', 'patch'],
        ['/api/v1/users/{id}', 'delete'],
        ['/api/v1/users/{id}/unlock', 'post'],
        ['/api/v1/users/{id}/cluster-permissions', 'get'],
        ['/api/v1/users/{id}/cluster-permissions', 'post'],
        ['/api/v1/users/{id}/cluster-permissions/{clusterId}', 'delete'],
        ['/api/v1/audit-log', 'get'],
      ];
      for (const [path, method] of expected) {
        const operation = doc.paths[path]?.[method];
        expect(operation, `${method} ${path}`).toBeDefined();
        const isPublic = path.endsWith('/login') || path.endsWith('/refresh');
        expect(operation.security, `${method} ${path}`).toEqual(isPublic ? undefined : [{ bearerAuth: [] }, { apiKey: [] }]);
      }
    } finally {
      await hub.stop();
    }
  });
});
