import { randomUUID } from 'node:crypto';
import { AuthenticationError, ConflictError, ForbiddenError, InputError, NotFoundError } from '#shared/domain/errors.ts';
import type { Page } from '#shared/ports/page.ts';
import type { Principal } from './access.ts';
import { ownerStampOf } from './api-keys.ts';
import { checkOwnProof, checkTotp, isLocked } from './authentication.ts';
import { retireBootstrapPassword } from './bootstrap.ts';
import { AccountLockedError } from './errors.ts';
import type { IdentityDeps } from './identity-deps.ts';
import type { ApiKeyRecord, UserRecord } from './ports.ts';
import { checkPasswordPolicy, hashPassword, verifyPassword } from './passwords.ts';
import { newCredential } from './secrets.ts';
import { newTotpSecret, sealTotpSecret } from './totp.ts';

/** The user a principal stands for, which must still exist. */
async function self(deps: IdentityDeps, principal: Principal): Promise<UserRecord> {
  const user = await deps.users.get(principal.userId);
  if (!user) throw new AuthenticationError('Your account no longer exists.', 'INVALID_TOKEN');
  return user;
}

/**
 * The user behind a change of credentials (password, 2FA, new API keys), which needs a login
 * session: a leaked API key must not be able to mint lasting credentials or lock its owner out.
 * An account whose sessions guessed wrong too often changes no credential until the lock runs out.
 */
async function selfInSession(deps: IdentityDeps, principal: Principal): Promise<UserRecord> {
  if (principal.via !== 'token') {
    throw new ForbiddenError('Credentials can be changed only from a login session (a bearer token), not with an API key.');
  }
  const user = await self(deps, principal);
  if (isLocked(user, deps.clock.now())) throw new AccountLockedError(user.lockedUntil);
  return user;
}

/**
 * Changes one's own password, ends every other session of the user and revokes their API keys
 * (a key made with a stolen session must not outlive the new password). The first change of the
 * first admin's password also deletes the bootstrap secret.
 */
export async function changePassword(
  deps: IdentityDeps,
  principal: Principal,
  current: string,
  next: string,
): Promise<{ sessionsEnded: number; apiKeysRevoked: string[]; bootstrapSecretRemoved: boolean }> {
  const user = await selfInSession(deps, principal);
  // A wrong guess here counts toward a lock, or a stolen session could guess freely.
  if (!(await checkOwnProof(deps, user, () => verifyPassword(current, user.passwordHash)))) {
    throw new AuthenticationError('The current password is wrong.', 'INVALID_CREDENTIALS');
  }
  checkPasswordPolicy(user.username, next, 'new_password');
  if (await verifyPassword(next, user.passwordHash)) {
    throw new InputError('The new password must differ from the current one.', [{ field: 'new_password', location: 'body', message: 'same as current' }]);
  }
  await deps.users.update(user, { passwordHash: await hashPassword(next) });
  return {
    sessionsEnded: await deps.sessions.revokeAllForUser(user.id, principal.sessionId),
    apiKeysRevoked: await deps.apiKeys.deleteAllForUser(user.id),
    bootstrapSecretRemoved: await retireBootstrapPassword(deps, { password: current }),
  };
}

/** Starts 2FA enrolment: a new seed, not yet in force until a code proves the user holds it. */
export async function setupTotp(deps: IdentityDeps, principal: Principal) {
  const user = await selfInSession(deps, principal);
  if (user.totp?.enabled) throw new ConflictError('Two-factor authentication is already on; disable it first.', 'TOTP_ALREADY_ENABLED');
  const { secret, otpauthUrl } = newTotpSecret(user.username);
  const { sealingKey } = await deps.keyring.current();
  await deps.users.update(user, { totp: { sealedSecret: sealTotpSecret(secret, sealingKey, user.id), enabled: false } });
  return { secret, otpauthUrl };
}

/** Turns 2FA on once a code from the new seed checks out. */
export async function enableTotp(deps: IdentityDeps, principal: Principal, code: string): Promise<void> {
  const user = await selfInSession(deps, principal);
  if (!user.totp) throw new ConflictError('Start with POST /auth/2fa/setup.', 'TOTP_NOT_SET_UP');
  if (user.totp.enabled) throw new ConflictError('Two-factor authentication is already on.', 'TOTP_ALREADY_ENABLED');
  const step = await checkTotp(deps, user, code);
  if (step === undefined) throw new InputError('The code is wrong or expired.', [{ field: 'code', location: 'body', message: 'invalid code' }]);
  await deps.users.update(user, { totp: { ...user.totp, enabled: true, lastStep: step } });
}

/** Turns 2FA off; needs a valid current code. */
export async function disableTotp(deps: IdentityDeps, principal: Principal, code: string): Promise<void> {
  const user = await selfInSession(deps, principal);
  if (!user.totp?.enabled) throw new ConflictError('Two-factor authentication is not on.', 'TOTP_NOT_ENABLED');
  if (!(await checkOwnProof(deps, user, async () => (await checkTotp(deps, user, code)) !== undefined))) {
    throw new InputError('The code is wrong or was already used.', [{ field: 'code', location: 'body', message: 'invalid code' }]);
  }
  await deps.users.update(user, {}, ['totp']);
}

/**
 * Creates an API key acting as its owner; the key is returned once and only its hash is kept.
 * A key outlives the session it is made from, so making one asks for the password again (and a
 * fresh code when 2FA is on): a stolen access token alone cannot turn into a lasting key. It
 * lives at most HUB_API_KEY_MAX_DAYS, which is also what it gets when no expiry is asked for.
 */
export async function createApiKey(
  deps: IdentityDeps,
  principal: Principal,
  input: { name: string; expiresInDays?: number; currentPassword: string; totpCode?: string },
): Promise<{ record: ApiKeyRecord; key: string }> {
  const caller = await selfInSession(deps, principal);
  const maxDays = deps.policy.apiKeyMaxDays;
  if (input.expiresInDays !== undefined && input.expiresInDays > maxDays) {
    throw new InputError(`An API key lives at most ${maxDays} days (HUB_API_KEY_MAX_DAYS).`, [
      { field: 'expires_in_days', location: 'body', message: `at most ${maxDays}` },
    ]);
  }
  const user = await reauthenticate(deps, caller, input.currentPassword, input.totpCode);
  const id = randomUUID();
  const credential = newCredential('apiKey', id);
  const now = deps.clock.now();
  const record: ApiKeyRecord = {
    id,
    userId: principal.userId,
    name: input.name,
    hash: credential.hash,
    prefix: credential.token.slice(0, 12),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + (input.expiresInDays ?? maxDays) * 86_400_000).toISOString(),
    owner: ownerStampOf(user),
  };
  await deps.apiKeys.create(record);
  return { record, key: credential.token };
}

/**
 * Proves again that the caller is the user: the password, and with 2FA a code not used before.
 * Wrong answers count like failed logins; a right one is recorded as a login, the code's step
 * with it in one conditional write, so the code cannot be used again here or at a login.
 */
async function reauthenticate(deps: IdentityDeps, user: UserRecord, password: string, totpCode?: string): Promise<UserRecord> {
  if (!(await checkOwnProof(deps, user, () => verifyPassword(password, user.passwordHash)))) {
    throw new AuthenticationError('The current password is wrong.', 'INVALID_CREDENTIALS');
  }
  if (!user.totp?.enabled) return user;
  if (!totpCode) throw new AuthenticationError('This account uses two-factor authentication: send totp_code.', 'TOTP_REQUIRED');
  let step: number | undefined;
  const codeIsRight = async () => (step = await checkTotp(deps, user, totpCode)) !== undefined;
  if (!(await checkOwnProof(deps, user, codeIsRight)) || !(await deps.users.recordLogin(user.id, deps.clock.now().toISOString(), step))) {
    throw new AuthenticationError('The two-factor code is wrong or was already used.', 'INVALID_TOTP');
  }
  return user;
}

export async function listApiKeys(deps: IdentityDeps, principal: Principal, limit: number, cursor?: string): Promise<Page<ApiKeyRecord>> {
  return deps.apiKeys.listForUser(principal.userId, limit, cursor);
}

export async function revokeApiKey(deps: IdentityDeps, principal: Principal, id: string): Promise<void> {
  if (!(await deps.apiKeys.delete(principal.userId, id))) throw new NotFoundError(`API key ${id} does not exist.`);
}
