import type { Page } from '#shared/ports/page.ts';

export const CLUSTER_STATUSES = ['connected', 'disconnected', 'unknown'] as const;
export type ClusterStatus = (typeof CLUSTER_STATUSES)[number];

/** A registered cluster as the table keeps it: never the credential, only where it is. */
export interface ClusterRecord {
  id: string;
  name: string;
  context: string;
  description: string;
  labels: Record<string, string>;
  serverUrl: string;
  kubernetesVersion: string;
  provider: string;
  nodeCount: number;
  status: ClusterStatus;
  /** Inactive clusters are skipped by background work. */
  active: boolean;
  /** The secret store reference of the rebuilt kubeconfig. */
  credentialRef: string;
  /** How the stored credential authenticates, and as whom when a service account was onboarded. */
  credentialKind: 'token' | 'client-certificate';
  serviceAccount?: OnboardedAccount;
  /** Whether requests made for a user impersonate them (Impersonate-User clusterhub:<username>), so the cluster's RBAC decides. */
  impersonate?: boolean;
  createdAt: string;
  updatedAt: string;
  lastConnected?: string;
  lastCheck?: string;
  lastError?: string;
  version: number;
}

/** The service account onboarding made the hub's credential, as onboarding stored it. */
export interface OnboardedAccount {
  name: string;
  namespace: string;
  role: string;
  /** Absent on records written before it was kept; such a record is onboarded again on repeat. */
  clusterRoleBinding?: string;
  updatedAt: string;
  /**
   * When the hub's bound token for the account expires (TokenRequest API). Absent on records of
   * the long-lived token Secret onboarding made before; onboarding such an account again revokes it.
   */
  tokenExpiresAt?: string;
}

/**
 * What one probe of a cluster found. It is recorded apart from the registration's versioned fields:
 * concurrent probes must not fail each other, nor an admin's edit of the record.
 */
export interface ClusterObservation {
  status: ClusterStatus;
  /** When the probe ran; an older probe never overwrites a newer one. */
  checkedAt: string;
  kubernetesVersion?: string;
  provider?: string;
  nodeCount?: number;
  lastConnected?: string;
  /** The failure as shown (shownFailureText), or null after a success. */
  lastError: string | null;
}

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
