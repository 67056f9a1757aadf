import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Opaque credentials the hub hands out (refresh tokens, API keys). Each is an
 * id the table can look up plus 256 random bits; the table keeps only a
 * SHA-256 of the random part, which is enough because it cannot be guessed.
 */
export interface OpaqueCredential {
  id: string;
  secret: string;
  /** What the client holds. */
  token: string;
  /** What the table holds. */
  hash: string;
}

const PREFIX = { refresh: 'chr', apiKey: 'chk' } as const;
type Kind = keyof typeof PREFIX;

/** Makes a new credential of a kind for the given record id. */
export function newCredential(kind: Kind, id: string): OpaqueCredential {
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `${PREFIX[kind]}_${id}_${secret}`, hash: hashSecret(secret) };
}

/** Splits a presented credential into id and secret, or undefined when it is not of that kind. */
export function parseCredential(kind: Kind, token: string): { id: string; secret: string } | undefined {
  const match = new RegExp(`^${PREFIX[kind]}_([A-Za-z0-9-]{1,64})_([A-Za-z0-9_-]{43})$`).exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** v2: sealed with associated data. */
const SEALED_VERSION = 'v2';

/**
 * AES-256-GCM: secrets the hub must read back (TOTP seeds) are sealed with a key kept in the
 * secret store, and bound to what they belong to (`context`, such as a user id, as associated
 * data), so a sealed value copied into another record does not open there.
 */
export function seal(plaintext: string, key: Buffer, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [SEALED_VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

/** Opens what `seal` made for the same `context`; throws if it was tampered with, sealed with another key or for another context. */
export function unseal(sealed: string, key: Buffer, context: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  // v1 (no associated data) is not read: it was never released, and reading it would bind nothing.
  if (version !== SEALED_VERSION || !iv || !tag || body === undefined) throw new Error('not a sealed value');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
