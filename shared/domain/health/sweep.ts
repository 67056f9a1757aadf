/**
 * The health sweep of one cluster: what it can read through the cluster's circuit breaker, the
 * expiry of the hub's own credential and the cluster's CA, a status with reasons, and the count
 * of sweeps in a row that failed. A cluster that cannot be reached is a result, not an error: only
 * a bug (or the table) makes the sweep throw, for the worker to retry.
 */
import { readClusterConnection } from '#shared/domain/clusters/kubeconfig-policy.ts';
import { storedCredentials } from '#shared/domain/clusters/credentials.ts';
import { withCluster } from '#shared/domain/clusters/live-views.ts';
import type { ClusterRecord } from '#shared/domain/clusters/cluster.ts';
import { ClusterCredentialRejectedError, ClusterForbiddenError, ClusterResponseTooLargeError } from '#shared/domain/clusters/errors.ts';
import { shownFailureText } from '#shared/domain/clusters/failure-text.ts';
import { AppError, UnavailableError } from '#shared/domain/errors.ts';
import { certificatesOf, leafCertificate, tokenExpiry } from './certificates.ts';
import { clusterHealthChanged } from './events.ts';
import { judge, type HealthFacts, type HealthReason, type HealthRecord } from './health.ts';
import type { HealthDeps } from './ports.ts';
import { ExpiryRadar, probeCluster } from './probe.ts';

export async function sweepClusterHealth(deps: HealthDeps, cluster: ClusterRecord): Promise<HealthRecord> {
  const now = deps.clock.now();
  const previous = await deps.store.entry(cluster.id);
  const radar = new ExpiryRadar();
  const credentialNotes = await credentialExpiry(deps, cluster, radar);
  let facts: HealthFacts;
  try {
    facts = await withCluster(deps.clusters, cluster, (gateway) => probeCluster(gateway, now, radar));
  } catch (err) {
    facts = failedSweep(err);
  }
  facts.expiring = radar.list();
  facts.expiring_total = radar.total;
  const judged = judge(facts, now);
  // A credential whose expiry cannot be told leaves the radar blind to it: worth a look, not an outage.
  const reasons = [...judged.reasons, ...credentialNotes];
  const status = judged.status === 'healthy' && credentialNotes.length ? 'degraded' : judged.status;
  const checkedAt = now.toISOString();
  const record: HealthRecord = {
    ...facts,
    cluster_id: cluster.id,
    cluster_name: cluster.name,
    checked_at: checkedAt,
    status,
    reasons,
    consecutive_failures: facts.failure ? (previous?.consecutive_failures ?? 0) + 1 : 0,
    transition: previous?.status === status ? null : { from: previous?.status ?? null, to: status, at: checkedAt },
  };
  await deps.store.record(record);
  // The first sweep of a cluster is no change anyone should be alerted to.
  if (record.transition?.from) await deps.events.publish(clusterHealthChanged(record));
  return record;
}

/** The facts of a sweep that could not read the cluster: unreachable, circuit open, or the credential refused. */
function failedSweep(err: unknown): HealthFacts {
  const empty = { latency_ms: null, version: null, nodes: null, pods: null, workloads: null, expiring: [], expiring_total: 0, unreadable: [] };
  if (err instanceof ClusterCredentialRejectedError || err instanceof ClusterForbiddenError) {
    return { ...empty, reachable: true, failure: { reason: String(err.details.reason), message: shownFailureText(err.message) } };
  }
  if (err instanceof ClusterResponseTooLargeError) {
    return { ...empty, reachable: true, failure: { reason: 'response_too_large', message: shownFailureText(err.message) } };
  }
  // Includes a missing stored credential (not found): the hub cannot use the cluster, which is what the sweep reports.
  if (err instanceof UnavailableError || (err instanceof AppError && err.kind === 'not_found')) {
    return { ...empty, reachable: false, failure: { reason: String(err.details.reason ?? 'unknown'), message: shownFailureText(err.message) } };
  }
  throw err;
}

/**
 * The hub's own credential and the cluster's CA, from the stored kubeconfig: only their dates
 * and subjects go on the radar. A credential the policy now refuses dates nothing (the sweep
 * itself reports the cluster as unusable).
 */
async function credentialExpiry(deps: HealthDeps, cluster: ClusterRecord, radar: ExpiryRadar): Promise<HealthReason[]> {
  const notes: HealthReason[] = [];
  let connection;
  try {
    connection = readClusterConnection((await storedCredentials(deps.clusters, cluster)).kubeconfig, deps.clusters.policy);
  } catch (err) {
    if (err instanceof AppError) return notes;
    throw err;
  }
  const { credential } = connection;
  if (credential.kind === 'client-certificate') {
    const cert = leafCertificate(credential.certificatePem);
    if (cert) radar.add({ kind: 'client_certificate', namespace: null, name: cert.subject, subject: cert.subject, not_after: cert.notAfter });
  } else {
    const read = tokenExpiry(credential.token);
    if (read && 'invalid' in read) notes.push({ code: 'credential_expiry_unknown', message: read.invalid });
    const expires = (read && 'expiresAt' in read ? read.expiresAt : undefined) ?? cluster.serviceAccount?.tokenExpiresAt;
    const account = cluster.serviceAccount ? `${cluster.serviceAccount.namespace}/${cluster.serviceAccount.name}` : 'bearer token';
    if (expires) radar.add({ kind: 'service_account_token', namespace: null, name: account, subject: null, not_after: expires });
  }
  for (const ca of certificatesOf(connection.caPem ?? '')) {
    radar.add({ kind: 'cluster_ca', namespace: null, name: ca.subject, subject: ca.subject, not_after: ca.notAfter });
  }
  return notes;
}
