/**
 * The Kubernetes gateway: everything the hub asks of one registered cluster, behind a small
 * interface so that use cases never import the Kubernetes client. Production wires the adapter
 * in shared/adapters/kubernetes, which loads @kubernetes/client-node lazily, on first use.
 *
 * A gateway is built per cluster from its checked credentials, never shared across clusters,
 * and answers each call within a bounded time.
 */
import { AppError, UnavailableError } from '#shared/domain/errors.ts';
import type { CheckedKubeconfig, KubeconfigSummary } from '#shared/domain/clusters/kubeconfig-policy.ts';
import type { ClusterProvider } from '#shared/domain/clusters/provider.ts';

/** A kubeconfig rebuilt by KubeconfigPolicy (inline data, one context) and its summary. */
export type ClusterCredentials = CheckedKubeconfig;
export type { KubeconfigSummary };

/** Why the hub could not talk to a cluster, for people and for filters. */
export const CONNECTION_FAILURE_REASONS = ['tls', 'dns', 'refused', 'unauthorized', 'timeout', 'forbidden', 'unknown'] as const;
export type ConnectionFailureReason = (typeof CONNECTION_FAILURE_REASONS)[number];

/**
 * A live view could not be answered: the cluster is down, slow, or refuses the credential.
 * Becomes 503 CLUSTER_UNAVAILABLE with `reason`, except that live views answer a credential the
 * cluster refuses (`unauthorized`, `forbidden`) with 422; the message never holds a credential.
 */
export class ClusterUnavailableError extends UnavailableError {
  constructor(
    readonly reason: ConnectionFailureReason,
    message: string,
  ) {
    super(message, 'CLUSTER_UNAVAILABLE', { reason });
  }
}

/** The hub could not connect to a cluster it was asked to register: 422 CLUSTER_UNREACHABLE with `reason`. */
export class ClusterUnreachableError extends AppError {
  constructor(
    readonly reason: ConnectionFailureReason,
    message: string,
  ) {
    super(422, 'CLUSTER_UNREACHABLE', message, { reason });
  }

  /** The registration-time form of a gateway failure. */
  static from(err: ClusterUnavailableError): ClusterUnreachableError {
    return new ClusterUnreachableError(err.reason, err.message);
  }
}

/** GET /version, in short. */
export interface ClusterVersion {
  git_version: string;
  major: string;
  minor: string;
  platform: string;
}

/** The result of a connection test: never throws for a cluster failure, says why instead. */
export interface ConnectionTest {
  ok: boolean;
  version: string | null;
  /** Null when the credential may not list nodes (the connection itself works). */
  node_count: number | null;
  latency_ms: number;
  error?: string;
  reason?: ConnectionFailureReason;
}

/** What registration needs to know about a cluster; throws ClusterUnavailableError when it cannot be reached. */
export interface ClusterInspection {
  version: string;
  /** Null when the credential may not list nodes. */
  node_count: number | null;
  ready_node_count: number | null;
  provider: ClusterProvider;
  latency_ms: number;
}

export interface NodeCounts {
  node_count: number;
  ready_node_count: number;
}

export interface NamespaceInfo {
  name: string;
  /** Active or Terminating. */
  status: string;
  created_at: string | null;
  labels: Record<string, string>;
}

/** Each count is null when the credential may not list that kind cluster-wide (403); the others still count. */
export interface ClusterSummary {
  node_count: number | null;
  namespace_count: number | null;
  pod_count: number | null;
  deployment_count: number | null;
  service_count: number | null;
}

export interface ReplicatedWorkload {
  name: string;
  namespace: string;
  ready: number;
  desired: number;
}

export interface DeploymentInfo extends ReplicatedWorkload {
  updated: number;
  available: number;
}

export interface JobInfo {
  name: string;
  namespace: string;
  status: 'running' | 'complete' | 'failed' | 'suspended';
  succeeded: number;
  failed: number;
  active: number;
  completions: number | null;
}

export interface CronJobInfo {
  name: string;
  namespace: string;
  schedule: string;
  suspended: boolean;
  active: number;
  last_schedule: string | null;
}

/** Each kind is null when the credential may not list it (403); the others are still listed. */
export interface Workloads {
  deployments: DeploymentInfo[] | null;
  statefulsets: ReplicatedWorkload[] | null;
  daemonsets: ReplicatedWorkload[] | null;
  jobs: JobInfo[] | null;
  cronjobs: CronJobInfo[] | null;
  /** True when a kind had more objects than the limit and only the first ones are listed. */
  truncated: boolean;
}

export interface WorkloadQuery {
  /** One namespace; all namespaces when absent. */
  namespace?: string;
  /** Most objects listed per kind (default 500). */
  limit?: number;
}

export interface ClusterEvent {
  type: string;
  reason: string;
  message: string;
  namespace: string;
  object: { kind: string; name: string; namespace: string | null };
  count: number;
  first_seen: string | null;
  last_seen: string | null;
}

export interface EventQuery {
  namespace?: string;
  /** Most events returned, newest first (default 50, at most 500). */
  limit?: number;
}

export interface ServiceAccountRequest {
  /** The ServiceAccount to create, or reuse when the hub created it (labelled managed-by clusterhub). */
  name: string;
  namespace: string;
  /** `view`, `edit`, `cluster-admin` or the name of an existing ClusterRole, bound cluster-wide. */
  role: string;
  /** Mint a bound token of about this lifetime (TokenRequest API) and answer a kubeconfig with it; without it, no token is made. */
  tokenLifetimeSeconds?: number;
  /** Delete the long-lived token Secret an earlier onboarding made for the account, revoking its token. */
  revokeLegacyToken?: boolean;
}

export interface OnboardedServiceAccount {
  /** A rebuilt kubeconfig that authenticates as the service account, ready for the secret store; only when a token was asked for. */
  credentials?: ClusterCredentials;
  /** When that token expires, as the API server granted it (it may cap the lifetime asked for). */
  token_expires_at?: string;
  service_account: string;
  namespace: string;
  role: string;
  cluster_role_binding: string;
}

export interface ClusterGateway {
  /** Reaches the cluster and reports how it went; never throws for a cluster failure. */
  testConnection(): Promise<ConnectionTest>;
  /** Version, node counts and provider, for registration. */
  inspect(): Promise<ClusterInspection>;
  version(): Promise<ClusterVersion>;
  nodes(): Promise<NodeCounts>;
  namespaces(): Promise<NamespaceInfo[]>;
  summary(): Promise<ClusterSummary>;
  workloads(query?: WorkloadQuery): Promise<Workloads>;
  /** Recent events, newest first, bounded. */
  events(query?: EventQuery): Promise<ClusterEvent[]>;
  /**
   * Creates (or finds) the namespace, the ServiceAccount (refusing one the hub did not create: 409),
   * a ClusterRoleBinding to the role and, when asked, a bound token and a kubeconfig for that
   * account. Repeating it moves the binding when the role changed and mints a new token.
   */
  onboardServiceAccount(request: ServiceAccountRequest): Promise<OnboardedServiceAccount>;
  /** Closes idle connections; the gateway must not be used afterwards. */
  close(): void;
}

/** Builds the gateway of one cluster. Cheap and synchronous: nothing connects until a call. */
export type ClusterGatewayFactory = (credentials: ClusterCredentials) => ClusterGateway;
