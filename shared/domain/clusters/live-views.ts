import { UnavailableError } from '#shared/domain/errors.ts';
import { ClusterUnavailableError, type ClusterGateway, type ConnectionTest } from '#shared/ports/cluster-gateway.ts';
import type { ClusterDeps } from './cluster-deps.ts';
import type { ClusterRecord } from './cluster.ts';
import { storedCredentials } from './credentials.ts';
import { clusterView } from './registry.ts';

const OVERVIEW_EVENTS = 10;

/**
 * Runs one live call against a cluster behind its shared circuit breaker: an
 * open circuit answers 503 at once instead of waiting on a dead cluster again,
 * a failure counts towards opening it, a success closes it.
 */
export async function withCluster<T>(deps: ClusterDeps, cluster: ClusterRecord, call: (gateway: ClusterGateway) => Promise<T>): Promise<T> {
  const now = deps.clock.now();
  const circuit = await deps.breaker.state(cluster.id);
  if (circuit.openUntil && circuit.openUntil > now.getTime()) {
    const retry = Math.ceil((circuit.openUntil - now.getTime()) / 1000);
    throw new UnavailableError(`Cluster ${cluster.name} failed repeatedly; the hub stops calling it for ${retry} s.`, 'CLUSTER_UNAVAILABLE', {
      reason: 'circuit_open',
      retry_after_seconds: retry,
    });
  }
  const gateway = deps.gateways(await storedCredentials(deps, cluster));
  try {
    const result = await call(gateway);
    if (circuit.failures > 0 || circuit.openUntil) await deps.breaker.reset(cluster.id);
    return result;
  } catch (err) {
    if (err instanceof ClusterUnavailableError) await deps.breaker.recordFailure(cluster.id, deps.clock.now());
    throw err;
  } finally {
    gateway.close();
  }
}

/** POST /clusters/{id}/test: an explicit probe, which bypasses an open circuit and closes it on success. */
export async function testCluster(deps: ClusterDeps, cluster: ClusterRecord): Promise<ConnectionTest> {
  const gateway = deps.gateways(await storedCredentials(deps, cluster));
  try {
    const result = await gateway.testConnection();
    if (result.ok) await deps.breaker.reset(cluster.id);
    else await deps.breaker.recordFailure(cluster.id, deps.clock.now());
    return result;
  } finally {
    gateway.close();
  }
}

/** GET /clusters/{id}/status: probes the cluster and records what it found. */
export async function clusterStatus(deps: ClusterDeps, cluster: ClusterRecord) {
  const now = deps.clock.now().toISOString();
  try {
    const inspection = await withCluster(deps, cluster, (g) => g.inspect());
    const updated = await deps.clusters.update(cluster, {
      status: 'connected',
      kubernetesVersion: inspection.version,
      provider: inspection.provider,
      nodeCount: inspection.node_count ?? cluster.nodeCount,
      lastConnected: now,
      lastCheck: now,
      lastError: null,
    });
    return statusView(updated, { ready: inspection.ready_node_count });
  } catch (err) {
    if (!(err instanceof UnavailableError)) throw err;
    const updated = await deps.clusters.update(cluster, { status: 'disconnected', lastCheck: now, lastError: err.message });
    return statusView(updated, { error: err.message, reason: String(err.extra.reason ?? 'unknown') });
  }
}

function statusView(c: ClusterRecord, extra: { ready?: number | null; error?: string; reason?: string }) {
  return {
    name: c.name,
    status: c.status,
    details: {
      version: c.kubernetesVersion,
      nodes: c.nodeCount,
      ready_nodes: extra.ready ?? null,
      last_check: c.lastCheck ?? null,
      last_connected: c.lastConnected ?? null,
      ...(extra.error ? { error: extra.error, reason: extra.reason } : {}),
    },
  };
}

/** GET /clusters/{id}/overview: the cluster, its counts and its latest events in one answer. */
export async function clusterOverview(deps: ClusterDeps, cluster: ClusterRecord) {
  const [summary, events] = await withCluster(deps, cluster, (g) => Promise.all([g.summary(), g.events({ limit: OVERVIEW_EVENTS })]));
  return { cluster: clusterView(cluster), summary, recent_events: events };
}

/** POST /clusters/{id}/set-active: inactive clusters are skipped by background work. */
export function setActive(deps: ClusterDeps, cluster: ClusterRecord, active: boolean) {
  return deps.clusters.update(cluster, { active, updatedAt: deps.clock.now().toISOString() });
}
