import { createHash } from 'node:crypto';
import type { CryptoKey } from 'jose';
import type { AccessClaims } from './access-tokens.ts';

/** Tokens remembered per instance; beyond it the least recently used is forgotten. */
export const VERIFIED_TOKENS_MAX = 1000;

interface Verified {
  claims: AccessClaims;
  kid: string;
  /** The published key that verified it: a later look-up must still find this very key. */
  key: CryptoKey;
  /** The token's `exp`, epoch seconds. */
  exp: number;
}

/**
 * Access tokens whose signature this instance has already verified, so that a warm request does
 * not verify the same ES256 signature again (about a fifth of a warm request's CPU). Only the
 * signature check is spared: an entry counts only until the token's `exp`, and only while the key
 * id still resolves to the same key (a key that is retired, or revoked and re-read, or replaced,
 * ends it); the session and the user are still read on every request, so a revoked session or a
 * changed role takes effect as before. Keyed by the token's SHA-256, so no bearer token is kept in
 * memory; refusals are never remembered.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Verified>();

  constructor(private readonly max = VERIFIED_TOKENS_MAX) {}

  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  /** The remembered entry of `key` while its token has not expired at `nowSeconds`. */
  get(key: string, nowSeconds: number): Verified | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    // The same rule as jose's: a token is expired once its exp is not after now.
    if (entry.exp <= nowSeconds) return undefined;
    this.entries.set(key, entry); // most recently used last
    return entry;
  }

  set(key: string, entry: Verified): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
