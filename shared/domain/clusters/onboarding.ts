import type { ServiceAccountRequest } from '#shared/ports/cluster-gateway.ts';
import type { ClusterDeps } from './cluster-deps.ts';
import type { ClusterRecord } from './cluster.ts';
import { credentialSecretName } from './credentials.ts';
import { withCluster } from './live-views.ts';
import { inspectBeforeStoring } from './registry.ts';

/**
 * The PX-Backup flow: creates a service account bound to a ClusterRole on the
 * target cluster and, with `useForHub`, makes its token the hub's credential,
 * so the hub no longer holds the admin credential that was uploaded.
 * Repeating it is idempotent.
 */
export async function onboardServiceAccount(deps: ClusterDeps, cluster: ClusterRecord, request: ServiceAccountRequest, useForHub: boolean) {
  const onboarded = await withCluster(deps, cluster, (g) => g.onboardServiceAccount(request));
  const now = deps.clock.now().toISOString();
  let record = cluster;
  if (useForHub) {
    // Prove the new credential works before the old one is dropped.
    await inspectBeforeStoring(deps, onboarded.credentials);
    const credentialRef = await deps.secrets.put(credentialSecretName(deps, cluster.id), onboarded.credentials.kubeconfig);
    record = await deps.clusters.update(cluster, {
      credentialRef,
      credentialKind: onboarded.credentials.summary.authKind,
      serviceAccount: { name: onboarded.service_account, namespace: onboarded.namespace, role: onboarded.role, updatedAt: now },
      updatedAt: now,
    });
  }
  return {
    name: record.name,
    service_account: onboarded.service_account,
    namespace: onboarded.namespace,
    role: onboarded.role,
    cluster_role_binding: onboarded.cluster_role_binding,
    used_for_hub: useForHub,
    updated_at: now,
  };
}
