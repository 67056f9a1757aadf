import { randomUUID } from 'node:crypto';
import { AppError, AuthenticationError } from '#shared/domain/errors.ts';
import type { Principal } from './access.ts';
import { ACCESS_TOKEN_SECONDS } from './access-tokens.ts';
import { apiKeyExpiry, keyStillHeldBy } from './api-keys.ts';
import type { IdentityDeps } from './identity-deps.ts';
import type { UserRecord } from './ports.ts';
import { verifyAgainstNobody, verifyPassword } from './passwords.ts';
import { newCredential, parseCredential, secretMatches } from './secrets.ts';
import { openTotpSecret, verifyTotp } from './totp.ts';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: 'Bearer';
}

export class AccountLockedError extends AppError {
  constructor(until: string) {
    super(423, 'ACCOUNT_LOCKED', `Too many failed logins: the account is locked until ${until}. An admin can unlock it sooner.`, {
      locked_until: until,
    });
  }
}

const invalidCredentials = () => new AuthenticationError('The username or password is wrong.', 'INVALID_CREDENTIALS');
const LAST_USED_WRITE_INTERVAL_MS = 60 * 60_000;

/** What a login attempt established, for the audit trail whatever its outcome. */
export interface LoginSubject {
  userId?: string;
  username: string;
}

/**
 * Logs a user in with password and, when 2FA is on, a TOTP code. Wrong
 * credentials answer the same whether or not the user exists; repeated
 * failures lock the account.
 */
export async function login(
  deps: IdentityDeps,
  input: { username: string; password: string; totp_code?: string },
  subject: (s: LoginSubject) => void = () => {},
): Promise<TokenPair> {
  subject({ username: input.username });
  const user = await deps.users.findByUsername(input.username);
  if (!user) {
    await verifyAgainstNobody(input.password);
    throw invalidCredentials();
  }
  subject({ userId: user.id, username: user.username });
  const now = deps.clock.now();
  if (user.lockedUntil) {
    if (isLocked(user, now)) throw new AccountLockedError(user.lockedUntil);
    // The lock has run out: start counting afresh.
    await deps.users.clearExpiredLock(user.id);
  }
  if (!(await verifyPassword(input.password, user.passwordHash))) {
    await countFailure(deps, user);
    throw invalidCredentials();
  }
  if (user.totp?.enabled) {
    if (!input.totp_code) throw new AuthenticationError('This account uses two-factor authentication: send totp_code.', 'TOTP_REQUIRED');
    const step = await checkTotp(deps, user, input.totp_code);
    if (step === undefined) {
      await countFailure(deps, user);
      throw new AuthenticationError('The two-factor code is wrong or was already used.', 'INVALID_TOTP');
    }
    // The used step is recorded with the login itself: one write, conditional on the step being
    // newer, so two logins racing with the same code cannot both succeed.
    if (!(await deps.users.recordLogin(user.id, now.toISOString(), step))) {
      throw new AuthenticationError('The two-factor code is wrong or was already used.', 'INVALID_TOTP');
    }
  } else {
    await deps.users.recordLogin(user.id, now.toISOString());
  }
  return startSession(deps, user.id);
}

export function isLocked(user: UserRecord, now: Date): user is UserRecord & { lockedUntil: string } {
  return user.lockedUntil !== undefined && Date.parse(user.lockedUntil) > now.getTime();
}

/** Counts a failed proof of identity (password or code); the fifth in a row locks the account. */
export async function countFailure(deps: IdentityDeps, user: UserRecord) {
  const failures = await deps.users.addFailedLogin(user.id);
  if (failures >= deps.policy.maxFailedLogins) {
    await deps.users.lock(user.id, new Date(deps.clock.now().getTime() + deps.policy.lockMinutes * 60_000).toISOString());
  }
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
    access_token: await deps.tokens.issue({ userId, sessionId }),
    refresh_token: refreshToken,
    expires_in: ACCESS_TOKEN_SECONDS,
    token_type: 'Bearer',
  };
}

/**
 * Trades a refresh token for a new pair; the old one dies. A refresh token
 * presented a second time means it was stolen or replayed: the whole session
 * (every token descended from the same login) is revoked.
 */
export async function refresh(deps: IdentityDeps, token: string): Promise<TokenPair & { subject: LoginSubject }> {
  const invalid = new AuthenticationError('The refresh token is invalid, expired or revoked.', 'INVALID_TOKEN');
  const parsed = parseCredential('refresh', token);
  if (!parsed) throw invalid;
  const session = await deps.sessions.get(parsed.id);
  if (!session || session.revoked || Date.parse(session.expiresAt) <= deps.clock.now().getTime()) throw invalid;
  if (!secretMatches(parsed.secret, session.refreshHash)) {
    await deps.sessions.revoke(session.id);
    throw new AuthenticationError('This refresh token was already used: the session is revoked. Log in again.', 'REFRESH_TOKEN_REUSED');
  }
  const user = await deps.users.get(session.userId);
  if (!user) throw invalid;
  const next = newCredential('refresh', session.id);
  if (!(await deps.sessions.rotate(session.id, session.refreshHash, next.hash))) {
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
