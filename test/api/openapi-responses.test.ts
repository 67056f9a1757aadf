import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '#shared/http/app.ts';
import { testClusters } from '#test/support/clusters.ts';
import { json } from '#test/support/http.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, bearer, jsonPost, login } from '#test/support/identity.ts';

/**
 * What the hub answers before a route's handler runs, against what the document says: 405 for a
 * method a path does not have, 400 for a malformed path parameter, 413 for a body over the limit,
 * 415 for a body that is not JSON. Each answer is a problem document and a documented response.
 */

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const PROBLEM = 'application/problem+json';

interface Operation {
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
}

let hub: TestHub;
let admin: Record<string, string>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let doc: any;
let operations: { method: string; path: string; operation: Operation }[];
beforeAll(async () => {
  hub = await startTestHub();
  admin = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
  doc = await json(await hub.fetch('/api/v1/openapi.json'));
  operations = Object.entries<Record<string, Operation>>(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ method, path, operation: item[method]! })),
  );
});
afterAll(async () => hub?.stop());

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request on a connection of its own, through node:http: fetch refuses to send TRACE, and a
 * connection the hub closes after refusing a large body must not be reused by the next test.
 */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> {
  const url = new URL(path, hub.url);
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    // The hub may answer (413) and close before it has read all of a large body.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    req.end(body);
  });
}

/** A documented path with every parameter filled in with a value its pattern takes. */
const concrete = (path: string) => path.replaceAll(/\{\w+\}/g, '00000000-0000-0000-0000-000000000000');

describe('methods a path does not have', () => {
  it('answer 405 with Allow listing exactly the documented methods (and HEAD with GET), as a problem document', async () => {
    for (const [path, item] of Object.entries<Record<string, unknown>>(doc.paths)) {
      const documented = METHODS.filter((m) => item[m]).map((m) => m.toUpperCase());
      const expected = [...documented, ...(documented.includes('GET') ? ['HEAD'] : [])].sort();
      for (const method of ['TRACE', 'OPTIONS', ...METHODS.map((m) => m.toUpperCase()).filter((m) => !documented.includes(m))]) {
        const res = await raw(method, concrete(path), admin);
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(String(res.headers.allow).split(', ').sort(), `${method} ${path}`).toEqual(expected);
        expect(res.headers['content-type'], `${method} ${path}`).toBe(PROBLEM);
        expect(JSON.parse(res.body).code).toBe('METHOD_NOT_ALLOWED');
      }
    }
  });

  it('answer 405 on a literal path even where a parameter path beside it has the method', async () => {
    // PATCH /clusters/{clusterId} exists, but /clusters/discover is not a cluster.
    const res = await hub.fetch('/api/v1/clusters/discover', { method: 'PATCH', headers: admin });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('leave unknown paths at 404', async () => {
    const res = await raw('TRACE', '/api/v1/no-such-thing');
    expect(res.status).toBe(404);
    expect(res.headers.allow).toBeUndefined();
  });
});

describe('refusals before the handler, each documented where it can happen', () => {
  it('a malformed path parameter answers 400 VALIDATION_ERROR naming it, on every operation with one', async () => {
    const withParams = operations.filter(({ operation }) => operation.parameters?.some((p) => p.in === 'path'));
    expect(withParams.length).toBeGreaterThan(15);
    for (const { method, path, operation } of withParams) {
      expect(Object.keys(operation.responses), `${method} ${path}`).toContain('400');
      const res = await hub.fetch(path.replaceAll(/\{\w+\}/g, 'not_an~id'), { method: method.toUpperCase(), headers: admin });
      expect(res.status, `${method} ${path}`).toBe(400);
      const body = await json(res);
      expect(body.code).toBe('VALIDATION_ERROR');
      expect(body.errors[0].location, `${method} ${path}`).toBe('param');
    }
  });

  it('a body that is not JSON answers 415 UNSUPPORTED_MEDIA_TYPE, on every operation that takes one', async () => {
    const withBody = operations.filter(({ operation }) => operation.requestBody);
    expect(withBody.length).toBeGreaterThan(10);
    for (const { method, path, operation } of withBody) {
      expect(Object.keys(operation.responses), `${method} ${path}`).toContain('415');
      // /auth/login and /auth/refresh need no token; a token does no harm there.
      const res = await hub.fetch(concrete(path), { method: method.toUpperCase(), headers: { ...admin, 'Content-Type': 'text/plain' }, body: 'name=x' });
      expect(res.status, `${method} ${path}`).toBe(415);
      expect(res.headers.get('content-type')).toBe(PROBLEM);
      expect((await json(res)).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('a body over the limit answers 413 PAYLOAD_TOO_LARGE, documented on every operation that can carry one', async () => {
    for (const { method, path, operation } of operations) {
      if (operation.requestBody || method !== 'get') expect(Object.keys(operation.responses), `${method} ${path}`).toContain('413');
    }
    const body = JSON.stringify({ username: 'big', password: 'x'.repeat(MAX_BODY_BYTES), role: 'viewer' });
    const res = await raw('POST', '/api/v1/users', { ...admin, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }, body);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('an admin-only operation lists the 403 its guard answers to anyone less', () => {
    for (const [path, method] of [
      ['/api/v1/users', 'get'],
      ['/api/v1/audit-log', 'get'],
      ['/api/v1/clusters/discover', 'get'],
      ['/api/v1/auth/signing-keys/rotate', 'post'],
    ] as const) {
      expect(Object.keys(doc.paths[path][method].responses), `${method} ${path}`).toContain('403');
    }
  });
});

describe('rules the schema cannot state', () => {
  it('are in the description of each operation they govern', () => {
    const description = (path: string, method: string) => String(doc.paths[path][method].description ?? '');
    for (const [path, method] of [
      ['/api/v1/users', 'post'],
      ['/api/v1/users/{id}', 'patch'],
      ['/api/v1/auth/change-password', 'post'],
    ]) {
      expect(description(path!, method!), `${method} ${path}: the password policy`).toMatch(/12 to 256 characters.*username.*well-known/);
    }
    expect(description('/api/v1/clusters', 'post'), 'one credential source').toMatch(/exactly one credential source/);
    for (const { method, path, operation } of operations) {
      if (operation.parameters?.some((p) => p.name === 'continue')) expect(description(path, method), `${method} ${path}`).toMatch(/`continue` is opaque/);
    }
    // What the schema can state, it states: the policy's minimum length, a change that names something.
    expect(doc.components.schemas.CreateUserRequest.properties.password.minLength).toBe(12);
    expect(doc.components.schemas.UpdateUserRequest.minProperties).toBe(1);
    expect(doc.components.schemas.UpdateClusterRequest.minProperties).toBe(1);
  });
});

describe('the POSTs that start work', () => {
  it('document the Idempotency-Key header, the 409 of a key reused for other work, the 503 of a queue that cannot take the work, and a 202 pointing at the operation', async () => {
    const starters = operations.filter(({ method, operation }) => method === 'post' && operation.responses['202']);
    expect(starters.map((o) => o.path).sort()).toEqual(['/api/v1/clusters/{clusterId}/inventory/refresh', '/api/v1/clusters/{clusterId}/sweep']);
    for (const { path, operation } of starters) {
      const header = operation.parameters?.find((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
      expect(header, `${path}: Idempotency-Key`).toMatchObject({ required: false, schema: { type: 'string', maxLength: 128 } });
      // 409: the key started other work (IDEMPOTENCY_KEY_REUSED); 503: the queue did not take the work (QUEUE_UNAVAILABLE).
      expect(Object.keys(operation.responses), path).toEqual(expect.arrayContaining(['409', '503']));
      expect(operation.responses['202']!.headers, path).toHaveProperty('Location');
    }
    // The header is validated where it is documented: a key with a space is refused before any work is queued.
    const res = await hub.fetch('/api/v1/clusters/no-such-cluster/sweep', { method: 'POST', headers: { ...admin, 'Idempotency-Key': 'has a space' } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await json(res))).toMatch(/idempotency-key/i);
  });
});

describe('the kubeconfig download', () => {
  it('is served and documented as a text attachment, not as JSON or YAML data', async () => {
    const documented = doc.paths['/api/v1/clusters/{clusterId}/kubeconfig'].get.responses[200];
    expect(Object.keys(documented.content)).toEqual(['text/plain']);
    expect(Object.keys(documented.headers)).toEqual(['Content-Disposition']);

    const alpha = testClusters()[0]!;
    const registered = await json(await hub.fetch('/api/v1/clusters', jsonPost({ name: 'download-me', kubeconfig: alpha.adminKubeconfig }, admin)));
    const res = await hub.fetch(`/api/v1/clusters/${registered.id}/kubeconfig`, { headers: admin });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="download-me.kubeconfig.yaml"');
    expect(await res.text()).toContain('apiVersion: v1');
  });
});
