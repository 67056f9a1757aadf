/**
 * Acting as the user on a cluster: before a cluster is set to impersonate, the hub asks the
 * cluster (SelfSubjectAccessReview) whether its own credential may impersonate users and groups,
 * and refuses to set it when not, saying what RBAC rule is missing.
 */
import { AppError } from '#shared/domain/errors.ts';
import { clusterRoleOf, type Principal } from '#shared/domain/identity/access.ts';
import type { GatewayOptions } from '#shared/ports/cluster-gateway.ts';
import type { ClusterRecord } from './cluster.ts';
import type { CheckedKubeconfig } from './kubeconfig-policy.ts';
import type { ClusterDeps } from './cluster-deps.ts';

/** Whom the gateway acts for: the caller, when the cluster is set to impersonate; else the hub's own credential. */
export function actingFor(principal: Principal, cluster: ClusterRecord): GatewayOptions | undefined {
  if (!cluster.impersonate) return undefined;
  return { impersonate: { user: `clusterhub:${principal.username}`, groups: [`clusterhub:${clusterRoleOf(principal, cluster.id)}`] } };
}

const REVIEWS = { group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectaccessreviews' };

/** 422 IMPERSONATION_NOT_ALLOWED unless the credential may impersonate both users and groups. */
export async function checkImpersonation(deps: ClusterDeps, credentials: CheckedKubeconfig): Promise<void> {
  const gateway = deps.gateways(credentials);
  try {
    const denied: string[] = [];
    for (const resource of ['users', 'groups']) {
      const review = {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { verb: 'impersonate', resource } },
      };
      const { object } = await gateway.create(REVIEWS, review);
      if ((object.status as { allowed?: boolean } | undefined)?.allowed !== true) denied.push(resource);
    }
    if (denied.length) {
      throw new AppError(
        'unprocessable',
        'IMPERSONATION_NOT_ALLOWED',
        `The hub's credential on this cluster may not impersonate ${denied.join(' or ')}: bind it a ClusterRole with verb impersonate on users and groups (core API group), then try again.`,
        { denied },
      );
    }
  } finally {
    gateway.close();
  }
}
