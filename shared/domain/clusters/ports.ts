import type { Page } from '#shared/ports/page.ts';
import type { ClusterObservation, ClusterRecord, ClusterStatus } from './cluster.ts';

export interface ClusterListFilter {
  status?: ClusterStatus;
  provider?: string;
  /** Every label given must match. */
  labels?: Record<string, string>;
  /** A substring of the name, case-insensitive. */
  search?: string;
  /** Clusters the caller must not see. */
  hidden?: string[];
}

/** Fields to change; `null` removes an optional field. */
export type ClusterChanges = Partial<Omit<ClusterRecord, 'id' | 'createdAt' | 'version' | 'serviceAccount' | 'lastError'>> & {
  serviceAccount?: ClusterRecord['serviceAccount'] | null;
  lastError?: string | null;
};

export interface ClusterRepository {
  /** Stores a new cluster; a taken name (case-insensitive) is a ConflictError. */
  create(cluster: Omit<ClusterRecord, 'version'>): Promise<ClusterRecord>;
  get(id: string): Promise<ClusterRecord | undefined>;
  findByName(name: string): Promise<ClusterRecord | undefined>;
  list(filter: ClusterListFilter, limit: number, cursor?: string): Promise<Page<ClusterRecord>>;
  /** Optimistically locked; a rename moves the name claim in the same transaction. */
  update(cluster: ClusterRecord, changes: ClusterChanges): Promise<ClusterRecord>;
  /**
   * Records a probe's observation without the version check, unless a newer one is stored; answers
   * the record as stored afterwards, or undefined when the cluster is gone.
   */
  recordObservation(id: string, observation: ClusterObservation): Promise<ClusterRecord | undefined>;
  delete(cluster: ClusterRecord): Promise<void>;
}

export interface CircuitState {
  /** Consecutive failed calls since the last success. */
  failures: number;
  /** Epoch ms until which calls to the cluster are refused; absent when closed. */
  openUntil?: number;
}

/**
 * A per-cluster circuit breaker whose state every function instance shares,
 * so a dead cluster is not hammered by each of them in turn.
 */
export interface CircuitBreaker {
  state(clusterId: string): Promise<CircuitState>;
  /** Counts a failure; the one that reaches the threshold opens the circuit. */
  recordFailure(clusterId: string, now: Date): Promise<CircuitState>;
  /** Closes the circuit after a success (callers skip it when there were no failures). */
  reset(clusterId: string): Promise<void>;
}
