import { randomBytes, randomUUID } from 'node:crypto';
import { ConflictError } from '#shared/domain/errors.ts';
import type { IdentityDeps } from './identity-deps.ts';
import { checkPasswordPolicy, hashPassword } from './passwords.ts';

export const BOOTSTRAP_USERNAME = 'admin';

/**
 * On a table with no users, creates `admin` with the given password or a
 * generated one, which is returned so it can be shown once. Never a fixed default.
 */
export async function bootstrapAdmin(
  deps: IdentityDeps,
  /** Read only when the table has no user yet (a deployment keeps it in the secret store). */
  passwordSource: () => Promise<string | undefined>,
): Promise<{ created: false } | { created: true; password: string; generated: boolean }> {
  if ((await deps.users.countAtMostOne()) > 0) return { created: false };
  const password = await passwordSource();
  const chosen = password ?? randomBytes(18).toString('base64url');
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
