import { Secret, TOTP } from 'otpauth';
import { seal, unseal } from './secrets.ts';

const PERIOD_SECONDS = 30;

/** A fresh TOTP seed (160 bits, base32) and the otpauth:// URL authenticator apps scan. */
export function newTotpSecret(username: string): { secret: string; otpauthUrl: string } {
  const secret = new Secret({ size: 20 }).base32;
  return { secret, otpauthUrl: totpFor(secret, username).toString() };
}

/** Seals a user's seed for their record alone: the user id is its associated data. */
export function sealTotpSecret(secret: string, sealingKey: Buffer, userId: string): string {
  return seal(secret, sealingKey, sealingContext(userId));
}

/**
 * The seed sealed for `userId`, or undefined when it does not open for that user: copied from
 * another user's record, tampered with, or sealed with another key. No code matches it then.
 */
export function openTotpSecret(sealed: string, sealingKey: Buffer, userId: string): string | undefined {
  try {
    return unseal(sealed, sealingKey, sealingContext(userId));
  } catch {
    return undefined;
  }
}

const sealingContext = (userId: string) => `totp-seed:${userId}`;

/**
 * Checks a 6-digit code (RFC 6238, SHA-1, 30 s, one step of clock drift either
 * way) and returns its time step, or undefined. Callers refuse a step at or
 * below the last one used, so a code cannot be replayed.
 */
export function verifyTotp(secret: string, code: string, now: Date): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totpFor(secret, '').validate({ token: code, timestamp: now.getTime(), window: 1 });
  if (delta === null) return undefined;
  return Math.floor(now.getTime() / 1000 / PERIOD_SECONDS) + delta;
}

/** The code for a time (tests and the CLI use it as an authenticator would). */
export function totpCode(secret: string, at: Date): string {
  return totpFor(secret, '').generate({ timestamp: at.getTime() });
}

function totpFor(secret: string, label: string) {
  return new TOTP({ issuer: 'clusterhub', label, algorithm: 'SHA1', digits: 6, period: PERIOD_SECONDS, secret: Secret.fromBase32(secret) });
}
