import type { ServiceAccountRequest } from '#shared/ports/cluster-gateway.ts';
import type { ClusterDeps } from './cluster-deps.ts';
import type { ClusterRecord, OnboardedAccount } from './cluster.ts';
import { replaceCredential } from './credentials.ts';
import { withCluster } from './live-views.ts';
import { inspectBeforeStoring } from './registry.ts';

/**
 * The PX-Backup flow: creates a service account bound to a ClusterRole on the
 * target cluster and, with `useForHub`, makes its token the hub's credential,
 * so the hub no longer holds the admin credential that was uploaded (its
 * secret is deleted, not kept as an older version).
 *
 * Repeating it is idempotent. Once the hub works as the account, it usually
 * may not create accounts any more (a `view` role cannot), so asking again for
 * the account the hub already uses only proves that the account still
 * authenticates and answers as before, without touching the cluster.
 */
export async function onboardServiceAccount(deps: ClusterDeps, cluster: ClusterRecord, request: ServiceAccountRequest, useForHub: boolean) {
  const current = cluster.serviceAccount;
  if (current && isSameAccount(current, request)) {
    await withCluster(deps, cluster, (g) => g.version());
    return onboardingView(cluster.name, current, true);
  }
  const onboarded = await withCluster(deps, cluster, (g) => g.onboardServiceAccount(request));
  const now = deps.clock.now().toISOString();
  const account: BoundAccount = {
    name: onboarded.service_account,
    namespace: onboarded.namespace,
    role: onboarded.role,
    clusterRoleBinding: onboarded.cluster_role_binding,
    updatedAt: now,
  };
  let record = cluster;
  if (useForHub) {
    // Prove the new credential works before the old one is dropped.
    await inspectBeforeStoring(deps, onboarded.credentials);
    record = await replaceCredential(deps, cluster, onboarded.credentials.kubeconfig, (credentialRef) =>
      deps.clusters.update(cluster, {
        credentialRef,
        credentialKind: onboarded.credentials.summary.authKind,
        serviceAccount: account,
        updatedAt: now,
      }),
    );
  }
  return onboardingView(record.name, account, useForHub);
}

/** An onboarded account whose record names its ClusterRoleBinding. */
type BoundAccount = OnboardedAccount & { clusterRoleBinding: string };

/** Whether the request names the account (and role) the hub already works as; records that lack the binding are onboarded again. */
function isSameAccount(current: OnboardedAccount, request: ServiceAccountRequest): current is BoundAccount {
  return current.name === request.name && current.namespace === request.namespace && current.role === request.role && !!current.clusterRoleBinding;
}

function onboardingView(clusterName: string, account: BoundAccount, usedForHub: boolean) {
  return {
    name: clusterName,
    service_account: account.name,
    namespace: account.namespace,
    role: account.role,
    cluster_role_binding: account.clusterRoleBinding,
    used_for_hub: usedForHub,
    updated_at: account.updatedAt,
  };
}
