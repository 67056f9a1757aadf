import type { ClusterRecord } from '#shared/domain/clusters/cluster.ts';
import { shownFailureText } from '#shared/domain/clusters/failure-text.ts';
import type { ClusterObservationReport } from '#shared/domain/clusters/live-views.ts';
import type { OnboardingResult } from '#shared/domain/clusters/onboarding.ts';
import type { ClusterEvent, ClusterSummary, ConnectionTest, CronJobInfo, NamespaceInfo, Workloads } from '#shared/ports/cluster-gateway.ts';

/*
 * What the clusters routes answer: the one place where records (camelCase) become the wire's
 * snake_case, beside the schemas (schemas.ts) that document them.
 */

/** A cluster as the API shows it: never the credential, only how it authenticates. */
export function clusterView(c: ClusterRecord) {
  return {
    id: c.id,
    name: c.name,
    context: c.context,
    description: c.description,
    server_url: c.serverUrl,
    version: c.kubernetesVersion,
    status: c.status,
    active: c.active,
    provider: c.provider,
    node_count: c.nodeCount,
    labels: c.labels,
    auth: {
      kind: c.credentialKind,
      service_account: c.serviceAccount
        ? {
            name: c.serviceAccount.name,
            namespace: c.serviceAccount.namespace,
            role: c.serviceAccount.role,
            token_expires_at: c.serviceAccount.tokenExpiresAt ?? null,
          }
        : null,
    },
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    last_connected: c.lastConnected ?? null,
    // Viewers see it: capped and scrubbed again, for records stored before the hub did so on write.
    last_error: c.lastError ? shownFailureText(c.lastError) : null,
    impersonate: c.impersonate === true,
  };
}

/** What a status probe saw, even when a newer probe's observation is the one stored. */
export function statusView({ cluster: c, readyNodes, error, reason }: ClusterObservationReport) {
  return {
    name: c.name,
    status: c.status,
    details: {
      version: c.kubernetesVersion,
      nodes: c.nodeCount,
      ready_nodes: readyNodes ?? null,
      last_check: c.lastCheck ?? null,
      last_connected: c.lastConnected ?? null,
      ...(error ? { error, reason } : {}),
    },
  };
}

/** The cluster, its counts and its latest events (null when the credential may not list them). */
export function overviewView(overview: { cluster: ClusterRecord; summary: ClusterSummary; events: ClusterEvent[] | null }) {
  return { cluster: clusterView(overview.cluster), summary: summaryView(overview.summary), recent_events: overview.events };
}

/** The service account onboarding bound, and whether the hub now works as it. */
export function onboardingView({ clusterName, account, usedForHub }: OnboardingResult) {
  return {
    name: clusterName,
    service_account: account.name,
    namespace: account.namespace,
    role: account.role,
    cluster_role_binding: account.clusterRoleBinding,
    used_for_hub: usedForHub,
    token_expires_at: usedForHub ? (account.tokenExpiresAt ?? null) : null,
    updated_at: account.updatedAt,
  };
}

/** A request's credential source (snake_case on the wire) as the use cases take it, with the body's other fields as they are. */
export function fromCredentialSource<B extends { kubeconfig_base64?: string; kubeconfig_secret_ref?: string; local_context?: string }>(body: B) {
  const { kubeconfig_base64, kubeconfig_secret_ref, local_context, ...rest } = body;
  return { ...rest, kubeconfigBase64: kubeconfig_base64, kubeconfigSecretRef: kubeconfig_secret_ref, localContext: local_context };
}

/** The live counts of a cluster. */
export function summaryView(s: ClusterSummary) {
  return {
    node_count: s.nodeCount,
    namespace_count: s.namespaceCount,
    pod_count: s.podCount,
    deployment_count: s.deploymentCount,
    service_count: s.serviceCount,
  };
}

const cronJobView = ({ lastSchedule, ...rest }: CronJobInfo) => ({ ...rest, last_schedule: lastSchedule });

/** The live workloads of a cluster (only CronJobs have a field to rename). */
export function workloadsView(w: Workloads) {
  return { ...w, cronjobs: w.cronjobs && w.cronjobs.map(cronJobView) };
}

/** A connection test's result (error and reason only when it failed). */
export const connectionTestView = (t: ConnectionTest) => ({
  ok: t.ok,
  version: t.version,
  node_count: t.nodeCount,
  latency_ms: t.latencyMs,
  error: t.error,
  reason: t.reason,
});

/** A namespace, live. */
export const namespaceView = (n: NamespaceInfo) => ({ name: n.name, status: n.status, created_at: n.createdAt, labels: n.labels });
