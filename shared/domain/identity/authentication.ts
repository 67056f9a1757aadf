import { randomUUID } from 'node:crypto';
import { AuthenticationError } from '#shared/domain/errors.ts';
import type { Principal } from './access.ts';
import { ACCESS_TOKEN_SECONDS } from './access-tokens.ts';
import { apiKeyExpiry, keyStillHeldBy } from './api-keys.ts';
import { AccountLockedError } from './errors.ts';
import type { IdentityDeps } from './identity-deps.ts';
import type { UserRecord } from './ports.ts';
import { admitLoginAttempt, isKnownSource, loginAbandoned, loginSucceeded, withKnownSource } from './login-attempts.ts';
import { verifyAgainstNobody, verifyPassword } from './passwords.ts';
import { newCredential, parseCredential, secretMatches } from './secrets.ts';
import { openTotpSecret, verifyTotp } from './totp.ts';

/** A bearer access token, and the refresh token that trades for the next pair. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token lives. */
  expiresIn: number;
}

const invalidCredentials = () => new AuthenticationError('The username or password is wrong.', 'INVALID_CREDENTIALS');
const invalidTotp = () => new AuthenticationError('The two-factor code is wrong or was already used.', 'INVALID_TOTP');
const LAST_USED_WRITE_INTERVAL_MS = 60 * 60_000;
/** Traded-in refresh tokens a session remembers, to tell a replayed one from a made-up one. */
const PREVIOUS_REFRESH_HASHES = 16;

/** What a login attempt established, for the audit trail whatever its outcome. */
export interface LoginSubject {
  userId?: string;
  username: string;
}

/**
 * Logs a user in with password and, when 2FA is on, a TOTP code, from `source` (the client's
 * address, IPv6 by /64). Every attempt is counted before the password is hashed and refused
 * (429) when its source has failed too often or the account is being slowed down for unknown
 * sources (login-attempts.ts); the account itself is never locked. Wrong credentials answer
 * the same, at the same cost, whether or not the user exists.
 */
export async function login(
  deps: IdentityDeps,
  input: { username: string; password: string; totpCode?: string },
  source: string,
  subject: (s: LoginSubject) => void = () => {},
): Promise<TokenPair> {
  subject({ username: input.username });
  const user = await deps.users.findByUsername(input.username);
  if (user) subject({ userId: user.id, username: user.username });
  // A valid unused code is checked first (it needs no hashing): a stranger without it cannot
  // keep a 2FA user out. It is only consumed once the password is right too.
  const step = user?.totp?.enabled && input.totpCode ? await checkTotp(deps, user, input.totpCode) : undefined;
  const knownSource = isKnownSource(deps, user, source);
  const admission = await admitLoginAttempt(deps, { username: input.username, source, knownSource, secondFactor: step !== undefined });
  // An unknown user's attempt hashes too, against a dummy: both cost the same, and both stay counted.
  if (!user) {
    await verifyAgainstNobody(input.password);
    throw invalidCredentials();
  }
  if (!(await verifyPassword(input.password, user.passwordHash))) throw invalidCredentials();
  if (user.totp?.enabled && !input.totpCode) {
    await loginAbandoned(deps, admission);
    throw new AuthenticationError('This account uses two-factor authentication: send totp_code.', 'TOTP_REQUIRED');
  }
  if (user.totp?.enabled && step === undefined) throw invalidTotp();
  const now = deps.clock.now();
  // The used step is recorded with the login itself: one write, conditional on the step being
  // newer, so two logins racing with the same code cannot both succeed.
  if (!(await deps.users.recordLogin(user.id, now.toISOString(), step, withKnownSource(deps, user, source)))) throw invalidTotp();
  await loginSucceeded(deps, admission);
  return startSession(deps, user.id);
}

export function isLocked(user: UserRecord, now: Date): user is UserRecord & { lockedUntil: string } {
  return user.lockedUntil !== undefined && Date.parse(user.lockedUntil) > now.getTime();
}

/**
 * Checks a proof of identity from the user's own session (current password, 2FA code), counted
 * before the check so that proofs checked in parallel count one each; the fifth failure in a row
 * locks the account's credential changes for lockMinutes (logins go on: see login-attempts.ts).
 */
export async function checkOwnProof(deps: IdentityDeps, user: UserRecord, prove: () => Promise<boolean>): Promise<boolean> {
  const now = deps.clock.now();
  if (isLocked(user, now)) throw new AccountLockedError(user.lockedUntil);
  // A lock that has run out: start counting afresh.
  if (user.lockedUntil) await deps.users.clearExpiredLock(user.id);
  const lockUntil = () => new Date(deps.clock.now().getTime() + deps.policy.lockMinutes * 60_000).toISOString();
  const failures = await deps.users.reserveFailedLogin(user.id, deps.policy.maxFailedLogins, now.toISOString());
  if (failures === undefined) {
    // As many proofs are failing or still being checked as the lock allows.
    const until = lockUntil();
    await deps.users.lock(user.id, until);
    throw new AccountLockedError(until);
  }
  if (await prove()) {
    await deps.users.releaseFailedLogin(user.id);
    return true;
  }
  if (failures >= deps.policy.maxFailedLogins) await deps.users.lock(user.id, lockUntil());
  return false;
}

/** Checks a TOTP code against the user's sealed seed; the step, or undefined when wrong or replayed. */
export async function checkTotp(deps: IdentityDeps, user: UserRecord, code: string): Promise<number | undefined> {
  if (!user.totp) return undefined;
  const { sealingKey } = await deps.keyring.current();
  const secret = openTotpSecret(user.totp.sealedSecret, sealingKey, user.id);
  const step = secret === undefined ? undefined : verifyTotp(secret, code, deps.clock.now());
  if (step === undefined || (user.totp.lastStep !== undefined && step <= user.totp.lastStep)) return undefined;
  return step;
}

async function startSession(deps: IdentityDeps, userId: string): Promise<TokenPair> {
  const sessionId = randomUUID();
  const refresh = newCredential('refresh', sessionId);
  const now = deps.clock.now();
  await deps.sessions.create({
    id: sessionId,
    userId,
    refreshHash: refresh.hash,
    revoked: false,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + deps.policy.sessionDays * 86_400_000).toISOString(),
  });
  return pair(deps, userId, sessionId, refresh.token);
}

async function pair(deps: IdentityDeps, userId: string, sessionId: string, refreshToken: string): Promise<TokenPair> {
  return {
    accessToken: await deps.tokens.issue({ userId, sessionId }),
    refreshToken,
    expiresIn: ACCESS_TOKEN_SECONDS,
  };
}

/**
 * Trades a refresh token for a new pair; the old one dies. A refresh token of the session
 * presented again after it was traded in means it was stolen or replayed: the whole session
 * (every token descended from the same login) is revoked. Any other wrong secret is refused
 * and changes nothing, so knowing a session id (it is in every access token) ends nothing.
 */
export async function refresh(deps: IdentityDeps, token: string): Promise<TokenPair & { subject: LoginSubject }> {
  const invalid = new AuthenticationError('The refresh token is invalid, expired or revoked.', 'INVALID_TOKEN');
  const parsed = parseCredential('refresh', token);
  if (!parsed) throw invalid;
  const session = await deps.sessions.get(parsed.id);
  if (!session || session.revoked || Date.parse(session.expiresAt) <= deps.clock.now().getTime()) throw invalid;
  const previous = session.previousHashes ?? [];
  if (!secretMatches(parsed.secret, session.refreshHash)) {
    if (!previous.some((hash) => secretMatches(parsed.secret, hash))) throw invalid;
    await deps.sessions.revoke(session.id);
    throw new AuthenticationError('This refresh token was already used: the session is revoked. Log in again.', 'REFRESH_TOKEN_REUSED');
  }
  const user = await deps.users.get(session.userId);
  if (!user) throw invalid;
  const next = newCredential('refresh', session.id);
  const traded = [...previous, session.refreshHash].slice(-PREVIOUS_REFRESH_HASHES);
  if (!(await deps.sessions.rotate(session.id, session.refreshHash, next.hash, traded))) {
    // Two uses of one token raced: treat as reuse.
    await deps.sessions.revoke(session.id);
    throw new AuthenticationError('This refresh token was already used: the session is revoked. Log in again.', 'REFRESH_TOKEN_REUSED');
  }
  return { ...(await pair(deps, user.id, session.id, next.token)), subject: { userId: user.id, username: user.username } };
}

/** Resolves a bearer access token to its principal; the session must still be live. */
export async function authenticateAccessToken(deps: IdentityDeps, token: string): Promise<Principal> {
  const claims = await deps.tokens.verify(token);
  const [session, found] = await Promise.all([deps.sessions.get(claims.sessionId), deps.users.getWithPermissions(claims.userId)]);
  if (!session || session.revoked || session.userId !== claims.userId || !found) {
    throw new AuthenticationError('The session of this token has ended; log in again.', 'INVALID_TOKEN');
  }
  return toPrincipal(found.user, found.permissions, { via: 'token', sessionId: session.id });
}

/** Resolves an X-API-Key to its owner's principal. */
export async function authenticateApiKey(deps: IdentityDeps, presented: string): Promise<Principal> {
  const invalid = new AuthenticationError('The API key is invalid, expired or revoked.', 'INVALID_API_KEY');
  const parsed = parseCredential('apiKey', presented);
  if (!parsed) throw invalid;
  const key = await deps.apiKeys.get(parsed.id);
  if (!key || !secretMatches(parsed.secret, key.hash)) throw invalid;
  const now = deps.clock.now();
  if (Date.parse(apiKeyExpiry(key, deps.policy.apiKeyMaxDays)) <= now.getTime()) throw invalid;
  const found = await deps.users.getWithPermissions(key.userId);
  // A new password or a lower role since the key was made voids it, whether or not its deletion reached it.
  if (!found || !keyStillHeldBy(key, found.user)) throw invalid;
  if (!key.lastUsedAt || now.getTime() - Date.parse(key.lastUsedAt) > LAST_USED_WRITE_INTERVAL_MS) {
    // At most one write an hour per key: enough to tell live keys from forgotten ones.
    await deps.apiKeys.touch(key.id, now.toISOString());
  }
  return toPrincipal(found.user, found.permissions, { via: 'api-key', apiKeyId: key.id });
}

function toPrincipal(user: UserRecord, permissions: Principal['clusterPermissions'], how: Pick<Principal, 'via' | 'sessionId' | 'apiKeyId'>): Principal {
  return { userId: user.id, username: user.username, role: user.role, clusterPermissions: permissions, totpEnabled: user.totp?.enabled ?? false, ...how };
}
