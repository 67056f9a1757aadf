import { AppError, NotFoundError, UnavailableError } from '#shared/domain/errors.ts';
import type { ClusterGateway, ConnectionFailureReason, ConnectionTest, GatewayOptions } from '#shared/ports/cluster-gateway.ts';
import type { ClusterDeps } from './cluster-deps.ts';
import type { ClusterObservation, ClusterRecord } from './cluster.ts';
import { storedCredentials } from './credentials.ts';
import type { Principal } from '#shared/domain/identity/access.ts';
import { ClusterCredentialRejectedError, ClusterForbiddenError, ClusterForbidsCallerError, ClusterUnavailableError } from './errors.ts';
import { actingFor } from './impersonation.ts';
import { shownFailureText } from './failure-text.ts';

const OVERVIEW_EVENTS = 10;

/**
 * The cluster answered and refused the hub's credential (401) or this request (403). It is
 * reachable, so this is no reason to stop calling it: the breaker is for clusters that are down.
 */
const refusesCredential = (reason: ConnectionFailureReason) => reason === 'unauthorized' || reason === 'forbidden';

/** Not 503 (the cluster is up) and not 401/403 (the caller's own access to the hub is fine): 422 with the reason. */
function credentialRefusal(err: ClusterUnavailableError): AppError {
  return err.reason === 'unauthorized' ? new ClusterCredentialRejectedError(err.message) : new ClusterForbiddenError(err.message);
}

/**
 * Runs one live call against a cluster behind its shared circuit breaker: an
 * open circuit answers 503 at once instead of waiting on a dead cluster again,
 * a failure to reach the cluster counts towards opening it, an answer (even a
 * refusal of the credential, which becomes 422) closes it. `options` say whom the gateway acts for.
 */
export async function withCluster<T>(
  deps: ClusterDeps,
  cluster: ClusterRecord,
  call: (gateway: ClusterGateway) => Promise<T>,
  options?: GatewayOptions,
): Promise<T> {
  const now = deps.clock.now();
  const circuit = await deps.breaker.state(cluster.id);
  if (circuit.openUntil && circuit.openUntil > now.getTime()) {
    const retry = Math.ceil((circuit.openUntil - now.getTime()) / 1000);
    throw new UnavailableError(`Cluster ${cluster.name} failed repeatedly; the hub stops calling it for ${retry} s.`, 'CLUSTER_UNAVAILABLE', {
      reason: 'circuit_open',
      retry_after_seconds: retry,
    });
  }
  const gateway = deps.gateways(await storedCredentials(deps, cluster), options);
  const answered = async () => {
    if (circuit.failures > 0 || circuit.openUntil) await deps.breaker.reset(cluster.id);
  };
  try {
    const result = await call(gateway);
    await answered();
    return result;
  } catch (err) {
    if (err instanceof ClusterUnavailableError && refusesCredential(err.reason)) {
      await answered();
      // Acting as the caller, a 403 is the cluster's RBAC refusing that person: their 403, not the hub credential's 422.
      if (options?.impersonate && err.reason === 'forbidden') throw new ClusterForbidsCallerError(err.message);
      throw credentialRefusal(err);
    }
    if (err instanceof ClusterUnavailableError) await deps.breaker.recordFailure(cluster.id, deps.clock.now());
    throw err;
  } finally {
    gateway.close();
  }
}

/** POST /clusters/{id}/test: an explicit probe, which bypasses an open circuit and closes it when the cluster answers. */
export async function testCluster(deps: ClusterDeps, cluster: ClusterRecord): Promise<ConnectionTest> {
  const gateway = deps.gateways(await storedCredentials(deps, cluster));
  try {
    const result = await gateway.testConnection();
    if (result.ok || (result.reason && refusesCredential(result.reason))) await deps.breaker.reset(cluster.id);
    else await deps.breaker.recordFailure(cluster.id, deps.clock.now());
    return result.error === undefined ? result : { ...result, error: shownFailureText(result.error) };
  } finally {
    gateway.close();
  }
}

/**
 * GET /clusters/{id}/status: probes the cluster and records what it found. The observation is
 * written without the record's version check (and never over a newer one), so parallel reads all
 * answer, and an admin's concurrent edit of the record is neither refused nor undone.
 */
export async function clusterStatus(deps: ClusterDeps, cluster: ClusterRecord): Promise<ClusterObservationReport> {
  const now = deps.clock.now().toISOString();
  let observation: ClusterObservation;
  let extra: Omit<ClusterObservationReport, 'cluster'>;
  try {
    const inspection = await withCluster(deps, cluster, (g) => g.inspect());
    observation = {
      status: 'connected',
      checkedAt: now,
      kubernetesVersion: inspection.version,
      provider: inspection.provider,
      nodeCount: inspection.nodeCount ?? cluster.nodeCount,
      lastConnected: now,
      lastError: null,
    };
    extra = { readyNodes: inspection.readyNodeCount };
  } catch (err) {
    // Unreachable, or reachable but refusing the credential: either way the hub cannot use it now.
    if (!(err instanceof UnavailableError || err instanceof ClusterCredentialRejectedError || err instanceof ClusterForbiddenError)) throw err;
    const error = shownFailureText(err.message);
    observation = { status: 'disconnected', checkedAt: now, lastError: error };
    extra = { error, reason: String(err.details.reason ?? 'unknown') };
  }
  const stored = await deps.clusters.recordObservation(cluster.id, observation);
  if (!stored) throw new NotFoundError(`Cluster ${cluster.id} does not exist.`);
  // What this probe saw, even when a newer probe's observation is the one stored.
  return {
    cluster: {
      ...stored,
      status: observation.status,
      kubernetesVersion: observation.kubernetesVersion ?? stored.kubernetesVersion,
      nodeCount: observation.nodeCount ?? stored.nodeCount,
      lastCheck: observation.checkedAt,
      lastConnected: observation.lastConnected ?? stored.lastConnected,
    },
    ...extra,
  };
}

/** What one status probe saw: the cluster as observed, its ready nodes, or why it could not be used. */
export interface ClusterObservationReport {
  cluster: ClusterRecord;
  readyNodes?: number | null;
  error?: string;
  reason?: string;
}

/**
 * GET /clusters/{id}/overview: the cluster, its counts and its latest events in one answer.
 * Like the counts, the events are null when the credential may not read them.
 */
export async function clusterOverview(deps: ClusterDeps, cluster: ClusterRecord, principal: Principal) {
  const [summary, events] = await callerView(
    deps,
    cluster,
    principal,
    (g) => Promise.all([g.summary(), g.events({ limit: OVERVIEW_EVENTS }).catch(forbiddenAsNull)]),
    ([counts, seen]) => seen === null && nothingRead(counts),
  );
  return { cluster, summary, events };
}

/** Whether every part of a composite view (summary counts, workload kinds) came back unreadable; flags such as `truncated` are no part. */
export const nothingRead = (view: object) =>
  Object.values(view)
    .filter((part) => typeof part !== 'boolean')
    .every((part) => part === null);

/**
 * A live view read for a caller: as the caller when the cluster is set to impersonate, so the
 * cluster's RBAC decides what they see. Parts they may not read are null as for the hub's
 * credential; a view of which they may read nothing (`unreadable`) is their 403 CLUSTER_FORBIDDEN,
 * as kubectl would refuse them, rather than a 200 of nulls.
 */
export async function callerView<T>(
  deps: ClusterDeps,
  cluster: ClusterRecord,
  principal: Principal,
  read: (gateway: ClusterGateway) => Promise<T>,
  unreadable: (view: T) => boolean = () => false,
): Promise<T> {
  const options = actingFor(principal, cluster);
  const view = await withCluster(deps, cluster, read, options);
  if (options?.impersonate && unreadable(view)) {
    throw new ClusterForbidsCallerError(
      `The cluster ${cluster.name} lets ${options.impersonate.user} read none of this view (its RBAC decides: the hub impersonates the caller there).`,
    );
  }
  return view;
}

/** One part of a composite view the credential may not read: the rest of the view still answers. */
function forbiddenAsNull(err: unknown): null {
  if (err instanceof ClusterUnavailableError && err.reason === 'forbidden') return null;
  throw err;
}

/** POST /clusters/{id}/set-active: inactive clusters are skipped by background work. */
export function setActive(deps: ClusterDeps, cluster: ClusterRecord, active: boolean) {
  return deps.clusters.update(cluster, { active, updatedAt: deps.clock.now().toISOString() });
}
