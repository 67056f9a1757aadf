import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterRecord } from '#test/support/clusters.ts';
import { tamperedTokens, withSortKey } from '#test/support/continue-tokens.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';

let hub: TestHub;
let admin: Record<string, string>;
let viewer: Record<string, string>;
let adminId: string;
let userId: string;
let hiding: Record<string, string>;
const clusterIds: string[] = [];
const started = new Date().toISOString();

beforeAll(async () => {
  hub = await startTestHub();
  const adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  admin = bearer(adminToken);
  adminId = (await json(await hub.fetch('/api/v1/auth/me', { headers: admin }))).id;
  const created = await createUser(hub, adminToken, 'vera', 'viewer');
  userId = created.id;
  viewer = bearer((await login(hub, 'vera', created.password)).access_token);
  const other = await createUser(hub, adminToken, 'hana', 'viewer');
  await createUser(hub, adminToken, 'ivan', 'viewer');
  for (const name of ['kiwi', 'lime', 'mango', 'nectarine']) {
    clusterIds.push((await hub.deps.clusters.clusters.create(clusterRecord(name, { labels: { env: name === 'mango' ? 'test' : 'prod' } }))).id);
  }
  // Audit entries by the admin, on clusters, to page through; hana may not see lime.
  const grants: [string, string, string][] = [
    ...clusterIds.map((clusterId, i): [string, string, string] => [userId, clusterId, i % 2 ? 'operator' : 'viewer']),
    [other.id, clusterIds[0]!, 'operator'],
    [other.id, clusterIds[1]!, 'none'],
  ];
  for (const [user, clusterId, role] of grants) {
    expect((await hub.fetch(`/api/v1/users/${user}/cluster-permissions`, jsonPost({ cluster_id: clusterId, role }, admin))).status).toBe(200);
  }
  hiding = bearer((await login(hub, 'hana', other.password)).access_token);
  for (const name of ['one', 'two', 'three']) {
    expect((await hub.fetch('/api/v1/auth/api-keys', jsonPost({ name, current_password: created.password }, viewer))).status).toBe(201);
  }
});
afterAll(async () => hub?.stop());

const withContinue = (path: string, token: string) => `${path}${path.includes('?') ? '&' : '?'}continue=${encodeURIComponent(token)}`;

/** Every id of a list, read one item per page; fails on any page that is not 200. */
async function walk(path: string, headers: Record<string, string>): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const res = await hub.fetch(token ? withContinue(path, token) : path, { headers });
    expect(res.status, path).toBe(200);
    const page = await json(res);
    ids.push(...page.items.map((i: { id: string }) => i.id));
    token = page.metadata.continue;
  } while (token);
  return ids;
}

/** A first page's token, asserting there is one. */
async function firstToken(path: string, headers: Record<string, string>): Promise<string> {
  const page = await json(await hub.fetch(path, { headers }));
  expect(page.metadata.continue, path).toBeTruthy();
  return page.metadata.continue;
}

async function expectInvalidToken(res: Response, what: string) {
  const body = await json(res);
  expect(res.status, `${what}: ${JSON.stringify(body)}`).toBe(400);
  expect(body.code, what).toBe('VALIDATION_ERROR');
  expect(body.errors, what).toEqual([{ field: 'continue', location: 'query', message: 'invalid continue token' }]);
}

// Each paginated list, read with one item per page, as whoever may read it.
const lists = () => [
  { name: 'clusters', path: '/api/v1/clusters?limit=1', headers: viewer },
  { name: 'clusters by label', path: '/api/v1/clusters?limit=1&label=env=prod', headers: viewer },
  { name: 'users', path: '/api/v1/users?limit=1', headers: admin },
  { name: 'API keys', path: '/api/v1/auth/api-keys?limit=1', headers: viewer },
  { name: 'audit log', path: '/api/v1/audit-log?limit=1', headers: admin },
  { name: 'audit log of a user', path: `/api/v1/audit-log?limit=1&user_id=${adminId}`, headers: admin },
  { name: 'audit log of a cluster', path: `/api/v1/audit-log?limit=1&cluster_id=${clusterIds[0]}&since=${encodeURIComponent(started)}`, headers: admin },
];

describe('continue tokens', () => {
  it('page every list one item at a time with no duplicate and no gap', async () => {
    for (const { path, headers } of lists()) {
      const whole = await json(await hub.fetch(path.replace('limit=1', 'limit=500'), { headers }));
      const paged = await walk(path, headers);
      expect(paged, path).toEqual(whole.items.map((i: { id: string }) => i.id));
      expect(new Set(paged).size, path).toBe(paged.length);
    }
  });

  it('are refused with 400 when sent with other filters than the ones that produced them', async () => {
    const replays: [string, Record<string, string>, string[]][] = [
      ['/api/v1/clusters?limit=1', viewer, ['status=connected', 'label=env=prod', 'search=i', 'provider=generic']],
      ['/api/v1/clusters?limit=1&label=env=prod', viewer, ['label=env=test', 'label=env=prod&search=l']],
      ['/api/v1/audit-log?limit=1', admin, [`user_id=${adminId}`, `cluster_id=${clusterIds[0]}`, 'action=auth.login', `until=${encodeURIComponent(started)}`]],
      [
        `/api/v1/audit-log?limit=1&user_id=${adminId}`,
        admin,
        [`user_id=${userId}`, `cluster_id=${clusterIds[0]}`, `since=${encodeURIComponent(new Date().toISOString())}`],
      ],
    ];
    for (const [path, headers, others] of replays) {
      const token = await firstToken(path, headers);
      for (const other of others) {
        const base = path.split('?')[0]!;
        await expectInvalidToken(await hub.fetch(withContinue(`${base}?limit=1&${other}`, token), { headers }), `${path} then ${other}`);
      }
      // user_id dropped: the same list without the filter that chose the partition.
      if (path.includes('user_id')) {
        await expectInvalidToken(await hub.fetch(withContinue('/api/v1/audit-log?limit=1', token), { headers }), `${path} without user_id`);
      }
    }
    // A token of one list is no token for another list.
    const usersToken = await firstToken('/api/v1/users?limit=1', admin);
    await expectInvalidToken(await hub.fetch(withContinue('/api/v1/audit-log?limit=1', usersToken), { headers: admin }), 'users token on the audit log');
    await expectInvalidToken(await hub.fetch(withContinue('/api/v1/clusters?limit=1', usersToken), { headers: viewer }), 'users token on clusters');
  });

  it('stay valid with another page size, in another order of the same filters, and for a caller who may see less', async () => {
    const path = '/api/v1/clusters?limit=1&label=env=prod&status=connected';
    const token = await firstToken(path, viewer);
    const names = async (res: Response) => {
      expect(res.status).toBe(200);
      return (await json(res)).items.map((c: { name: string }) => c.name);
    };
    expect(await names(await hub.fetch(withContinue('/api/v1/clusters?status=connected&label=env=prod&limit=5', token), { headers: viewer }))).toEqual([
      'lime',
      'nectarine',
    ]);
    // Hana may not see lime: the same token resumes her list past kiwi without it.
    expect(await names(await hub.fetch(withContinue(path.replace('limit=1', 'limit=5'), token), { headers: hiding }))).toEqual(['nectarine']);
  });

  it('are refused with 400 when their key is bent in any way, on every list, as any caller who may read it', async () => {
    for (const { name, path, headers } of lists()) {
      const token = await firstToken(path, headers);
      for (const [how, tampered] of Object.entries(tamperedTokens(token))) {
        await expectInvalidToken(await hub.fetch(withContinue(path, tampered), { headers }), `${name}: ${how}`);
      }
    }
  });

  it('are refused with 400 when their key lies outside the time window of the audit query', async () => {
    const path = `/api/v1/audit-log?limit=1&since=${encodeURIComponent(started)}`;
    const token = await firstToken(path, admin);
    await expectInvalidToken(await hub.fetch(withContinue(path, withSortKey(token, '2001-01-01T00:00:00.000Z#x')), { headers: admin }), 'before since');
    await expectInvalidToken(await hub.fetch(withContinue(path, withSortKey(token, '\uffff')), { headers: admin }), 'after until');
  });
});

describe('the audit time window', () => {
  it('refuses since later than until with 400 naming both', async () => {
    const res = await hub.fetch('/api/v1/audit-log?since=2030-01-01T00:00:00Z&until=2020-01-01T00:00:00Z', { headers: admin });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.code).toBe('VALIDATION_ERROR');
    expect(body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['since', 'until']);
    // Times are compared as instants, whatever their offsets; an empty window of one instant is fine.
    const sameInstant = await hub.fetch(`/api/v1/audit-log?since=${encodeURIComponent('2030-01-01T02:00:00+02:00')}&until=2030-01-01T00:00:00Z`, {
      headers: admin,
    });
    expect(sameInstant.status).toBe(200);
    expect((await json(sameInstant)).items).toEqual([]);
    expect((await hub.fetch('/api/v1/audit-log?since=2030-01-01T00:00:00Z&until=2030-01-01T00:00:00Z&format=csv', { headers: admin })).status).toBe(200);
    expect((await hub.fetch('/api/v1/audit-log?since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z&format=csv', { headers: admin })).status).toBe(400);
  });
});
