import { randomUUID } from 'node:crypto';
import { ConflictError, ForbiddenError, NotFoundError } from '#shared/domain/errors.ts';
import { roleAllows, type ClusterRole, type Principal, type Role } from './access.ts';
import { retireBootstrapPassword } from './bootstrap.ts';
import type { IdentityDeps } from './identity-deps.ts';
import { forgetLoginFailures } from './login-attempts.ts';
import type { UserRecord } from './ports.ts';
import { checkPasswordPolicy, hashPassword } from './passwords.ts';

async function existing(deps: IdentityDeps, id: string): Promise<UserRecord> {
  const user = await deps.users.get(id);
  if (!user) throw new NotFoundError(`User ${id} does not exist.`);
  return user;
}

export async function createUser(deps: IdentityDeps, input: { username: string; password: string; role: Role }) {
  checkPasswordPolicy(input.username, input.password);
  const now = deps.clock.now().toISOString();
  return deps.users.create({
    id: randomUUID(),
    username: input.username,
    role: input.role,
    passwordHash: await hashPassword(input.password),
    failedLogins: 0,
    createdAt: now,
    updatedAt: now,
  });
}

export const getUser = existing;

/**
 * Changes a user's name, role or password; an admin cannot demote themself (someone must stay
 * admin). A reset password or a lowered role also revokes the user's API keys (listed in the
 * answer, for the audit trail): what the user could do with them is no longer theirs to do.
 */
export async function updateUser(
  deps: IdentityDeps,
  actor: Principal,
  id: string,
  input: { username?: string; role?: Role; password?: string },
): Promise<{ user: UserRecord; apiKeysRevoked: string[]; bootstrapSecretRemoved: boolean }> {
  const user = await existing(deps, id);
  if (id === actor.userId && input.role && input.role !== user.role) {
    throw new ConflictError('You cannot change your own role; ask another admin.', 'SELF_ROLE_CHANGE');
  }
  if (input.password) checkPasswordPolicy(input.username ?? user.username, input.password);
  const updated = await deps.users.update(user, {
    username: input.username,
    role: input.role,
    passwordHash: input.password ? await hashPassword(input.password) : undefined,
  });
  const lowered = input.role !== undefined && !roleAllows(input.role, user.role);
  // A reset password or a changed role ends the user's sessions, so the change takes effect now.
  if (input.password || (input.role && input.role !== user.role)) await deps.sessions.revokeAllForUser(id);
  return {
    user: updated,
    apiKeysRevoked: input.password || lowered ? await deps.apiKeys.deleteAllForUser(id) : [],
    // Reset away from the bootstrap password: the secret holding it goes, as on the admin's own change.
    bootstrapSecretRemoved: input.password ? await retireBootstrapPassword(deps, { passwordHash: user.passwordHash }) : false,
  };
}

export async function deleteUser(deps: IdentityDeps, actor: Principal, id: string) {
  if (id === actor.userId) throw new ConflictError('You cannot delete your own account.', 'SELF_DELETE');
  const user = await existing(deps, id);
  await deps.sessions.revokeAllForUser(id);
  await deps.apiKeys.deleteAllForUser(id);
  await deps.users.delete(user);
}

/** Lifts the lock on credential changes and the login lockouts of the user's sources and account. */
export async function unlockUser(deps: IdentityDeps, id: string) {
  const user = await existing(deps, id);
  await forgetLoginFailures(deps, user.username);
  return deps.users.update(user, { failedLogins: 0 }, ['lockedUntil']);
}

export async function listClusterPermissions(deps: IdentityDeps, id: string) {
  const found = await deps.users.getWithPermissions(id);
  if (!found) throw new NotFoundError(`User ${id} does not exist.`);
  return Object.entries(found.permissions).map(([clusterId, role]) => ({ clusterId, role }));
}

/** No one edits their own grants: an admin hidden from a cluster (`none`) must not lift that themself. */
function refuseSelfGrant(actor: Principal, id: string): void {
  if (id === actor.userId) throw new ForbiddenError('You cannot change your own cluster permissions; ask another admin.');
}

export async function setClusterPermission(
  deps: IdentityDeps,
  actor: Principal,
  id: string,
  input: { clusterId: string; role: ClusterRole },
  clusterExists: (clusterId: string) => Promise<boolean>,
) {
  refuseSelfGrant(actor, id);
  await existing(deps, id);
  if (!(await clusterExists(input.clusterId))) throw new NotFoundError(`Cluster ${input.clusterId} does not exist.`);
  await deps.users.setClusterPermission(id, input.clusterId, input.role);
  return input;
}

export async function deleteClusterPermission(deps: IdentityDeps, actor: Principal, id: string, clusterId: string) {
  refuseSelfGrant(actor, id);
  await existing(deps, id);
  if (!(await deps.users.deleteClusterPermission(id, clusterId))) {
    throw new NotFoundError(`User ${id} has no permission on cluster ${clusterId}.`);
  }
}
