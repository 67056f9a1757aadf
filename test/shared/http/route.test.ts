import { serve, type ServerType } from '@hono/node-server';
import { z } from '@hono/zod-openapi';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, createRouter, type EndpointGroup } from '#shared/http/app.ts';
import { generateDocument, jsonContent } from '#shared/http/openapi.ts';
import { guardedRoutes } from '#shared/http/route.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { json } from '#test/support/http.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';

/**
 * Routes declared with the helper alone, served over real HTTP on a test hub's dependencies (its
 * table, its users and tokens): what the declaration says is what the guard enforces and what the
 * OpenAPI operation shows.
 */

const done = z.object({ done: z.boolean() });

function probeGroup(hub: TestHub): EndpointGroup {
  const api = createRouter();
  const route = guardedRoutes(api, hub.deps);
  route(
    {
      method: 'post',
      path: '/probes',
      tags: ['probes'],
      summary: 'A change for operators',
      access: 'operator',
      action: 'probe.run',
      responses: { 200: jsonContent(done, 'Done.') },
    },
    (c) => {
      // @ts-expect-error a route without a cluster role has no cluster in its context (tsc checks this line)
      expect(c.var.cluster).toBeUndefined();
      return c.json({ done: true }, 200);
    },
  );
  route(
    {
      method: 'get',
      path: '/clusters/{clusterId}/probe',
      tags: ['probes'],
      summary: 'A read of one cluster',
      cluster: 'viewer',
      request: { params: z.object({ clusterId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/) }) },
      responses: { 200: jsonContent(z.object({ name: z.string() }), 'The cluster of the path, as the handler found it.') },
    },
    (c) => c.json({ name: c.var.cluster.name }, 200),
  );
  return { name: 'probes', api };
}

let hub: TestHub;
let server: ServerType;
let url: string;
let group: EndpointGroup;
let adminToken: string;
const tokens: Record<'viewer' | 'operator' | 'hidden', string> = { viewer: '', operator: '', hidden: '' };
const clusterId = randomUUID();

beforeAll(async () => {
  hub = await startTestHub();
  group = probeGroup(hub);
  const app = createApi([group], createLogger({}, { level: 'error' }));
  server = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  const now = new Date().toISOString();
  // A record only: the probe route never calls the cluster, so it needs no server behind it.
  await hub.deps.clusters.clusters.create({
    id: clusterId,
    name: `route-helper-${clusterId.slice(0, 8)}`,
    context: 'probe',
    description: '',
    labels: {},
    serverUrl: 'https://127.0.0.1:1',
    kubernetesVersion: 'v1.0.0',
    provider: 'unknown',
    nodeCount: 0,
    status: 'connected',
    active: true,
    credentialRef: 'none',
    credentialKind: 'token',
    createdAt: now,
    updatedAt: now,
  });
  for (const role of ['viewer', 'operator', 'hidden'] as const) {
    const user = await createUser(hub, adminToken, `probe-${role}`, role === 'hidden' ? 'viewer' : role);
    if (role === 'hidden') {
      const res = await hub.fetch(`/api/v1/users/${user.id}/cluster-permissions`, jsonPost({ cluster_id: clusterId, role: 'none' }, bearer(adminToken)));
      expect(res.status).toBe(200);
    }
    tokens[role] = (await login(hub, `probe-${role}`, user.password)).access_token;
  }
}, 120_000);

afterAll(async () => {
  if (server) await new Promise((resolve) => server.close(resolve));
  await hub?.stop();
});

const call = (path: string, token?: string, init: RequestInit = {}) =>
  fetch(url + path, { ...init, headers: { ...(token ? bearer(token) : {}), ...(init.headers as Record<string, string> | undefined) } });

describe('a route declared operator', () => {
  it('answers 403 to a viewer, 401 to no one, and runs for an operator', async () => {
    const refused = await call('/api/v1/probes', tokens.viewer, { method: 'POST' });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await json(refused)).code).toBe('FORBIDDEN');
    expect((await call('/api/v1/probes', undefined, { method: 'POST' })).status).toBe(401);
    const ran = await call('/api/v1/probes', tokens.operator, { method: 'POST' });
    expect(ran.status).toBe(200);
    expect(await json(ran)).toEqual({ done: true });
  });

  it('audits the refusal and the change under its declared action', async () => {
    const res = await hub.fetch('/api/v1/audit-log?action=probe.run', { headers: bearer(adminToken) });
    const entries = (await json(res)).items as { username: string; status_code: number }[];
    expect(entries.map((e) => [e.username, e.status_code]).sort()).toEqual([
      ['probe-operator', 200],
      ['probe-viewer', 403],
    ]);
  });

  it('shows the security scheme and the 401, 403 and 429 answers in its OpenAPI operation', () => {
    const document = generateDocument(createApi([group], createLogger({}, { level: 'error' })), 'test') as unknown as {
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown>; description?: string }>>;
    };
    const operation = document.paths['/api/v1/probes']!.post!;
    expect(operation.security).toEqual([{ bearerAuth: [] }, { apiKey: [] }]);
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '429']));
    expect(operation.responses['403']).toMatchObject({ content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

    // A cluster route any viewer of the cluster may read: no 403, but 404 for a cluster they may not see.
    const clusterOperation = document.paths['/api/v1/clusters/{clusterId}/probe']!.get!;
    expect(Object.keys(clusterOperation.responses).sort()).toEqual(['200', '400', '401', '404', '429']);
    expect(clusterOperation.description).toMatch(/^Needs viewer on the cluster/);
  });
});

describe('a cluster route', () => {
  it('hands the handler the cluster of the path, for a caller who may see it', async () => {
    const res = await call(`/api/v1/clusters/${clusterId}/probe`, tokens.viewer);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ name: `route-helper-${clusterId.slice(0, 8)}` });
  });

  it('answers 404 when the caller may not see the cluster, as when it does not exist', async () => {
    const hidden = await call(`/api/v1/clusters/${clusterId}/probe`, tokens.hidden);
    const missing = await call(`/api/v1/clusters/${randomUUID()}/probe`, tokens.viewer);
    expect([hidden.status, missing.status]).toEqual([404, 404]);
    expect((await json(hidden)).code).toBe((await json(missing)).code);
  });
});
