import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '#shared/ports/clock.ts';
import { SecretNotFoundError, type SecretStore } from '#shared/ports/secret-store.ts';

export const SIGNING_ALGORITHM = 'ES256';
/** How many retired signing keys still verify tokens after a rotation. */
const KEEP_RETIRED_KEYS = 2;
/** How long an instance trusts its copy of the keyring before reading it again. */
const CACHE_MS = 5 * 60_000;

interface StoredKeyring {
  signing: { kid: string; privateJwk: JWK; publicJwk: JWK; createdAt: string }[];
  /** AES-256 key (base64) that seals secrets the hub must read back, such as TOTP seeds. */
  sealing: string;
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export interface Keyring {
  /** The newest key signs; every listed key verifies. */
  signing: SigningKey[];
  sealingKey: Buffer;
}

/**
 * The identity keys, kept as one secret in the secret store: ES256 signing
 * keys with key ids (so a rotation does not log anyone out) and the sealing key.
 */
export class KeyringStore {
  private cached?: { keyring: Keyring; at: number };

  constructor(
    private readonly secrets: SecretStore,
    private readonly secretName: string,
    private readonly clock: Clock,
  ) {}

  /** The keyring, created on first use, cached per instance for a few minutes. */
  async current(refresh = false): Promise<Keyring> {
    const now = this.clock.now().getTime();
    if (!refresh && this.cached && now - this.cached.at < CACHE_MS) return this.cached.keyring;
    let stored: StoredKeyring;
    try {
      stored = JSON.parse(await this.secrets.get(this.secretName)) as StoredKeyring;
    } catch (err) {
      if (!(err instanceof SecretNotFoundError)) throw err;
      await this.secrets.put(this.secretName, JSON.stringify(await newKeyring(this.clock)));
      // Read back what is stored, so two instances racing to create it converge on one keyring.
      stored = JSON.parse(await this.secrets.get(this.secretName)) as StoredKeyring;
    }
    const keyring = await load(stored);
    this.cached = { keyring, at: now };
    return keyring;
  }

  /** Adds a new signing key in front; the previous ones keep verifying until they fall off the end. */
  async rotate(): Promise<string> {
    const stored = JSON.parse(await this.secrets.get(this.secretName)) as StoredKeyring;
    const fresh = await newSigningKey(this.clock);
    stored.signing = [fresh, ...stored.signing].slice(0, KEEP_RETIRED_KEYS + 1);
    await this.secrets.put(this.secretName, JSON.stringify(stored));
    this.cached = undefined;
    return fresh.kid;
  }
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
      publicKey: (await importJWK(k.publicJwk, SIGNING_ALGORITHM)) as CryptoKey,
    })),
  );
  return { signing, sealingKey: Buffer.from(stored.sealing, 'base64') };
}
