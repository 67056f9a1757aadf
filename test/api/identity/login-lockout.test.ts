/**
 * Login lockout (README, "Login lockout") over real HTTP: failing sources are locked out and the
 * account is slowed down for unknown sources, while its user still gets in from an address they
 * used before or with a valid two-factor code. The hub trusts the test as its reverse proxy
 * (HUB_TRUSTED_PROXIES=127.0.0.1/32), so X-Forwarded-For gives each request its client address.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '#shared/domain/identity/totp.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';

let hub: TestHub;
let adminToken: string;
beforeAll(async () => {
  hub = await startTestHub({ HUB_TRUSTED_PROXIES: '127.0.0.1/32' });
  adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
});
afterAll(async () => hub?.stop());

const attempt = (username: string, password: string, from: string, totp_code?: string) =>
  hub.fetch('/api/v1/auth/login', jsonPost({ username, password, totp_code }, { 'X-Forwarded-For': from }));

async function outcome(res: Response): Promise<string> {
  const body = await json(res);
  return res.status === 200 ? '200' : `${res.status} ${body.code}`;
}

/** Sends one attempt per password from one address, answering status and code of each. */
async function series(username: string, passwords: string[], from: string): Promise<string[]> {
  const out: string[] = [];
  for (const password of passwords) out.push(await outcome(await attempt(username, password, from)));
  return out;
}

/** A code valid in no step the hub could be in during the test. */
function wrongCode(secret: string): string {
  const valid = new Set([-1, 0, 1, 2].map((step) => totpCode(secret, new Date(Date.now() + step * 30_000))));
  for (let n = 0; ; n++) if (!valid.has(String(n).padStart(6, '0'))) return String(n).padStart(6, '0');
}

const guesses = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `wrong-guess-${tag}-${i}`);
const FIVE_FAILURES = Array<string>(5).fill('401 INVALID_CREDENTIALS');

/** Moves the account's slow-down to its end, as if its wait had passed. */
async function endWait(username: string) {
  await hub.deps.table.doc.send(
    new UpdateCommand({
      TableName: hub.deps.table.name,
      Key: { pk: `LOGIN#${username}`, sk: 'ACCOUNT' },
      UpdateExpression: 'SET next_at = :past',
      ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
    }),
  );
}

describe('an attacker without the password', () => {
  it('is locked out address by address and slowed down across addresses, while the user gets in from a known address', async () => {
    const { password } = await createUser(hub, adminToken, 'victor', 'operator');
    const home = '198.51.100.10';
    expect(await outcome(await attempt('victor', password, home))).toBe('200');

    // Five failures lock the first address out of the account, even with the right password.
    expect(await series('victor', guesses(5, 'a'), '203.0.113.1')).toEqual(FIVE_FAILURES);
    const locked = await attempt('victor', 'wrong-guess-a-6', '203.0.113.1');
    expect(locked.status).toBe(429);
    expect((await json(locked)).code).toBe('TOO_MANY_FAILED_LOGINS');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    expect(await outcome(await attempt('victor', password, '203.0.113.1'))).toBe('429 TOO_MANY_FAILED_LOGINS');
    // A forged X-Forwarded-For entry left of what the trusted proxy wrote changes nothing.
    expect(await outcome(await attempt('victor', password, `${home}, 203.0.113.1`))).toBe('429 TOO_MANY_FAILED_LOGINS');

    // Those five were failures from addresses the account never logged in from: any further
    // address waits, the first time for 30 seconds, and is refused before its password is checked.
    for (const from of ['203.0.113.2', '203.0.113.3', '2001:db8:66::1']) {
      const slowed = await attempt('victor', `wrong-from-${from}`, from);
      expect(slowed.status, from).toBe(429);
      expect((await json(slowed)).code).toBe('LOGIN_THROTTLED');
      const wait = Number(slowed.headers.get('retry-after'));
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(30);
    }
    // The user on a new laptop is slowed too: nothing tells them from the attacker.
    expect(await outcome(await attempt('victor', password, '192.0.2.50'))).toBe('429 LOGIN_THROTTLED');

    // At home, the user gets in at once, attack or not.
    expect(await outcome(await attempt('victor', password, home))).toBe('200');

    // Once a wait is over, one more guess is checked, and the next waits twice as long.
    await endWait('victor');
    expect(await outcome(await attempt('victor', 'wrong-after-wait', '203.0.113.4'))).toBe('401 INVALID_CREDENTIALS');
    const longer = await attempt('victor', 'wrong-after-wait-2', '203.0.113.5');
    expect((await json(longer)).code).toBe('LOGIN_THROTTLED');
    expect(Number(longer.headers.get('retry-after'))).toBeGreaterThan(30);
    expect(Number(longer.headers.get('retry-after'))).toBeLessThanOrEqual(60);

    // Only the guesses that reached the password check are in the audit trail.
    const { items } = await hub.deps.audit.query({ action: 'auth.login' }, 100);
    const attackerEntries = items.filter((e) => e.requestIp?.startsWith('203.0.113.') && e.username === 'victor');
    expect(attackerEntries.map((e) => e.statusCode)).toEqual(Array(6).fill(401));
  });

  it('counts an IPv6 client by its /64: new addresses in it are the same locked-out source', async () => {
    const { password } = await createUser(hub, adminToken, 'wanda', 'viewer');
    expect(await outcome(await attempt('wanda', password, '2001:db8:7:7::1'))).toBe('200');
    const addresses = ['2001:db8:7:7::1', '2001:db8:7:7::2', '2001:db8:7:7:aaaa::3', '2001:db8:7:7:ffff:ffff:ffff:ffff', '2001:db8:7:7::5'];
    const failures: string[] = [];
    for (const [i, from] of addresses.entries()) failures.push(...(await series('wanda', [`wrong-${i}`], from)));
    expect(failures).toEqual(FIVE_FAILURES);
    expect(await outcome(await attempt('wanda', password, '2001:db8:7:7::6'))).toBe('429 TOO_MANY_FAILED_LOGINS');
    // A lockout is the source's, whoever uses it (the user's own /64 here); from another the user gets in.
    expect(await outcome(await attempt('wanda', password, '2001:db8:7:7::1'))).toBe('429 TOO_MANY_FAILED_LOGINS');
    expect(await outcome(await attempt('wanda', password, '2001:db8:7:8::1'))).toBe('200');
  });

  it('locks out an address that guesses across many accounts', async () => {
    const sprayer = '203.0.113.40';
    const answers: string[] = [];
    for (let i = 0; i < 21; i++) answers.push(...(await series(`spray-target-${i}`, ['Spring2025!'], sprayer)));
    expect(answers.slice(0, 20)).toEqual(Array(20).fill('401 INVALID_CREDENTIALS'));
    expect(answers[20]).toBe('429 TOO_MANY_FAILED_LOGINS');
  });

  it("cannot keep a 2FA user out: a valid code gets in from a new address, and from the attacker's own", async () => {
    const { password } = await createUser(hub, adminToken, 'tess', 'operator');
    const auth = bearer((await login(hub, 'tess', password)).access_token);
    const { secret } = await json(await hub.fetch('/api/v1/auth/2fa/setup', { method: 'POST', headers: auth }));
    // Enrol with the previous step's code (inside the drift window), so this step's and the next remain for two logins.
    if (Date.now() % 30_000 > 27_000) await new Promise((r) => setTimeout(r, 3_500));
    const now = Date.now();
    expect((await hub.fetch('/api/v1/auth/2fa/verify', jsonPost({ code: totpCode(secret, new Date(now - 30_000)) }, auth))).status).toBe(200);

    const attacker = '203.0.113.20';
    expect(await series('tess', guesses(5, 't'), attacker)).toEqual(FIVE_FAILURES);
    expect(await outcome(await attempt('tess', 'wrong-guess-t-6', attacker))).toBe('429 TOO_MANY_FAILED_LOGINS');
    expect(await outcome(await attempt('tess', 'wrong-guess-t-7', '203.0.113.21'))).toBe('429 LOGIN_THROTTLED');
    // A wrong code is no pass: it is slowed like any unknown address.
    expect(await outcome(await attempt('tess', password, '192.0.2.60', wrongCode(secret)))).toBe('429 LOGIN_THROTTLED');

    expect(await outcome(await attempt('tess', password, '192.0.2.60', totpCode(secret, new Date(now))))).toBe('200');
    expect(await outcome(await attempt('tess', password, attacker, totpCode(secret, new Date(now + 30_000))))).toBe('200');
  });
});

describe('attempts checked at the same moment', () => {
  it('count one each: of ten parallel guesses from one address, five are checked and five refused before hashing', async () => {
    await createUser(hub, adminToken, 'pat', 'viewer');
    const answers = await Promise.all(guesses(10, 'p').map(async (pw) => outcome(await attempt('pat', pw, '203.0.113.30'))));
    expect(answers.sort()).toEqual([...FIVE_FAILURES, ...Array(5).fill('429 TOO_MANY_FAILED_LOGINS')].sort());
  });

  it('count one each across addresses: of ten parallel guesses from ten addresses, five are checked', async () => {
    await createUser(hub, adminToken, 'quinn', 'viewer');
    const answers = await Promise.all(guesses(10, 'q').map(async (pw, i) => outcome(await attempt('quinn', pw, `203.0.113.${100 + i}`))));
    expect(answers.sort()).toEqual([...FIVE_FAILURES, ...Array(5).fill('429 LOGIN_THROTTLED')].sort());
  });
});

describe('an unknown username', () => {
  /** Every table command one request makes: its name, the kind of key it touches, and the capacity it consumed. */
  async function tableWork(request: () => Promise<Response>) {
    const seen: { op: string; units: number }[] = [];
    const name = `work-${Math.random()}`;
    hub.deps.table.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: { pk: string; sk: string }; Item?: { pk: string; sk: string }; ReturnConsumedCapacity?: string };
        input.ReturnConsumedCapacity = 'TOTAL';
        const key = input.Key ?? input.Item;
        // Kinds of key, not keys: RATE#auth#ip:<address> / <window start> is `RATE/<time>`.
        const kind = key ? `${key.pk.split('#')[0]}/${/^\d/.test(key.sk) ? '<time>' : key.sk.split('#')[0]}` : '-';
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity;
        seen.push({ op: `${context.commandName} ${kind}`, units: consumed?.CapacityUnits ?? 0 });
        return result;
      },
      { step: 'initialize', name },
    );
    try {
      expect((await request()).status).toBe(401);
    } finally {
      hub.deps.table.doc.middlewareStack.remove(name);
    }
    return seen;
  }

  it('costs the same table work as a wrong password of a real user, and is counted the same', async () => {
    await createUser(hub, adminToken, 'rhea', 'viewer');
    const real = await tableWork(() => attempt('rhea', 'not-rheas-password', '203.0.113.50'));
    const unknown = await tableWork(() => attempt('nobody-by-that-name', 'not-rheas-password', '203.0.113.51'));
    const ops = (work: typeof real) => work.map((w) => w.op).sort();
    expect(ops(unknown)).toEqual(ops(real));
    expect(ops(real)).toEqual(
      [
        'GetItemCommand USERNAME/USERNAME',
        'GetItemCommand USER/USER',
        'UpdateItemCommand RATE/<time>',
        'UpdateItemCommand LOGINSOURCE/LOGINSOURCE',
        'UpdateItemCommand LOGIN/SOURCE',
        'UpdateItemCommand LOGIN/ACCOUNT',
        'PutItemCommand AUDIT/<time>',
      ].sort(),
    );
    // The same capacity for every read and write of the login itself (the audit entry of a known
    // user is also written to its per-user index, after the answer: DynamoDB updates indexes asynchronously).
    const units = (work: typeof real) =>
      work
        .filter((w) => !w.op.startsWith('PutItemCommand AUDIT'))
        .map((w) => `${w.op} ${w.units}`)
        .sort();
    expect(units(unknown)).toEqual(units(real));
    expect(units(unknown)).toContain('GetItemCommand USER/USER 1');

    // Both failures are on record, so both paths lock out alike.
    for (const account of ['rhea', 'nobody-by-that-name']) {
      const counter = await hub.deps.table.get({ pk: `LOGIN#${account}`, sk: `SOURCE#203.0.113.5${account === 'rhea' ? 0 : 1}` });
      expect(counter?.attempts, account).toBe(1);
    }
  });
});

describe('an admin', () => {
  it('lifts the lockouts of an account at once', async () => {
    const { id, password } = await createUser(hub, adminToken, 'uma', 'viewer');
    expect(await series('uma', guesses(5, 'u'), '203.0.113.60')).toEqual(FIVE_FAILURES);
    expect(await outcome(await attempt('uma', password, '203.0.113.60'))).toBe('429 TOO_MANY_FAILED_LOGINS');
    expect(await outcome(await attempt('uma', password, '192.0.2.61'))).toBe('429 LOGIN_THROTTLED');
    expect((await hub.fetch(`/api/v1/users/${id}/unlock`, { method: 'POST', headers: bearer(adminToken) })).status).toBe(200);
    expect(await outcome(await attempt('uma', password, '203.0.113.60'))).toBe('200');
    expect(await outcome(await attempt('uma', password, '192.0.2.61'))).toBe('200');
  });
});
