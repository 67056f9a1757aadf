import { ForbiddenError, NotFoundError } from '#shared/domain/errors.ts';

/** Global roles, each including the ones before it. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A per-cluster override; `none` hides the cluster from the user altogether. */
export const CLUSTER_ROLES = ['none', ...ROLES] as const;
export type ClusterRole = (typeof CLUSTER_ROLES)[number];

/** Who is making a request, as authentication established it. */
export interface Principal {
  userId: string;
  username: string;
  role: Role;
  /** Overrides of `role` by cluster id. */
  clusterPermissions: Record<string, ClusterRole>;
  via: 'token' | 'api-key' | 'anonymous';
  /** Whether the user has two-factor authentication on, as read with the principal. */
  totpEnabled: boolean;
  sessionId?: string;
  apiKeyId?: string;
}

const rank = (role: ClusterRole) => CLUSTER_ROLES.indexOf(role);

/** Whether `role` includes what `needed` allows. */
export function roleAllows(role: ClusterRole, needed: Role): boolean {
  return rank(role) >= rank(needed);
}

/** Throws 403 unless the principal's global role includes `needed`. */
export function requireRole(principal: Principal, needed: Role): void {
  if (!roleAllows(principal.role, needed)) {
    throw new ForbiddenError(`This needs the ${needed} role; you have ${principal.role}.`);
  }
}

/** The role a principal has on one cluster: its override there, else its global role. */
export function clusterRoleOf(principal: Principal, clusterId: string): ClusterRole {
  return principal.clusterPermissions[clusterId] ?? principal.role;
}

/** Whether a principal may see a cluster at all (lists filter with this). */
export function canSeeCluster(principal: Principal, clusterId: string): boolean {
  return roleAllows(clusterRoleOf(principal, clusterId), 'viewer');
}

/**
 * The one authorization check for everything that touches a cluster. A caller
 * who may not even see the cluster gets 404, so its existence does not leak;
 * one who may see it but not do this gets 403.
 */
export function authorizeCluster(principal: Principal, clusterId: string, needed: Role): void {
  const role = clusterRoleOf(principal, clusterId);
  if (!roleAllows(role, 'viewer')) throw new NotFoundError(`Cluster ${clusterId} does not exist.`);
  if (!roleAllows(role, needed)) {
    throw new ForbiddenError(`This needs the ${needed} role on cluster ${clusterId}; you have ${role}.`);
  }
}
