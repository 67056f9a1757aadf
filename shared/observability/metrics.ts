import type { Gauge } from 'prom-client';

/**
 * What one scrape of /metrics reports. The endpoint is public like a scrape target,
 * so every value is an aggregate: nothing names a cluster, a user or a secret.
 */
export interface HubMetricsSnapshot {
  version: string;
  uptimeSeconds: number;
  databaseUp: boolean;
  /** Counts read from the table; absent when it could not be read this scrape. */
  inventory?: HubInventory;
}

export interface HubInventory {
  /** Clusters by their last known status. */
  clustersByStatus: Record<string, number>;
  clustersInactive: number;
  clustersCircuitOpen: number;
  /** The cluster counts stopped at their bound and cover only the first clusters. */
  clustersTruncated: boolean;
  users: number;
  usersTruncated: boolean;
}

export interface HubMetrics {
  /** The Content-Type of the text exposition format. */
  readonly contentType: string;
  /** Takes a fresh snapshot and renders every metric in the text exposition format. */
  render(): Promise<string>;
}

const PREFIX = 'clusterhub_';

/**
 * A Prometheus registry of its own (never prom-client's global one, so hubs in one
 * process do not share metrics) whose gauges read a snapshot taken per scrape,
 * plus Node's process metrics under the same prefix.
 */
export async function createHubMetrics(snapshot: () => Promise<HubMetricsSnapshot>): Promise<HubMetrics> {
  // Imported here, not at the top: esbuild hoists a static import of an external module to the
  // top of the bundle, and only the system function's bundle carries prom-client.
  const { collectDefaultMetrics, Gauge, Registry } = await import('prom-client');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: PREFIX });
  // Every gauge of one scrape reads the same snapshot; the next scrape takes a new one.
  let current: Promise<HubMetricsSnapshot> | undefined;

  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], read: (s: HubMetricsSnapshot, g: Gauge<L>) => void) =>
    new Gauge<L>({
      name: PREFIX + name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const s = await (current ??= snapshot());
        this.reset();
        read(s, this);
      },
    });

  gauge('build_info', 'Always 1; the version label is the running version, as /health reports it.', ['version'], (s, g) => g.set({ version: s.version }, 1));
  gauge('uptime_seconds', 'Seconds since this instance started, as /health reports it.', [], (s, g) => g.set(s.uptimeSeconds));
  gauge('database_up', '1 when the table answered the same live check /health makes, else 0.', [], (s, g) => g.set(s.databaseUp ? 1 : 0));
  gauge('inventory_up', '1 when the cluster and user counts below were read from the table this scrape, else 0 (and they are 0).', [], (s, g) =>
    g.set(s.inventory ? 1 : 0),
  );
  gauge('clusters', 'Registered clusters by their last known status.', ['status'], (s, g) => {
    for (const [status, count] of Object.entries(s.inventory?.clustersByStatus ?? {})) g.set({ status }, count);
  });
  gauge('clusters_inactive', 'Registered clusters that background work skips.', [], (s, g) => g.set(s.inventory?.clustersInactive ?? 0));
  gauge('clusters_circuit_open', 'Clusters whose circuit breaker is open: calls to them are refused for now.', [], (s, g) =>
    g.set(s.inventory?.clustersCircuitOpen ?? 0),
  );
  gauge('clusters_truncated', '1 when there were more clusters than one scrape reads: the cluster counts cover the first ones only.', [], (s, g) =>
    g.set(s.inventory?.clustersTruncated ? 1 : 0),
  );
  gauge('users', 'User accounts.', [], (s, g) => g.set(s.inventory?.users ?? 0));
  gauge('users_truncated', '1 when there were more users than one scrape reads: the user count is a lower bound.', [], (s, g) =>
    g.set(s.inventory?.usersTruncated ? 1 : 0),
  );

  return {
    contentType: registry.contentType,
    async render() {
      current = snapshot();
      return registry.metrics();
    },
  };
}
