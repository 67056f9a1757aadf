import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointGroups } from '#shared/api/catalog.ts';
import { API_BASE, createApi } from '#shared/http/app.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { json } from '#test/support/http.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';

/**
 * The OpenAPI document against the routes the app really serves: taken from the
 * composed Hono app (the composition the local run, the tests and the document use;
 * each Lambda serves a subset of it), never from a hand-written list. A route added
 * with `api.get(...)` instead of `api.openapi(createRoute(...))` fails here.
 */

/** Served routes that are not API operations, each with the reason it is not in the document. */
const NOT_OPERATIONS: { method: string; path: string; why: string }[] = [
  // createApi's middleware (request context, security headers, body limit): every request passes it, it answers none itself.
  { method: 'ALL', path: '/*', why: 'middleware only' },
  // Swagger UI: an HTML page that renders /api/v1/openapi.json, not an operation of the API.
  { method: 'GET', path: `${API_BASE}/docs`, why: 'Swagger UI HTML' },
  { method: 'GET', path: `${API_BASE}/docs/assets/:file`, why: 'the files Swagger UI loads' },
  // The unversioned copies for probes and scrapers: documented once, under /api/v1, or a generated client would get each twice.
  ...['/health', '/capabilities', '/metrics'].map((path) => ({ method: 'GET', path, why: `alias of ${API_BASE}${path}` })),
];

/** The system endpoints: no authentication and no rate limit, so probes and scrapers always get through. */
const SYSTEM = ['/health', '/capabilities', '/metrics', '/openapi.json'].map((path) => `GET ${API_BASE}${path}`);
/** Public but rate limited (per client IP): the ways to get a token. */
const PUBLIC_RATE_LIMITED = [`POST ${API_BASE}/auth/login`, `POST ${API_BASE}/auth/refresh`];

const SECURITY = [{ bearerAuth: [] }, { apiKey: [] }];
const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Hono's `/users/:id` as OpenAPI's `/users/{id}` (a `:id{regex}` constraint dropped). */
const openApiPath = (path: string) => path.replaceAll(/:(\w+)(\{[^}]*\})?/g, '{$1}');

interface Operation {
  security?: unknown;
  responses: Record<string, { content?: Record<string, unknown> }>;
}

let hub: TestHub;
let served: string[];
let documented: Map<string, Operation>;
beforeAll(async () => {
  hub = await startTestHub();
  const app = createApi(endpointGroups(hub.deps), createLogger({}, { level: 'error' }));
  // A route's middleware and validators are entries of their own: one key per method and path.
  served = [...new Set(app.routes.map((r) => `${r.method} ${r.path}`))];
  const res = await hub.fetch(`${API_BASE}/openapi.json`);
  expect(res.status).toBe(200);
  const doc = await json(res);
  expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKey', 'bearerAuth']);
  documented = new Map();
  for (const [path, item] of Object.entries<Record<string, Operation>>(doc.paths)) {
    for (const method of METHODS) if (item[method]) documented.set(`${method.toUpperCase()} ${path}`, item[method]);
  }
});
afterAll(async () => hub?.stop());

const isSystem = (key: string) => SYSTEM.includes(key);
const isPublic = (key: string) => isSystem(key) || PUBLIC_RATE_LIMITED.includes(key);

describe('OpenAPI coverage of the served routes', () => {
  it('documents every served route, and only served routes', () => {
    const skipped = new Set(NOT_OPERATIONS.map((r) => `${r.method} ${r.path}`));
    const operations = served.filter((key) => !skipped.has(key));
    expect(operations.length).toBeGreaterThan(30);
    const undocumented = operations.filter((key) => {
      const [method, path] = key.split(' ') as [string, string];
      return !documented.has(`${method} ${openApiPath(path)}`);
    });
    expect(undocumented, 'served but missing from /api/v1/openapi.json: declare them with createRoute').toEqual([]);

    const servedOperations = new Set(operations.map((key) => openApiPath(key)));
    expect(
      [...documented.keys()].filter((key) => !servedOperations.has(key)),
      'documented but not served',
    ).toEqual([]);
  });

  it('keeps the allow-list honest: every entry is still served', () => {
    for (const { method, path, why } of NOT_OPERATIONS) expect(served, `${method} ${path} (${why})`).toContain(`${method} ${path}`);
  });

  it('declares bearer and API-key security on every operation but the public ones', () => {
    for (const [key, operation] of documented) {
      expect(operation.security, key).toEqual(isPublic(key) ? undefined : SECURITY);
    }
  });

  it('lists 401 and 429 on every guarded operation, 429 on login and refresh, and errors as problem documents', () => {
    for (const [key, operation] of documented) {
      const statuses = Object.keys(operation.responses);
      if (!isSystem(key)) expect(statuses, `${key} is rate limited`).toContain('429');
      if (!isPublic(key)) expect(statuses, `${key} needs authentication`).toContain('401');
      if (isSystem(key)) continue; // health answers 503 with its own report
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        expect(operation.responses[status]!.content, `${key} ${status}`).toEqual(PROBLEM);
      }
    }
  });

  // The document's security claims checked against the app: what it says needs credentials refuses a call without any.
  it('refuses an anonymous call to every secured operation with 401, and lets public ones through', async () => {
    for (const [key, operation] of documented) {
      const [method, path] = key.split(' ') as [string, string];
      const res = await hub.fetch(path.replaceAll(/\{\w+\}/g, 'probe'), { method });
      await res.body?.cancel();
      if (operation.security) expect(res.status, key).toBe(401);
      else expect(res.status, key).not.toBe(401);
      // The token routes are counted per IP before they run; elsewhere authentication comes first, then the count.
      if (PUBLIC_RATE_LIMITED.includes(key)) expect(res.headers.get('x-ratelimit-limit'), key).toBeTruthy();
      if (isSystem(key)) expect(res.headers.get('x-ratelimit-limit'), key).toBeNull();
    }
  });
});
