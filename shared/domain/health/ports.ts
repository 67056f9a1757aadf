import type { ClusterDeps } from '#shared/domain/clusters/cluster-deps.ts';
import type { Clock } from '#shared/ports/clock.ts';
import type { HubEventPublisher } from '#shared/ports/hub-events.ts';
import type { Page } from '#shared/ports/page.ts';
import type { ExpiringItem, HealthReason, HealthRecord, HealthStatus } from './health.ts';

/** A cluster's latest result in short, for the fleet views: small enough that the whole fleet is one cheap read. */
export interface FleetHealthEntry {
  cluster_id: string;
  cluster_name: string;
  status: HealthStatus;
  checked_at: string;
  reasons: HealthReason[];
  consecutive_failures: number;
  expiring: ExpiringItem[];
  expiring_total: number;
}

/** Where sweep results are kept: each sweep in the history (30 days), the latest in short for the fleet. */
export interface HealthStore {
  /** The latest result of a cluster in short, or undefined before its first sweep. */
  entry(clusterId: string): Promise<FleetHealthEntry | undefined>;
  /** The latest full result. */
  latest(clusterId: string): Promise<HealthRecord | undefined>;
  /** Stores a result in the history and as the cluster's latest (unless a newer one is there). */
  record(record: HealthRecord): Promise<void>;
  /** Results between `since` and `until` (ISO times, both included), newest first. */
  history(clusterId: string, range: { since: string; until: string }, limit: number, cursor?: string): Promise<Page<HealthRecord>>;
  /** The latest entry of every swept cluster. */
  fleet(): Promise<FleetHealthEntry[]>;
}

export interface HealthDeps {
  clusters: ClusterDeps;
  store: HealthStore;
  events: HubEventPublisher;
  clock: Clock;
}
