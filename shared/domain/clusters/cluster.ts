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
