import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from '#test/support/http.ts';
import { startTestHub, startTestHubOnOwnDatabase, type TestHub } from '#test/support/hub.ts';
import pkg from '../../package.json' with { type: 'json' };

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => hub?.stop());

describe('system endpoints over real HTTP', () => {
  it.each(['/health', '/api/v1/health'])('GET %s reports a healthy service from a live table check', async (path) => {
    const res = await hub.fetch(path);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ status: 'healthy', version: pkg.version, services: { database: { status: 'up' } } });
    expect(body.uptime_seconds).toBeGreaterThanOrEqual(0);
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('serves a generated OpenAPI 3.1 document listing the routes and security schemes', async () => {
    const res = await hub.fetch('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = await json(res);
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/health', '/api/v1/openapi.json', '/api/v1/capabilities']));
    expect(Object.keys(doc.components.securitySchemes)).toEqual(expect.arrayContaining(['bearerAuth', 'apiKey']));
    expect(doc.components.schemas.Problem).toBeDefined();
  });

  it('serves Swagger UI on the document', async () => {
    const res = await hub.fetch('/api/v1/docs');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('SwaggerUIBundle');
    expect(html).toContain('/api/v1/openapi.json');
  });

  it('describes its capabilities', async () => {
    const body = await json(await hub.fetch('/capabilities'));
    expect(body).toMatchObject({ version: pkg.version, auth_mode: 'required', environment: 'local' });
    expect(body.endpoint_groups).toContain('system');
  });

  it('answers an unknown route with 404 NOT_FOUND and the request id', async () => {
    const res = await hub.fetch('/api/v1/definitely-not-a-route', { headers: { 'X-Request-ID': 'trace-42' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await json(res)).toMatchObject({ code: 'NOT_FOUND', request_id: 'trace-42' });
  });
});

describe('health when the table is unreachable', () => {
  // It starts a DynamoDB Local of its own (a JVM), which a busy machine takes long to start.
  it('answers 503 unhealthy with the database down', { timeout: 180_000 }, async () => {
    const { hub: own, database: db } = await startTestHubOnOwnDatabase();
    try {
      expect((await own.fetch('/health')).status).toBe(200);
      await db.stop();
      const res = await own.fetch('/health');
      expect(res.status).toBe(503);
      expect(await json(res)).toMatchObject({ status: 'unhealthy', services: { database: { status: 'down' } } });
    } finally {
      await own.stop();
      await db.stop();
    }
  });
});
