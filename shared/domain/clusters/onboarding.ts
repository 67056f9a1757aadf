import { ForbiddenError } from '#shared/domain/errors.ts';
import type { Principal } from '#shared/domain/identity/access.ts';
import type { ServiceAccountRequest } from '#shared/ports/cluster-gateway.ts';
import type { ClusterDeps } from './cluster-deps.ts';
import type { ClusterRecord, OnboardedAccount } from './cluster.ts';
import { replaceCredential } from './credentials.ts';
import { withCluster } from './live-views.ts';
import { inspectBeforeStoring } from './registry.ts';

/**
 * What a per-cluster admin may onboard (HUB_ONBOARDING_*). Going beyond it, and binding
 * `cluster-admin` whatever the lists say, needs the global admin role: a per-cluster admin must not
 * mint the hub a credential stronger than their own standing, nor place an account in a namespace
 * (kube-system) whose group bindings would hand it more than its role.
 */
export interface OnboardingPolicy {
  /** ClusterRoles a per-cluster admin may bind. */
  clusterRoles: string[];
  /** Namespaces a per-cluster admin may create accounts in. */
  namespaces: string[];
  /** Lifetime asked for the hub's bound token; the API server may cap it (the answer says when it expires). */
  tokenLifetimeSeconds: number;
}

export const ALWAYS_GLOBAL_ADMIN_ROLES = ['cluster-admin'];

export interface OnboardingRequest {
  name: string;
  namespace: string;
  role: string;
}

/** Throws 403 when the request goes beyond what the caller's standing allows. */
export function authorizeOnboarding(principal: Principal, policy: OnboardingPolicy, request: OnboardingRequest): void {
  if (principal.role === 'admin') return;
  const beyond: string[] = [];
  if (ALWAYS_GLOBAL_ADMIN_ROLES.includes(request.role) || !policy.clusterRoles.includes(request.role)) {
    beyond.push(
      `the ClusterRole ${request.role} (a per-cluster admin may bind ${policy.clusterRoles.filter((r) => !ALWAYS_GLOBAL_ADMIN_ROLES.includes(r)).join(', ') || 'none'})`,
    );
  }
  if (!policy.namespaces.includes(request.namespace)) {
    beyond.push(`the namespace ${request.namespace} (a per-cluster admin may use ${policy.namespaces.join(', ') || 'none'})`);
  }
  if (beyond.length) {
    throw new ForbiddenError(`Onboarding with ${beyond.join(' and ')} needs the global admin role; you have ${principal.role} (admin on this cluster only).`);
  }
}

/**
 * The PX-Backup flow: creates a service account bound to a ClusterRole on the
 * target cluster and, with `useForHub`, makes a bound, expiring token of it (TokenRequest API)
 * the hub's credential, so the hub no longer holds the admin credential that was uploaded (its
 * secret is deleted, not kept as an older version). The hub does not renew that token: when it
 * expires (`token_expires_at`) the cluster answers CLUSTER_CREDENTIAL_REJECTED until a global admin
 * replaces the credential and, if wanted, onboards again. Without `useForHub` no token is made.
 * Only accounts the hub created are bound; the long-lived token Secret an earlier onboarding made
 * is deleted (revoking its token) unless the hub still works with it.
 *
 * Repeating it is idempotent. Once the hub works as the account, it usually
 * may not create accounts any more (a `view` role cannot), so asking again for
 * the account the hub already uses only proves that the account still
 * authenticates and answers as before, without touching the cluster.
 */
export async function onboardServiceAccount(
  deps: ClusterDeps,
  principal: Principal,
  cluster: ClusterRecord,
  request: OnboardingRequest,
  useForHub: boolean,
): Promise<OnboardingResult> {
  authorizeOnboarding(principal, deps.onboarding, request);
  const current = cluster.serviceAccount;
  if (current && isSameAccount(current, request)) {
    await withCluster(deps, cluster, (g) => g.version());
    return { clusterName: cluster.name, account: current, usedForHub: true };
  }
  // The hub's own credential may be that account's long-lived token: keep it until it is replaced.
  const hubUsesItsLegacyToken = !!current && current.name === request.name && current.namespace === request.namespace && !current.tokenExpiresAt;
  const asked: ServiceAccountRequest = {
    ...request,
    ...(useForHub ? { tokenLifetimeSeconds: deps.onboarding.tokenLifetimeSeconds } : {}),
    revokeLegacyToken: useForHub || !hubUsesItsLegacyToken,
  };
  const onboarded = await withCluster(deps, cluster, (g) => g.onboardServiceAccount(asked));
  const now = deps.clock.now().toISOString();
  const account: BoundAccount = {
    name: onboarded.serviceAccount,
    namespace: onboarded.namespace,
    role: onboarded.role,
    clusterRoleBinding: onboarded.clusterRoleBinding,
    updatedAt: now,
    ...(onboarded.tokenExpiresAt ? { tokenExpiresAt: onboarded.tokenExpiresAt } : {}),
  };
  let record = cluster;
  if (useForHub && onboarded.credentials) {
    const credentials = onboarded.credentials;
    // Prove the new credential works before the old one is dropped.
    await inspectBeforeStoring(deps, credentials);
    record = await replaceCredential(deps, cluster, credentials.kubeconfig, (credentialRef) =>
      deps.clusters.update(cluster, {
        credentialRef,
        credentialKind: credentials.summary.authKind,
        serviceAccount: account,
        updatedAt: now,
      }),
    );
  }
  return { clusterName: record.name, account, usedForHub: useForHub };
}

/** An onboarded account whose record names its ClusterRoleBinding. */
export type BoundAccount = OnboardedAccount & { clusterRoleBinding: string };

/** Whether the request names the account (and role) the hub already works as; records that lack the binding are onboarded again. */
function isSameAccount(current: OnboardedAccount, request: OnboardingRequest): current is BoundAccount {
  return current.name === request.name && current.namespace === request.namespace && current.role === request.role && !!current.clusterRoleBinding;
}

/** The account onboarding bound on a cluster, and whether the hub now works as it. */
export interface OnboardingResult {
  clusterName: string;
  account: BoundAccount;
  usedForHub: boolean;
}
