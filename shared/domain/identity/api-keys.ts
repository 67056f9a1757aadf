import { createHash } from 'node:crypto';
import { roleAllows } from './access.ts';
import type { ApiKeyRecord, UserRecord } from './ports.ts';

const DAY_MS = 86_400_000;

/**
 * What a key remembers of its owner's credentials when it is made: a stamp of the password
 * hash (a new password, set by the owner or reset by an admin, gives a new hash and salt) and the
 * role. Its use is refused once either no longer holds, even if a key escaped the revocation
 * that deletes a user's keys on those changes (one created while it ran, or not yet in the index).
 */
export function ownerStampOf(user: Pick<UserRecord, 'passwordHash' | 'role'>): NonNullable<ApiKeyRecord['owner']> {
  return { role: user.role, passwordStamp: createHash('sha256').update(user.passwordHash).digest('base64url').slice(0, 22) };
}

/** Whether the owner still has the password and at least the role the key was made under. */
export function keyStillHeldBy(key: ApiKeyRecord, user: Pick<UserRecord, 'passwordHash' | 'role'>): boolean {
  const now = ownerStampOf(user);
  return key.owner !== undefined && key.owner.passwordStamp === now.passwordStamp && roleAllows(now.role, key.owner.role);
}

/**
 * When a key stops working: its own expiry, but never later than `maxDays` after it was made,
 * so a lowered HUB_API_KEY_MAX_DAYS shortens the keys already out there too.
 */
export function apiKeyExpiry(key: Pick<ApiKeyRecord, 'createdAt' | 'expiresAt'>, maxDays: number): string {
  const cap = Date.parse(key.createdAt) + maxDays * DAY_MS;
  const own = key.expiresAt ? Date.parse(key.expiresAt) : Number.POSITIVE_INFINITY;
  return new Date(Math.min(cap, own)).toISOString();
}
