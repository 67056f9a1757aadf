import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { ConflictError, ForbiddenError } from '#shared/domain/errors.ts';
import { SecretNotFoundError, type SecretStore } from '#shared/ports/secret-store.ts';
import type { Principal } from './access.ts';
import type { IdentityDeps } from './identity-deps.ts';
import { checkPasswordPolicy, hashPassword, verifyPassword } from './passwords.ts';

export const BOOTSTRAP_USERNAME = 'admin';
/** The name of the bootstrap admin password secret, below the hub's secret prefix (the stack makes it). */
export const BOOTSTRAP_SECRET = 'bootstrap/admin-password';

/**
 * A deployment's secret holding the first admin's password. It lives only while that admin has
 * never changed the password: the first change deletes it, so a password anyone with read access
 * to the secret could use does not outlive the first login.
 */
export class BootstrapPasswordSecret {
  constructor(
    private readonly secrets: SecretStore,
    /** How the deployment names it to the function (HUB_BOOTSTRAP_SECRET_ARN): read and deleted through this. */
    readonly ref: string,
    /** Its name (`<prefix>bootstrap/admin-password`), which a rotation writes a new value under. */
    readonly name: string,
  ) {}

  /** The password, or undefined once the secret is gone. */
  async read(): Promise<string | undefined> {
    try {
      return await this.secrets.get(this.ref);
    } catch (err) {
      if (err instanceof SecretNotFoundError) return undefined;
      throw err;
    }
  }

  async replace(password: string): Promise<void> {
    await this.secrets.put(this.name, password);
  }

  async remove(): Promise<void> {
    await this.secrets.delete(this.ref);
  }
}

/** A password as the bootstrap generates it: 144 random bits, 24 URL-safe characters. */
const generatePassword = () => randomBytes(18).toString('base64url');

/**
 * On a table with no users, creates `admin` with the given password or a
 * generated one, which is returned so it can be shown once. Never a fixed default.
 * With `generate: false` (a deployment, where nobody would see a generated one) a missing
 * password creates no one.
 */
export async function bootstrapAdmin(
  deps: IdentityDeps,
  /** Read only when the table has no user yet (a deployment keeps it in the secret store). */
  passwordSource: () => Promise<string | undefined>,
  options: { generate?: boolean } = {},
): Promise<{ created: false; reason?: 'no-password' } | { created: true; password: string; generated: boolean }> {
  if ((await deps.users.countAtMostOne()) > 0) return { created: false };
  const password = await passwordSource();
  if (password === undefined && options.generate === false) return { created: false, reason: 'no-password' };
  const chosen = password ?? generatePassword();
  checkPasswordPolicy(BOOTSTRAP_USERNAME, chosen, 'HUB_ADMIN_PASSWORD');
  const now = deps.clock.now().toISOString();
  try {
    await deps.users.create({
      id: randomUUID(),
      username: BOOTSTRAP_USERNAME,
      role: 'admin',
      passwordHash: await hashPassword(chosen),
      failedLogins: 0,
      createdAt: now,
      updatedAt: now,
    });
  } catch (err) {
    // Another instance bootstrapped at the same moment: theirs stands.
    if (err instanceof ConflictError) return { created: false };
    throw err;
  }
  return { created: true, password: chosen, generated: password === undefined };
}

/**
 * After a password change: deletes the bootstrap secret when the password given up was the one
 * it holds, so the first change of the first admin's password removes it. `previous` is the
 * plain password (a change by the user, who just proved it) or the old hash (an admin's reset).
 * True when it deleted the secret.
 */
export async function retireBootstrapPassword(deps: IdentityDeps, previous: { password: string } | { passwordHash: string }): Promise<boolean> {
  const secret = deps.bootstrapPassword;
  if (!secret) return false;
  const value = await secret.read();
  if (value === undefined) return false;
  const held = 'password' in previous ? sameText(value, previous.password) : await verifyPassword(value, previous.passwordHash);
  if (!held) return false;
  await secret.remove();
  return true;
}

/**
 * Gives the first admin a new generated password, kept only in the bootstrap secret (never in a
 * response), while that admin has never changed the one it holds: for a bootstrap secret that
 * may have been read by someone who should not have. Their other sessions end and their API
 * keys are revoked, as on any password change.
 */
export async function rotateBootstrapPassword(deps: IdentityDeps, actor: Principal) {
  if (actor.via !== 'token') throw new ForbiddenError('The bootstrap password can be rotated only from a login session (a bearer token), not with an API key.');
  const secret = deps.bootstrapPassword;
  if (!secret) {
    throw new ConflictError(
      'This hub keeps no bootstrap password secret: the local run takes the first password from HUB_ADMIN_PASSWORD or shows a generated one once.',
      'NO_BOOTSTRAP_SECRET',
    );
  }
  const current = await secret.read();
  const admin = current === undefined ? undefined : await deps.users.findByUsername(BOOTSTRAP_USERNAME);
  if (current === undefined || !admin || !(await verifyPassword(current, admin.passwordHash))) {
    // Whatever it still holds opens nothing: remove it, as the first change would have.
    if (current !== undefined) await secret.remove();
    throw new ConflictError(
      `The first admin has changed the bootstrap password (or no longer exists), so there is none to rotate; the secret ${secret.name} is gone.`,
      'BOOTSTRAP_PASSWORD_RETIRED',
    );
  }
  const next = generatePassword();
  const updated = await deps.users.update(admin, { passwordHash: await hashPassword(next) });
  try {
    await secret.replace(next);
  } catch (err) {
    // The new password must not be lost: put the old one back, which the secret still holds.
    await deps.users.update(updated, { passwordHash: admin.passwordHash });
    throw err;
  }
  const sessionsEnded = await deps.sessions.revokeAllForUser(admin.id, actor.sessionId);
  const revokedKeys = await deps.apiKeys.deleteAllForUser(admin.id);
  return { userId: admin.id, secret: secret.name, sessionsEnded, apiKeysRevoked: revokedKeys };
}

/** Equal strings, compared in constant time (through their hashes, which have one length). */
function sameText(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
