import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '#shared/ports/clock.ts';
import { SecretNotFoundError, type SecretStore } from '#shared/ports/secret-store.ts';

export const SIGNING_ALGORITHM = 'ES256';
/** The lifetime of the access tokens these keys sign. */
export const ACCESS_TOKEN_SECONDS = 15 * 60;
/**
 * How long an instance trusts its copy of a key set before reading it again: of the public keys
 * (so a revoked key stops verifying everywhere within it) and of the private keyring (so every
 * instance signs with a new key within it).
 */
export const CACHE_MS = 30_000;
/** Clocks of different instances may disagree a little; tokens they signed must not die early. */
const CLOCK_SKEW_MS = 60_000;
/**
 * How long a replaced signing key keeps verifying: the tokens it signed live ACCESS_TOKEN_SECONDS,
 * and other instances may still sign with it until their keyring cache runs out. After that it
 * verifies nothing, so a rotation after a leak stops forgery within this time (or at once with a revocation).
 */
export const RETIRE_AFTER_MS = ACCESS_TOKEN_SECONDS * 1000 + CACHE_MS + CLOCK_SKEW_MS;
/** Retiring keys kept at most, however fast rotations come, so the keyring stays small. */
const MAX_RETIRING_KEYS = 10;
/**
 * The least time between two reads of the verification keys forced by an
 * unknown key id. Anyone can send any key id before a rate limit applies, so
 * without this bound every such request would cost a Secrets Manager read.
 */
export const FORCED_RELOAD_INTERVAL_MS = 30_000;

/** Names of the two identity secrets, below the hub's secret prefix. */
export const IDENTITY_KEY_SECRETS = {
  /** Signing private keys and the sealing key: only the identity function may read or write it. */
  keyring: 'identity/keyring',
  /** The public verification keys (a JWKS): written by the identity function, read by every function. */
  verificationKeys: 'identity/verification-keys',
} as const;

export interface IdentityKeySecretNames {
  keyring: string;
  verificationKeys: string;
}

/** The full names of the identity secrets under `prefix` (such as `clusterhub/`). */
export function identityKeySecretNames(prefix: string): IdentityKeySecretNames {
  return { keyring: `${prefix}${IDENTITY_KEY_SECRETS.keyring}`, verificationKeys: `${prefix}${IDENTITY_KEY_SECRETS.verificationKeys}` };
}

interface StoredSigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: string;
  /** Set when a newer key replaced it: from then on it verifies nothing. */
  retiresAt?: string;
}

interface StoredKeyring {
  /** Newest first: the newest signs, the others are retiring. */
  signing: StoredSigningKey[];
  /** AES-256 key (base64) that seals secrets the hub must read back, such as TOTP seeds. */
  sealing: string;
}

/**
 * The published verification keys: a JWK Set with public parts only. A retiring key carries
 * `retires_at` (ISO time), after which verifiers refuse it whether or not the set was rewritten.
 */
interface StoredVerificationKeys {
  keys: (JWK & { retires_at?: string })[];
}

/** What a rotation did: the new key, and each earlier key with the time it verifies until (now, when revoked). */
export interface Rotation {
  kid: string;
  previous: { kid: string; verifiesUntil: string }[];
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

export interface Keyring {
  /**
   * Newest first: the newest signs, the others are retiring. Tokens are verified against the
   * published {@link VerificationKeys}, not this list.
   */
  signing: SigningKey[];
  sealingKey: Buffer;
}

/**
 * The public half of the signing keys, the only key material a function needs
 * to verify access tokens. Reading it never touches the private keyring, and a
 * missing set (nobody has logged in yet) is an empty one: nothing verifies and
 * nothing is created. A retiring key verifies until its `retires_at`, a revoked
 * one (gone from the set) stops once this instance reads the set again, within {@link CACHE_MS}.
 */
export class VerificationKeys {
  private cached?: { keys: Map<string, PublishedKey>; at: number };
  private lastRead = Number.NEGATIVE_INFINITY;
  private reading?: Promise<Map<string, PublishedKey>>;

  constructor(
    private readonly secrets: SecretStore,
    private readonly secretName: string,
    private readonly clock: Clock,
  ) {}

  /** The public key published under `kid` and not retired, or undefined when there is none. */
  async find(kid: string): Promise<CryptoKey | undefined> {
    const now = this.clock.now().getTime();
    const fresh = this.cached && now - this.cached.at < CACHE_MS ? this.cached.keys : await this.read();
    const known = fresh.get(kid);
    if (known) return known.retiresAt > now ? known.key : undefined;
    // A key id we do not know may be one the identity function just rotated in: look again, but not often.
    if (now - this.lastRead < FORCED_RELOAD_INTERVAL_MS) return undefined;
    const reread = (await this.read()).get(kid);
    return reread && reread.retiresAt > now ? reread.key : undefined;
  }

  /** Drops the cached set, so keys this instance has just published verify at once. */
  forget(): void {
    this.cached = undefined;
    this.lastRead = Number.NEGATIVE_INFINITY;
  }

  /** One read at a time: concurrent requests share it. */
  private read(): Promise<Map<string, PublishedKey>> {
    this.reading ??= (async () => {
      const at = this.clock.now().getTime();
      this.lastRead = at;
      try {
        const keys = await this.load();
        this.cached = { keys, at };
        return keys;
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  private async load(): Promise<Map<string, PublishedKey>> {
    let stored: StoredVerificationKeys;
    try {
      stored = JSON.parse(await this.secrets.get(this.secretName)) as StoredVerificationKeys;
    } catch (err) {
      if (err instanceof SecretNotFoundError) return new Map();
      throw err;
    }
    const keys = new Map<string, PublishedKey>();
    for (const jwk of stored.keys) {
      if (typeof jwk.kid !== 'string') continue;
      // A retire time that does not parse retires the key now rather than never.
      const retiresAt = jwk.retires_at === undefined ? Number.POSITIVE_INFINITY : Date.parse(jwk.retires_at) || Number.NEGATIVE_INFINITY;
      // Only the public coordinates are imported, whatever else the set holds.
      const key = (await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, SIGNING_ALGORITHM)) as CryptoKey;
      keys.set(jwk.kid, { key, retiresAt });
    }
    return keys;
  }
}

interface PublishedKey {
  key: CryptoKey;
  /** Epoch ms after which the key verifies nothing; infinite for the signing key. */
  retiresAt: number;
}

/**
 * The private identity keys, kept as one secret that only the identity
 * function reads: ES256 signing keys with key ids (so a rotation does not log
 * anyone out) and the sealing key. Their public halves are published to a
 * second secret, {@link VerificationKeys}, which every other function reads.
 */
export class KeyringStore {
  private cached?: { keyring: Keyring; at: number };
  /** Whether this instance has made sure the keyring's public keys are published. */
  private published = false;

  constructor(
    private readonly secrets: SecretStore,
    private readonly names: IdentityKeySecretNames,
    private readonly clock: Clock,
    /** This instance's verifier, told to re-read when this store publishes keys. */
    private readonly verifier?: VerificationKeys,
  ) {}

  /** The keyring, created on first use, cached per instance for a few minutes. */
  async current(): Promise<Keyring> {
    const now = this.clock.now().getTime();
    if (this.cached && now - this.cached.at < CACHE_MS) return this.cached.keyring;
    const { stored, created } = await this.readOrCreate();
    // Publishes the public keys when this instance created the keyring, and once per instance
    // otherwise: no set may exist yet after a first use whose publisher crashed, or for a keyring
    // from before the split. Never replaces a set, which a rotation may have made newer.
    if (created || !this.published) {
      if (await this.secrets.create(this.names.verificationKeys, publicSetOf(stored))) this.verifier?.forget();
      this.published = true;
    }
    const keyring = await load(stored);
    this.cached = { keyring, at: now };
    return keyring;
  }

  /**
   * Adds a new signing key in front. The previous ones retire: each verifies for
   * {@link RETIRE_AFTER_MS} after it was replaced and then nothing, or, with `revokePrevious`
   * (after a leak), nothing from now on: tokens they signed are refused at once here and within
   * {@link CACHE_MS} on every other instance. Rotations racing on several instances leave one
   * of their keyrings stored, and its public keys published; a key one of them revoked stays out.
   */
  async rotate(options: { revokePrevious?: boolean } = {}): Promise<Rotation> {
    const now = this.clock.now();
    const stored = parseKeyring(await this.secrets.get(this.names.keyring));
    const fresh = await newSigningKey(this.clock);
    const retiresAt = new Date(now.getTime() + RETIRE_AFTER_MS).toISOString();
    const revoked = new Set(options.revokePrevious ? stored.signing.map((k) => k.kid) : []);
    const retiring = stored.signing
      .filter((k) => !revoked.has(k.kid))
      .map((k) => ({ ...k, retiresAt: k.retiresAt ?? retiresAt }))
      .filter((k) => Date.parse(k.retiresAt) > now.getTime())
      .slice(0, MAX_RETIRING_KEYS);
    stored.signing = [fresh, ...retiring];
    // Public set first: a key published but never used is harmless, a key used but not published is not.
    await this.secrets.put(this.names.verificationKeys, publicSetOf(stored));
    await this.secrets.put(this.names.keyring, JSON.stringify(stored));
    // A racing rotation may have stored its keyring after ours, or published its set after ours:
    // publish what is stored now, and again while the keyring changes under us. Only a write by
    // another rotation changes it, and that rotation publishes after its write too, so whoever
    // publishes last has seen the final keyring. A racing rotation that read the keyring before
    // our revocation brings the revoked keys back: take them out again.
    for (let published: string | undefined; ;) {
      let current = await this.secrets.get(this.names.keyring);
      const racing = parseKeyring(current);
      if (racing.signing.some((k) => revoked.has(k.kid))) {
        const kept = racing.signing.filter((k) => !revoked.has(k.kid));
        racing.signing = kept.length > 0 ? kept : [fresh];
        current = JSON.stringify(racing);
        await this.secrets.put(this.names.verificationKeys, publicSetOf(racing));
        await this.secrets.put(this.names.keyring, current);
        published = undefined;
        continue;
      }
      if (current === published) break;
      await this.secrets.put(this.names.verificationKeys, publicSetOf(racing));
      published = current;
    }
    this.published = true;
    this.cached = undefined;
    this.verifier?.forget();
    return {
      kid: fresh.kid,
      previous: [
        ...[...revoked].map((kid) => ({ kid, verifiesUntil: now.toISOString() })),
        ...retiring.map((k) => ({ kid: k.kid, verifiesUntil: k.retiresAt })),
      ],
    };
  }

  /**
   * The stored keyring, or a new one. Creation never overwrites: of instances
   * racing on first use exactly one stores its keyring and the others read
   * that one back, so nothing is ever sealed with a key that is then lost.
   */
  private async readOrCreate(): Promise<{ stored: StoredKeyring; created: boolean }> {
    try {
      return { stored: parseKeyring(await this.secrets.get(this.names.keyring)), created: false };
    } catch (err) {
      if (!(err instanceof SecretNotFoundError)) throw err;
    }
    const fresh = await newKeyring(this.clock);
    if (await this.secrets.create(this.names.keyring, JSON.stringify(fresh))) return { stored: fresh, created: true };
    return { stored: parseKeyring(await this.secrets.get(this.names.keyring)), created: false };
  }
}

function parseKeyring(text: string): StoredKeyring {
  return JSON.parse(text) as StoredKeyring;
}

/** The JWK Set of the keyring's public keys: key id, public coordinates and retire time, nothing private. */
function publicSetOf(stored: StoredKeyring): string {
  const keys = stored.signing.map(({ kid, publicJwk: { kty, crv, x, y }, retiresAt }) => ({
    kty,
    crv,
    x,
    y,
    kid,
    alg: SIGNING_ALGORITHM,
    use: 'sig',
    ...(retiresAt ? { retires_at: retiresAt } : {}),
  }));
  return JSON.stringify({ keys } satisfies StoredVerificationKeys);
}

async function newSigningKey(clock: Clock) {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
  return {
    kid: randomUUID(),
    privateJwk: await exportJWK(privateKey),
    publicJwk: await exportJWK(publicKey),
    createdAt: clock.now().toISOString(),
  };
}

async function newKeyring(clock: Clock): Promise<StoredKeyring> {
  return { signing: [await newSigningKey(clock)], sealing: randomBytes(32).toString('base64') };
}

async function load(stored: StoredKeyring): Promise<Keyring> {
  const signing = await Promise.all(
    stored.signing.map(async (k) => ({
      kid: k.kid,
      privateKey: (await importJWK(k.privateJwk, SIGNING_ALGORITHM)) as CryptoKey,
    })),
  );
  return { signing, sealingKey: Buffer.from(stored.sealing, 'base64') };
}
