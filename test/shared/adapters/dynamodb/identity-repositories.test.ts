/**
 * The identity ports' contracts on their adapters (DynamoDB Local): what the use cases rely on
 * when several Lambda instances write at once — unique names, compare-and-set rotation, exact
 * counters, ordered and filtered audit pages.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '#shared/adapters/dynamodb/create-table.ts';
import { DynamoApiKeyRepository } from '#shared/adapters/dynamodb/identity/api-key-repository.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/identity/audit-log.ts';
import { DynamoLoginCounterStore } from '#shared/adapters/dynamodb/identity/login-counters.ts';
import { DynamoSessionRepository } from '#shared/adapters/dynamodb/identity/session-repository.ts';
import { DynamoUserRepository } from '#shared/adapters/dynamodb/identity/user-repository.ts';
import { DynamoRateLimiter } from '#shared/adapters/dynamodb/rate-limiter.ts';
import { Table } from '#shared/adapters/dynamodb/table.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import type { LoginCounter, UserRecord } from '#shared/domain/identity/ports.ts';
import type { AuditEntry } from '#shared/ports/audit-log.ts';
import { localDynamoDbClient } from '#infra/local/dynamodb-local.ts';

const client = localDynamoDbClient(process.env.AWS_ENDPOINT_URL_DYNAMODB!);
const table = new Table(client, `identity-repositories-${randomUUID()}`);
const users = new DynamoUserRepository(table);
const sessions = new DynamoSessionRepository(table);
const apiKeys = new DynamoApiKeyRepository(table);
const audit = new DynamoAuditLog(table, 30);
const limiter = new DynamoRateLimiter(table);
const loginCounters = new DynamoLoginCounterStore(table);

beforeAll(async () => {
  await ensureTable(client, table.name);
});

const now = () => new Date().toISOString();
function newUser(username: string): Omit<UserRecord, 'version'> {
  return { id: randomUUID(), username, role: 'viewer', passwordHash: 'hash', failedLogins: 0, createdAt: now(), updatedAt: now() };
}

describe('user repository', () => {
  it('keeps usernames unique whatever their case, and a rename frees the old name', async () => {
    const zoe = await users.create(newUser('Zoe'));
    await expect(users.create(newUser('zoe'))).rejects.toThrow(ConflictError);
    await users.update(zoe, { username: 'zoe-renamed' });
    expect((await users.findByUsername('ZOE-RENAMED'))?.id).toBe(zoe.id);
    expect(await users.findByUsername('zoe')).toBeUndefined();
    expect((await users.create(newUser('zoe'))).username).toBe('zoe');
  });

  it('counts failures exactly under concurrency, and login bookkeeping never conflicts with an edit', async () => {
    const user = await users.create(newUser(`u-${randomUUID()}`));
    const counts = await Promise.all(Array.from({ length: 8 }, () => users.reserveFailedLogin(user.id, 100, now())));
    expect(counts.sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // Two logins and an admin's role change at once: all three succeed.
    await Promise.all([users.recordLogin(user.id, now()), users.recordLogin(user.id, now()), users.update(user, { role: 'operator' })]);
    expect(await users.get(user.id)).toMatchObject({ role: 'operator', failedLogins: 0, version: 2 });
  });

  it('accepts each TOTP step once: a login with an older or the same step is refused', async () => {
    const created = await users.create(newUser(`u-${randomUUID()}`));
    // Without 2FA there is no step to record: refused, not an error.
    expect(await users.recordLogin(created.id, now(), 100)).toBe(false);
    const user = await users.update(created, { totp: { sealedSecret: 'sealed', enabled: true } });
    expect(await users.recordLogin(user.id, now(), 100)).toBe(true);
    expect(await users.recordLogin(user.id, now(), 100)).toBe(false);
    expect(await users.recordLogin(user.id, now(), 99)).toBe(false);
    const racing = await Promise.all([users.recordLogin(user.id, now(), 101), users.recordLogin(user.id, now(), 101)]);
    expect(racing.sort()).toEqual([false, true]);
    expect((await users.get(user.id))?.totp?.lastStep).toBe(101);
    expect(await users.recordLogin(randomUUID(), now())).toBe(false);
  });

  it('reserves failed proofs before they are checked: of ten at once, exactly the limit count, and none while locked', async () => {
    const user = await users.create(newUser(`u-${randomUUID()}`));
    const reserved = await Promise.all(Array.from({ length: 10 }, () => users.reserveFailedLogin(user.id, 5, now())));
    expect(reserved.filter((n) => n !== undefined).sort()).toEqual([1, 2, 3, 4, 5]);
    await users.releaseFailedLogin(user.id);
    expect(await users.reserveFailedLogin(user.id, 5, now())).toBe(5);
    await users.clearExpiredLock(user.id);
    await users.lock(user.id, new Date(Date.now() + 60_000).toISOString());
    expect(await users.reserveFailedLogin(user.id, 5, now())).toBeUndefined();
  });

  it('keeps the known sources a login records', async () => {
    const user = await users.create(newUser(`u-${randomUUID()}`));
    await users.recordLogin(user.id, now(), undefined, { '2001:db8:1:2::/64': now(), '198.51.100.7': now() });
    expect(Object.keys((await users.findByUsername(user.username))?.knownSources ?? {}).sort()).toEqual(['198.51.100.7', '2001:db8:1:2::/64']);
  });
});

describe('login counters', () => {
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const counter = (): LoginCounter => ({ kind: 'source-on-account', account: `a-${randomUUID()}`, source: '203.0.113.9' });

  it('counts exactly up to the limit under concurrency, and answers the state when refusing', async () => {
    const c = counter();
    const t = nowSeconds();
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => loginCounters.count(c, 5, t, t + 900)));
    expect(outcomes.filter((o) => o.counted)).toHaveLength(5);
    const refused = outcomes.find((o) => !o.counted);
    expect(refused).toEqual({ counted: false, state: { count: 5, expiresAt: t + 900, nextAt: undefined } });
  });

  it('replaces a state only if unchanged, gives back never below zero, and clears an account', async () => {
    const c = counter();
    const other: LoginCounter = { kind: 'source', source: `198.51.100.${Math.floor(Math.random() * 250)}` };
    const t = nowSeconds();
    await loginCounters.count(c, 5, t, t - 1);
    await loginCounters.count(other, 5, t, t + 900);
    // An expired counter refuses, and is started afresh only by a replace of exactly what was seen.
    const stale = await loginCounters.count(c, 5, t, t + 900);
    expect(stale.counted).toBe(false);
    const seen = !stale.counted ? stale.state! : undefined;
    const racing = await Promise.all([
      loginCounters.replace(c, seen!, { count: 1, expiresAt: t + 900 }),
      loginCounters.replace(c, seen!, { count: 1, expiresAt: t + 900 }),
    ]);
    expect(racing.sort()).toEqual([false, true]);
    await loginCounters.release(c);
    await loginCounters.release(c);
    await loginCounters.count(c, 1, t, t + 900);
    expect(await loginCounters.count(c, 1, t, t + 900)).toMatchObject({ counted: false, state: { count: 1 } });
    await loginCounters.clearAccount(c.kind === 'source-on-account' ? c.account : '');
    expect((await loginCounters.count(c, 1, t, t + 900)).counted).toBe(true);
    // A source's counter over every account is not the account's to clear.
    expect(await loginCounters.count(other, 1, t, t + 900)).toMatchObject({ counted: false });
  });
});

describe('session repository', () => {
  it('rotates a refresh hash only from the expected one: of two racing uses, one wins', async () => {
    const id = randomUUID();
    await sessions.create({ id, userId: 'u1', refreshHash: 'h0', revoked: false, createdAt: now(), expiresAt: now() });
    const results = await Promise.all([sessions.rotate(id, 'h0', 'h1', ['h0']), sessions.rotate(id, 'h0', 'h2', ['h0'])]);
    expect(results.sort()).toEqual([false, true]);
    const rotated = await sessions.get(id);
    expect(['h1', 'h2']).toContain(rotated?.refreshHash);
    expect(rotated?.previousHashes).toEqual(['h0']);
  });

  it("revokes every live session of a user but the one kept, and nobody else's", async () => {
    const userId = randomUUID();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const other = randomUUID();
    for (const id of ids) await sessions.create({ id, userId, refreshHash: 'h', revoked: false, createdAt: now(), expiresAt: now() });
    await sessions.create({ id: other, userId: randomUUID(), refreshHash: 'h', revoked: false, createdAt: now(), expiresAt: now() });
    expect(await sessions.revokeAllForUser(userId, ids[0])).toBe(2);
    expect((await Promise.all(ids.map((id) => sessions.get(id)))).map((s) => s?.revoked)).toEqual([false, true, true]);
    expect((await sessions.get(other))?.revoked).toBe(false);
  });
});

describe('API key repository', () => {
  it("lists a user's keys page by page, and deletes only the owner's", async () => {
    const userId = randomUUID();
    const keyIds = Array.from({ length: 5 }, () => randomUUID());
    for (const id of keyIds) await apiKeys.create({ id, userId, name: id, hash: `hash-${id}`, prefix: 'chk_x', createdAt: now() });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await apiKeys.listForUser(userId, 2, cursor);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((k) => k.id));
      cursor = page.continue;
    } while (cursor);
    expect(seen.sort()).toEqual([...keyIds].sort());
    expect(await apiKeys.delete(randomUUID(), keyIds[0]!)).toBe(false);
    expect(await apiKeys.delete(userId, keyIds[0]!)).toBe(true);
    expect(await apiKeys.get(keyIds[0]!)).toBeUndefined();
  });
});

describe('audit log', () => {
  it('answers newest first, by user, by cluster and by time range, page by page', async () => {
    const userId = randomUUID();
    const clusterId = randomUUID();
    const entry = (minute: number, fields: Partial<AuditEntry> = {}): AuditEntry => ({
      id: randomUUID(),
      timestamp: `2031-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`,
      userId,
      username: 'auditor',
      action: 'thing.change',
      resourceKind: null,
      resourceId: null,
      clusterId: null,
      statusCode: 200,
      requestIp: '127.0.0.1',
      requestId: null,
      details: {},
      ...fields,
    });
    const entries = [entry(1), entry(2, { clusterId }), entry(3, { action: 'other.change' }), entry(4, { clusterId, userId: null })];
    for (const e of entries) await audit.record(e);

    const mine = await audit.query({ userId }, 10);
    expect(mine.items.map((e) => e.timestamp.slice(14, 16))).toEqual(['03', '02', '01']);
    expect((await audit.query({ clusterId }, 10)).items.map((e) => e.timestamp.slice(14, 16))).toEqual(['04', '02']);
    expect((await audit.query({ userId, action: 'other.change' }, 10)).items).toHaveLength(1);
    const range = await audit.query({ userId, since: '2031-01-01T00:02:00.000Z', until: '2031-01-01T00:02:59.999Z' }, 10);
    expect(range.items.map((e) => e.id)).toEqual([entries[1]!.id]);

    const first = await audit.query({ userId }, 2);
    expect(first.items).toHaveLength(2);
    const second = await audit.query({ userId }, 2, first.continue);
    expect([...first.items, ...second.items].map((e) => e.id)).toEqual(mine.items.map((e) => e.id));
    expect(second.continue).toBeUndefined();
  });
});

describe('rate limiter', () => {
  it('counts every hit of a window exactly, across concurrent callers, and starts the next window afresh', async () => {
    const key = randomUUID();
    const at = new Date('2031-01-01T00:00:10Z');
    const decisions = await Promise.all(Array.from({ length: 7 }, () => limiter.hit('read', key, 5, 60, at)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    expect(decisions.map((d) => d.remaining).sort()).toEqual([0, 0, 0, 1, 2, 3, 4]);
    expect(new Set(decisions.map((d) => d.resetAt))).toEqual(new Set([Date.parse('2031-01-01T00:01:00Z') / 1000]));
    const next = await limiter.hit('read', key, 5, 60, new Date('2031-01-01T00:01:00Z'));
    expect(next).toMatchObject({ allowed: true, remaining: 4 });
    // Buckets and keys are separate counters.
    expect((await limiter.hit('write', key, 5, 60, at)).remaining).toBe(4);
  });
});
