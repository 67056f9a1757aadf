import { createRoute, z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { json } from '#test/support/http.ts';
import { createApi, createRouter } from '#shared/http/app.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { pageQuery } from '#shared/http/pagination.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import { createLogger } from '#shared/observability/logger.ts';

// A small group exercising the shared conventions every real group inherits.
function conventionsApp() {
  const api = createRouter();
  api.openapi(
    createRoute({
      method: 'post',
      path: '/widgets',
      request: {
        body: { content: { 'application/json': { schema: z.object({ name: z.string().min(3), size: z.number().int().positive() }) } } },
      },
      responses: { 201: jsonContent(z.object({ name: z.string() }), 'created'), ...errorResponses(400) },
    }),
    (c) => c.json({ name: c.req.valid('json').name }, 201),
  );
  api.openapi(
    createRoute({ method: 'get', path: '/widgets', request: { query: pageQuery }, responses: { 200: jsonContent(z.object({ limit: z.number() }), 'ok') } }),
    (c) => c.json({ limit: c.req.valid('query').limit }, 200),
  );
  api.get('/missing', () => {
    throw new NotFoundError('Widget w-1 does not exist.');
  });
  api.get('/broken', () => {
    throw new Error('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2');
  });
  const logs: string[] = [];
  const app = createApi([{ name: 'widgets', api }], createLogger({}, { write: (l) => logs.push(l) }));
  return { app, logs };
}

const post = (body: string) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body });

describe('HTTP conventions', () => {
  it('answers malformed JSON with 400 VALIDATION_ERROR as a problem document', async () => {
    const { app } = conventionsApp();
    const res = await app.request('/api/v1/widgets', post('{"name": '));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = await json(res);
    expect(body).toMatchObject({ status: 400, code: 'VALIDATION_ERROR', title: 'Bad Request' });
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('lists every failing field of a schema failure', async () => {
    const { app } = conventionsApp();
    const res = await app.request('/api/v1/widgets', post(JSON.stringify({ name: 'x', size: -1 })));
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.code).toBe('VALIDATION_ERROR');
    expect(body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['name', 'size']);
    expect(body.errors[0].location).toBe('body');
  });

  it('validates pagination: limit defaults to 50 and is capped at 500', async () => {
    const { app } = conventionsApp();
    expect(await json(await app.request('/api/v1/widgets'))).toEqual({ limit: 50 });
    const res = await app.request('/api/v1/widgets?limit=501');
    expect(res.status).toBe(400);
    expect((await json(res)).errors[0]).toMatchObject({ field: 'limit', location: 'query' });
  });

  it('maps business errors to their status and code', async () => {
    const { app } = conventionsApp();
    const res = await app.request('/api/v1/missing');
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ code: 'NOT_FOUND', detail: 'Widget w-1 does not exist.' });
  });

  it('answers unexpected errors with 500 and no internals, logging them instead', async () => {
    const { app, logs } = conventionsApp();
    const res = await app.request('/api/v1/broken');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text).code).toBe('INTERNAL_ERROR');
    expect(text).not.toMatch(/ECONNREFUSED|10\.0\.0\.5|hunter2/);
    expect(logs.some((l) => l.includes('unhandled error'))).toBe(true);
  });

  it('answers unknown routes with a 404 problem document', async () => {
    const { app } = conventionsApp();
    const res = await app.request('/api/v1/nothing-here', { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('echoes a sane X-Request-ID and replaces one that could inject into logs', async () => {
    const { app } = conventionsApp();
    const echoed = await app.request('/api/v1/widgets', { headers: { 'X-Request-ID': 'abc-123' } });
    expect(echoed.headers.get('x-request-id')).toBe('abc-123');
    const replaced = await app.request('/api/v1/widgets', { headers: { 'X-Request-ID': 'a b\tc<script>' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const { app } = conventionsApp();
    const res = await app.request('/api/v1/widgets', post(JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10), size: 1 })));
    expect(res.status).toBe(413);
    expect((await json(res)).code).toBe('PAYLOAD_TOO_LARGE');
  });
});
