import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';

let hub: TestHub;
let admin: Record<string, string>;
let adminId: string;
const started = new Date().toISOString();
beforeAll(async () => {
  hub = await startTestHub();
  await hub.fetch('/api/v1/auth/login', jsonPost({ username: 'admin', password: 'a-wrong-password' }));
  admin = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
  adminId = (await json(await hub.fetch('/api/v1/auth/me', { headers: admin }))).id;
});
afterAll(async () => hub?.stop());

const audit = async (query = '') => json(await hub.fetch(`/api/v1/audit-log${query}`, { headers: admin }));

describe('audit log', () => {
  it('records login attempts, failed and successful, with the full entry shape', async () => {
    const { items } = await audit('?action=auth.login');
    expect(items.map((e: { status_code: number }) => e.status_code)).toEqual([200, 401]);
    expect(items[1]).toMatchObject({ action: 'auth.login', user_id: adminId, username: 'admin', status_code: 401, request_ip: '127.0.0.1' });
    expect(Object.keys(items[0]).sort()).toEqual(
      [
        'action',
        'cluster_id',
        'details',
        'id',
        'request_id',
        'request_ip',
        'resource_id',
        'resource_kind',
        'status_code',
        'timestamp',
        'user_id',
        'username',
      ].sort(),
    );
  });

  it('records every change with who did it, what, and how it ended', async () => {
    const created = await hub.fetch('/api/v1/users', jsonPost({ username: 'olga', password: 'secret-is-long-for-o', role: 'viewer' }, admin));
    const refused = await hub.fetch('/api/v1/users', jsonPost({ username: 'olga', password: 'another-long-secret', role: 'viewer' }, admin));
    expect([created.status, refused.status]).toEqual([201, 409]);
    const { items } = await audit('?action=user.create');
    expect(items.map((e: { status_code: number }) => e.status_code)).toEqual([409, 201]);
    expect(items[1]).toMatchObject({
      user_id: adminId,
      resource_kind: 'user',
      resource_id: (await json(created)).id,
      request_id: created.headers.get('x-request-id'),
    });
    expect(JSON.stringify(items)).not.toContain('secret-is-long-for-o');
  });

  it('records a change the role check refuses, but not an unauthenticated one (anyone could flood the trail)', async () => {
    const { id, password } = await createUser(hub, admin.Authorization!.slice(7), 'quinn', 'viewer');
    const quinn = bearer((await login(hub, 'quinn', password)).access_token);
    const forbidden = await hub.fetch('/api/v1/users', jsonPost({ username: 'quinns-friend', password: 'long-enough-password', role: 'admin' }, quinn));
    const anonymous = await hub.fetch('/api/v1/users', jsonPost({ username: 'nobodys-friend', password: 'long-enough-password', role: 'admin' }));
    expect([forbidden.status, anonymous.status]).toEqual([403, 401]);
    const { items } = await audit('?action=user.create');
    const refusals = items.filter((e: { status_code: number }) => e.status_code === 401 || e.status_code === 403);
    expect(refusals).toEqual([
      expect.objectContaining({ status_code: 403, user_id: id, username: 'quinn', request_id: forbidden.headers.get('x-request-id') }),
    ]);
    expect(JSON.stringify(items)).not.toContain('long-enough-password');
  });

  it('filters by user, time range and pages with continue', async () => {
    const { id, password } = await createUser(hub, admin.Authorization!.slice(7), 'pat', 'operator');
    const pat = bearer((await login(hub, 'pat', password)).access_token);
    await hub.fetch('/api/v1/auth/api-keys', jsonPost({ name: 'pats-key', current_password: password }, pat));
    const mine = await audit(`?user_id=${id}`);
    expect(mine.items.map((e: { action: string }) => e.action)).toEqual(['api_key.create', 'auth.login']);

    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await audit(`?since=${encodeURIComponent(future)}`)).items).toEqual([]);
    const all = await audit(`?since=${encodeURIComponent(started)}&limit=500`);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await audit(`?since=${encodeURIComponent(started)}&limit=2${cursor ? `&continue=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...page.items.map((e: { id: string }) => e.id));
      cursor = page.metadata.continue;
    } while (cursor);
    expect(seen).toEqual(all.items.map((e: { id: string }) => e.id));
    const times = all.items.map((e: { timestamp: string }) => e.timestamp);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('exports CSV, quoting cells and defusing spreadsheet formulas', async () => {
    await hub.fetch('/api/v1/auth/login', jsonPost({ username: '=cmd|calc', password: 'x' }));
    const res = await hub.fetch('/api/v1/audit-log?format=csv&action=auth.login', { headers: admin });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toContain('attachment');
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('id,timestamp,user_id,username,action,resource_kind,resource_id,cluster_id,status_code,request_ip,request_id,details');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(lines[1]).toContain(",'=cmd|calc,auth.login,");
  });

  it('rejects bad filters', async () => {
    const res = await hub.fetch('/api/v1/audit-log?since=yesterday&format=xml', { headers: admin });
    expect(res.status).toBe(400);
    expect((await json(res)).errors.map((e: { field: string }) => e.field).sort()).toEqual(['format', 'since']);
  });
});
