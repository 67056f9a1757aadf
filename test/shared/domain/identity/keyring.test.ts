import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { FileSecretStore } from '#shared/adapters/local/file-secret-store.ts';
import { AuthenticationError } from '#shared/domain/errors.ts';
import { AccessTokens, AUDIENCE, ISSUER } from '#shared/domain/identity/access-tokens.ts';
import {
  ACCESS_TOKEN_SECONDS,
  CACHE_MS,
  FORCED_RELOAD_INTERVAL_MS,
  identityKeySecretNames,
  KeyringStore,
  RETIRE_AFTER_MS,
  VerificationKeys,
} from '#shared/domain/identity/keyring.ts';
import { VerifiedTokens } from '#shared/domain/identity/verified-tokens.ts';
import type { Clock } from '#shared/ports/clock.ts';
import { SecretNotFoundError, type SecretStore } from '#shared/ports/secret-store.ts';

const names = identityKeySecretNames('test/');
const claims = { userId: 'u1', sessionId: 's1' };

/** A clock the test moves by hand. */
function manualClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) } satisfies Clock & { advance(ms: number): number };
}

type Operation = 'put' | 'create' | 'get' | 'delete';

/**
 * An in-memory store that counts reads per name, records every call, and can
 * refuse a name, the way IAM refuses a function the private keyring. Every call
 * yields first, so concurrent callers interleave as they would against a real
 * service; `before` runs first too, so a test can put other work in between.
 */
class RecordingStore implements SecretStore {
  readonly reads = new Map<string, number>();
  readonly writes: string[] = [];
  /** Every call made, as `operation name`, including creates that found the secret already there. */
  readonly calls: string[] = [];
  readonly refused = new Set<string>();
  before?: (operation: Operation, name: string) => Promise<void>;

  constructor(readonly values = new Map<string, string>()) {}

  /** Another view of the same secrets, with its own counters and refusals. */
  view(): RecordingStore {
    return new RecordingStore(this.values);
  }

  async put(name: string, value: string) {
    await this.check('put', name);
    this.writes.push(name);
    this.values.set(name, value);
    return name;
  }
  async create(name: string, value: string) {
    await this.check('create', name);
    if (this.values.has(name)) return false;
    this.writes.push(name);
    this.values.set(name, value);
    return true;
  }
  async get(ref: string) {
    await this.check('get', ref);
    this.reads.set(ref, (this.reads.get(ref) ?? 0) + 1);
    const value = this.values.get(ref);
    if (value === undefined) throw new SecretNotFoundError(ref);
    return value;
  }
  async delete(ref: string) {
    await this.check('delete', ref);
    this.values.delete(ref);
  }
  private async check(operation: Operation, name: string) {
    this.calls.push(`${operation} ${name}`);
    await new Promise((resolve) => setImmediate(resolve));
    await this.before?.(operation, name);
    if (this.refused.has(name)) throw Object.assign(new Error(`AccessDeniedException: ${name}`), { name: 'AccessDeniedException' });
  }
}

/** What one function instance builds: a keyring (used by identity only), a verifier and tokens over both. */
function instance(store: SecretStore, clock: Clock) {
  const verificationKeys = new VerificationKeys(store, names.verificationKeys, clock);
  const keyring = new KeyringStore(store, names, clock, verificationKeys);
  return { keyring, verificationKeys, tokens: new AccessTokens(keyring, verificationKeys, clock) };
}

/** Runs `work` just before the `nth` call of `operation` on `name` through `store`, once. */
function interpose(store: RecordingStore, operation: Operation, name: string, nth: number, work: () => Promise<unknown>) {
  let seen = 0;
  store.before = async (op, n) => {
    if (op === operation && n === name && ++seen === nth) await work();
  };
}

/** The key ids of the stored keyring and of the published set. */
function storedAndPublishedKids(store: RecordingStore) {
  const { signing } = JSON.parse(store.values.get(names.keyring)!) as { signing: { kid: string }[] };
  const { keys } = JSON.parse(store.values.get(names.verificationKeys)!) as { keys: { kid: string }[] };
  return { stored: signing.map((k) => k.kid), published: keys.map((k) => k.kid) };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );
const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;

/** A well-formed ES256 token under a key id the hub never issued. */
async function foreignToken(kid: string, clock: Clock) {
  const { privateKey } = await generateKeyPair('ES256');
  const now = Math.floor(clock.now().getTime() / 1000);
  return new SignJWT({ sid: 's1' })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('u1')
    .setExpirationTime(now + 300)
    .sign(privateKey);
}

describe('first use of the keyring by racing instances', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('stores one keyring: both get the same sealing key and each verifies the tokens of the other', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clusterhub-keyring-'));
    dirs.push(dir);
    const clock = manualClock();
    // Two stores over one directory: two cold Lambdas over one Secrets Manager.
    const a = instance(new FileSecretStore(dir), clock);
    const b = instance(new FileSecretStore(dir), clock);

    const [ringA, ringB] = await Promise.all([a.keyring.current(), b.keyring.current()]);

    expect(ringA.sealingKey.equals(ringB.sealingKey)).toBe(true);
    expect(ringA.signing.map((k) => k.kid)).toEqual(ringB.signing.map((k) => k.kid));
    expect(await b.tokens.verify(await a.tokens.issue(claims))).toEqual(claims);
    expect(await a.tokens.verify(await b.tokens.issue(claims))).toEqual(claims);
  });

  it('converges when many instances race on an in-memory store too, and publishes only public keys', async () => {
    const store = new RecordingStore();
    const clock = manualClock();
    const instances = Array.from({ length: 5 }, () => instance(store.view(), clock));

    const rings = await Promise.all(instances.map((i) => i.keyring.current()));

    expect(new Set(rings.map((r) => r.sealingKey.toString('base64'))).size).toBe(1);
    const published = JSON.parse(store.values.get(names.verificationKeys)!) as { keys: Record<string, unknown>[] };
    expect(published.keys.map((k) => k.kid)).toEqual(rings[0]!.signing.map((k) => k.kid));
    for (const key of published.keys) expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(store.values.get(names.verificationKeys)).not.toContain(rings[0]!.sealingKey.toString('base64'));
  });
});

describe('verifying access tokens', () => {
  let store: RecordingStore;
  let clock: ReturnType<typeof manualClock>;
  beforeEach(() => {
    store = new RecordingStore();
    clock = manualClock();
  });

  it('refuses with 401 INVALID_TOKEN, and creates nothing, while no verification keys exist', async () => {
    const verifier = instance(store, clock);

    const error = await refusal(verifier.tokens.verify(await foreignToken('some-kid', clock)));

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ kind: 'unauthenticated', code: 'INVALID_TOKEN' });
    expect(store.writes).toEqual([]);
    expect(store.reads.get(names.keyring)).toBeUndefined();
  });

  it('never reads the private keyring, which a verifying function may not read at all', async () => {
    const identity = instance(store, clock);
    const token = await identity.tokens.issue(claims);
    const clustersFunction = store.view();
    clustersFunction.refused.add(names.keyring);
    const verifier = instance(clustersFunction, clock);

    expect(await verifier.tokens.verify(token)).toEqual(claims);
    expect(await refusal(verifier.tokens.verify(await foreignToken(kidOf(token), clock)))).toBeInstanceOf(AuthenticationError);
    expect(await refusal(verifier.tokens.verify(await foreignToken('unknown', clock)))).toBeInstanceOf(AuthenticationError);
    expect(clustersFunction.reads.get(names.keyring)).toBeUndefined();
    expect(clustersFunction.writes).toEqual([]);
  });

  it('re-reads the keys for an unknown key id at most once per interval', async () => {
    await instance(store, clock).tokens.issue(claims);
    const reader = store.view();
    const verifier = instance(reader, clock);
    const publicReads = () => reader.reads.get(names.verificationKeys) ?? 0;

    for (let i = 0; i < 20; i++) await refusal(verifier.tokens.verify(await foreignToken(`attacker-${i}`, clock)));
    // The first request fills the cache; the others within the interval read nothing.
    expect(publicReads()).toBe(1);

    clock.advance(FORCED_RELOAD_INTERVAL_MS - 1);
    await refusal(verifier.tokens.verify(await foreignToken('attacker-late', clock)));
    expect(publicReads()).toBe(1);

    clock.advance(1);
    for (let i = 0; i < 20; i++) await refusal(verifier.tokens.verify(await foreignToken(`attacker-again-${i}`, clock)));
    expect(publicReads()).toBe(2);
  });

  it('reads concurrent unknown key ids once', async () => {
    await instance(store, clock).tokens.issue(claims);
    const reader = store.view();
    const verifier = instance(reader, clock);
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => foreignToken(`burst-${i}`, clock)));

    await Promise.all(tokens.map((t) => refusal(verifier.tokens.verify(t))));

    expect(reader.reads.get(names.verificationKeys)).toBe(1);
  });
});

describe('remembering verified access tokens', () => {
  let store: RecordingStore;
  let clock: ReturnType<typeof manualClock>;
  let verify: MockInstance<typeof crypto.subtle.verify>;
  beforeEach(() => {
    store = new RecordingStore();
    clock = manualClock();
    verify = vi.spyOn(crypto.subtle, 'verify');
  });
  afterEach(() => verify.mockRestore());

  it('checks the signature of a token once per instance, and each instance for itself', async () => {
    const identity = instance(store, clock);
    const other = instance(store.view(), clock);
    const token = await identity.tokens.issue(claims);
    for (let i = 0; i < 5; i++) expect(await identity.tokens.verify(token)).toEqual(claims);
    expect(await other.tokens.verify(token)).toEqual(claims);
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('refuses a remembered token from its expiry on, as TOKEN_EXPIRED', async () => {
    const identity = instance(store, clock);
    const token = await identity.tokens.issue(claims);
    expect(await identity.tokens.verify(token)).toEqual(claims);
    clock.advance(ACCESS_TOKEN_SECONDS * 1000 - 1000);
    expect(await identity.tokens.verify(token)).toEqual(claims);
    clock.advance(1000);
    expect(await refusal(identity.tokens.verify(token))).toMatchObject({ code: 'TOKEN_EXPIRED' });
  });

  it('refuses a remembered token whose signature was altered, and whose claims were', async () => {
    const identity = instance(store, clock);
    const token = await identity.tokens.issue(claims);
    expect(await identity.tokens.verify(token)).toEqual(claims);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const otherSignature = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    const otherClaims = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'u2' })).toString('base64url');
    for (const altered of [otherSignature, `${header}.${otherClaims}.${signature}`]) {
      expect(await refusal(identity.tokens.verify(altered))).toMatchObject({ code: 'INVALID_TOKEN' });
    }
  });

  it('refuses a remembered token once its key is revoked where the revocation ran', async () => {
    const identity = instance(store, clock);
    const token = await identity.tokens.issue(claims);
    expect(await identity.tokens.verify(token)).toEqual(claims);
    await identity.keyring.rotate({ revokePrevious: true });
    expect(await refusal(identity.tokens.verify(token))).toMatchObject({ code: 'INVALID_TOKEN' });
  });

  it('keeps at most its bound, forgetting the least recently used', () => {
    const cache = new VerifiedTokens(3);
    const entry = (n: number) => ({ claims: { userId: `u${n}`, sessionId: `s${n}` }, kid: 'k', key: {} as CryptoKey, exp: 2_000 });
    for (const n of [1, 2, 3]) cache.set(`t${n}`, entry(n));
    expect(cache.get('t1', 1_000)?.claims.userId).toBe('u1');
    cache.set('t4', entry(4));
    expect(cache.size).toBe(3);
    expect(cache.get('t2', 1_000)).toBeUndefined();
    expect(['t1', 't3', 't4'].map((t) => cache.get(t, 1_000)?.claims.userId)).toEqual(['u1', 'u3', 'u4']);
    expect(cache.get('t1', 2_000)).toBeUndefined();
  });
});

describe('rotating the signing key', () => {
  it('signs with the new key in front, publishes it, and keeps earlier tokens valid everywhere', async () => {
    const store = new RecordingStore();
    const clock = manualClock();
    const identity = instance(store, clock);
    const other = instance(store.view(), clock);
    const before = await identity.tokens.issue(claims);
    expect(await other.tokens.verify(before)).toEqual(claims);

    const { kid } = await identity.keyring.rotate();
    const after = await identity.tokens.issue(claims);

    expect(kidOf(after)).toBe(kid);
    expect((await identity.keyring.current()).signing.map((k) => k.kid)).toEqual([kid, kidOf(before)]);
    const published = JSON.parse(store.values.get(names.verificationKeys)!) as { keys: { kid: string }[] };
    expect(published.keys.map((k) => k.kid)).toEqual([kid, kidOf(before)]);
    // The rotating instance verifies the new key at once; another one once its throttle allows a re-read.
    expect(await identity.tokens.verify(after)).toEqual(claims);
    expect(await identity.tokens.verify(before)).toEqual(claims);
    clock.advance(FORCED_RELOAD_INTERVAL_MS);
    expect(await other.tokens.verify(after)).toEqual(claims);
    expect(await other.tokens.verify(before)).toEqual(claims);
  });

  it('keeps the sealing key, and keeps earlier keys only until they retire', async () => {
    const store = new RecordingStore();
    const clock = manualClock();
    const identity = instance(store, clock);
    const { sealingKey, signing } = await identity.keyring.current();

    const kids = [];
    for (let i = 0; i < 3; i++) kids.unshift((await identity.keyring.rotate()).kid);
    expect((await identity.keyring.current()).signing.map((k) => k.kid)).toEqual([...kids, signing[0]!.kid]);

    // Past the retirement of all but the newest, the next rotation leaves them out.
    clock.advance(RETIRE_AFTER_MS);
    const last = (await identity.keyring.rotate()).kid;
    const now = await identity.keyring.current();
    expect(now.sealingKey.equals(sealingKey)).toBe(true);
    expect(now.signing.map((k) => k.kid)).toEqual([last, kids[0]]);
  });
});

/** A token under `kid`, signed with that key's private half from the stored keyring, valid for days: what a leak of the key allows. */
async function forgedWith(store: RecordingStore, kid: string, clock: Clock) {
  const { signing } = JSON.parse(store.values.get(names.keyring)!) as { signing: { kid: string; privateJwk: JWK }[] };
  const privateKey = await importJWK(signing.find((k) => k.kid === kid)!.privateJwk, 'ES256');
  const now = Math.floor(clock.now().getTime() / 1000);
  return new SignJWT({ sid: claims.sessionId })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(claims.userId)
    .setExpirationTime(now + 7 * 86_400)
    .sign(privateKey);
}

describe('retiring and revoking signing keys', () => {
  let store: RecordingStore;
  let clock: ReturnType<typeof manualClock>;
  let identity: ReturnType<typeof instance>;
  let other: ReturnType<typeof instance>;
  let oldKid: string;
  beforeEach(async () => {
    store = new RecordingStore();
    clock = manualClock();
    identity = instance(store, clock);
    other = instance(store.view(), clock);
    oldKid = kidOf(await identity.tokens.issue(claims));
  });

  it('lets a replaced key verify for the token lifetime and the cache windows, then on no instance', async () => {
    const forged = await forgedWith(store, oldKid, clock);
    expect(await other.tokens.verify(forged)).toEqual(claims);

    const rotation = await identity.keyring.rotate();
    expect(rotation.previous).toEqual([{ kid: oldKid, verifiesUntil: new Date(clock.now().getTime() + RETIRE_AFTER_MS).toISOString() }]);
    expect(RETIRE_AFTER_MS).toBeGreaterThanOrEqual(ACCESS_TOKEN_SECONDS * 1000 + CACHE_MS);
    const published = JSON.parse(store.values.get(names.verificationKeys)!) as { keys: { kid: string; retires_at?: string }[] };
    expect(published.keys).toEqual([
      expect.not.objectContaining({ retires_at: expect.anything() }),
      expect.objectContaining({ kid: oldKid, retires_at: rotation.previous[0]!.verifiesUntil }),
    ]);

    clock.advance(RETIRE_AFTER_MS - 1);
    expect(await identity.tokens.verify(forged)).toEqual(claims);
    expect(await other.tokens.verify(forged)).toEqual(claims);
    clock.advance(1);
    for (const verifier of [identity, other]) expect(await refusal(verifier.tokens.verify(forged))).toMatchObject({ code: 'INVALID_TOKEN' });
  });

  it('with revokePrevious refuses the earlier keys at once where it ran, within the cache window elsewhere, and signs with the new key everywhere', async () => {
    const forged = await forgedWith(store, oldKid, clock);
    expect(await other.tokens.verify(forged)).toEqual(claims);

    const rotation = await identity.keyring.rotate({ revokePrevious: true });
    expect(rotation.previous).toEqual([{ kid: oldKid, verifiesUntil: clock.now().toISOString() }]);
    expect(storedAndPublishedKids(store)).toEqual({ stored: [rotation.kid], published: [rotation.kid] });
    expect(await refusal(identity.tokens.verify(forged))).toMatchObject({ code: 'INVALID_TOKEN' });

    clock.advance(CACHE_MS);
    expect(await refusal(other.tokens.verify(forged))).toMatchObject({ code: 'INVALID_TOKEN' });
    expect(kidOf(await other.tokens.issue(claims))).toBe(rotation.kid);
  });

  it('keeps a revoked key out when a plain rotation that read the keyring before the revocation stores after it', async () => {
    const forged = await forgedWith(store, oldKid, clock);
    const viewA = store.view();
    const viewB = store.view();
    const a = instance(viewA, clock);
    const b = instance(viewB, clock);
    let releaseB!: () => void;
    const bReleased = new Promise<void>((resolve) => (releaseB = resolve));
    let bAtStore!: () => void;
    const bWaiting = new Promise<void>((resolve) => (bAtStore = resolve));
    let plain: Promise<unknown> | undefined;
    // B reads and publishes, then waits to store its keyring (which still holds the old key) ...
    viewB.before = async (op, name) => {
      if (op === 'put' && name === names.keyring) {
        bAtStore();
        await bReleased;
      }
    };
    let aReads = 0;
    viewA.before = async (op, name) => {
      // ... while A revokes: B has already read the keyring when A stores its own ...
      if (op === 'put' && name === names.keyring && !plain) {
        plain = b.keyring.rotate();
        await bWaiting;
      }
      // ... and B stores right after A, before A reads the keyring back.
      if (op === 'get' && name === names.keyring && ++aReads === 2) {
        releaseB();
        while (!viewB.writes.includes(names.keyring)) await new Promise((resolve) => setImmediate(resolve));
      }
    };

    await a.keyring.rotate({ revokePrevious: true });
    await plain;

    const { stored, published } = storedAndPublishedKids(store);
    expect(stored).not.toContain(oldKid);
    expect(published).toEqual(stored);
    clock.advance(CACHE_MS);
    expect(await refusal(instance(store.view(), clock).tokens.verify(forged))).toMatchObject({ code: 'INVALID_TOKEN' });
  });
});

describe('rotations racing on two instances', () => {
  let store: RecordingStore;
  let clock: ReturnType<typeof manualClock>;
  let a: ReturnType<typeof instance>;
  let b: ReturnType<typeof instance>;
  let viewA: RecordingStore;
  beforeEach(async () => {
    store = new RecordingStore();
    clock = manualClock();
    viewA = store.view();
    a = instance(viewA, clock);
    b = instance(store.view(), clock);
    await a.tokens.issue(claims);
    await b.tokens.issue(claims);
  });

  /** After the race, each instance signs with a key that a fresh verifier finds published. */
  async function expectBothIssueVerifiableTokens() {
    const { stored, published } = storedAndPublishedKids(store);
    expect(published).toEqual(stored);
    clock.advance(CACHE_MS);
    for (const issuer of [a, b]) {
      const token = await issuer.tokens.issue(claims);
      expect(kidOf(token)).toBe(stored[0]);
      expect(await instance(store.view(), clock).tokens.verify(token)).toEqual(claims);
    }
  }

  it('publish A, publish B, store B, store A: the set published last is that of the keyring stored last', async () => {
    // The other rotation runs whole between A's publishing and A's storing its keyring.
    interpose(viewA, 'put', names.keyring, 1, () => b.keyring.rotate());
    const { kid: kidA } = await a.keyring.rotate();

    expect(storedAndPublishedKids(store).stored[0]).toBe(kidA);
    await expectBothIssueVerifiableTokens();
  });

  it('a rotation that stores its keyring after A read A back is published again by A', async () => {
    // The other rotation runs whole between A's reading its keyring back and A's publishing it.
    interpose(viewA, 'put', names.verificationKeys, 2, () => b.keyring.rotate());
    await a.keyring.rotate();

    await expectBothIssueVerifiableTokens();
  });

  it('converges whatever the interleaving of plain concurrent rotations', async () => {
    await Promise.all([a.keyring.rotate(), b.keyring.rotate(), a.keyring.rotate(), b.keyring.rotate()]);

    await expectBothIssueVerifiableTokens();
  });
});

describe('publishing the verification keys from current()', () => {
  it('publishes once when this instance creates the keyring, not again on a refresh', async () => {
    const store = new RecordingStore();
    const clock = manualClock();
    const identity = instance(store, clock);

    await identity.keyring.current();
    clock.advance(CACHE_MS);
    await identity.keyring.current();
    clock.advance(CACHE_MS);
    await identity.keyring.current();

    expect(store.reads.get(names.keyring)).toBe(3);
    expect(store.calls.filter((c) => c.endsWith(names.verificationKeys))).toEqual([`create ${names.verificationKeys}`]);
  });

  it('tries a create at most once per instance that finds the keyring stored, and never after a rotation', async () => {
    const store = new RecordingStore();
    const clock = manualClock();
    await instance(store, clock).keyring.current();
    const view = store.view();
    const later = instance(view, clock);

    await later.keyring.current();
    clock.advance(CACHE_MS);
    await later.keyring.current();
    await later.keyring.rotate();
    clock.advance(CACHE_MS);
    await later.keyring.current();

    // One create on the first read, which finds the set in place; rotating publishes with puts only.
    expect(view.calls.filter((c) => c.startsWith('create '))).toEqual([`create ${names.verificationKeys}`]);
    expect(await instance(store.view(), clock).tokens.verify(await later.tokens.issue(claims))).toEqual(claims);
  });
});

describe('a keyring from before the verification keys were split off', () => {
  it('gets its public keys published on first use, with the same keys and sealing key', async () => {
    const clock = manualClock();
    const old = new RecordingStore();
    await instance(old, clock).keyring.current();
    const store = new RecordingStore(new Map([[names.keyring, old.values.get(names.keyring)!]]));
    const identity = instance(store, clock);

    const ring = await identity.keyring.current();

    expect(ring.sealingKey.equals((await instance(old, clock).keyring.current()).sealingKey)).toBe(true);
    expect(await instance(store.view(), clock).tokens.verify(await identity.tokens.issue(claims))).toEqual(claims);
  });
});
