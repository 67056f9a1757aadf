/**
 * The Kubernetes gateway: everything the hub asks of one registered cluster, behind a small
 * interface so that use cases never import the Kubernetes client. Production wires the adapter
 * in shared/adapters/kubernetes, which loads @kubernetes/client-node lazily, on first use.
 *
 * A gateway is built per cluster from its checked credentials, never shared across clusters,
 * and answers each call within a bounded time. Besides the views, it reads and changes objects of
 * any kind, named as data (ResourceType): every call throws ClusterUnavailableError when the
 * cluster cannot be reached (which counts towards its circuit breaker) and ClusterApiError when it
 * answered and refused the request (which does not).
 */
import type { CheckedKubeconfig, KubeconfigSummary } from '#shared/domain/clusters/kubeconfig-policy.ts';
import type { ClusterProvider } from '#shared/domain/clusters/provider.ts';

/** A kubeconfig rebuilt by KubeconfigPolicy (inline data, one context) and its summary. */
export type ClusterCredentials = CheckedKubeconfig;
export type { KubeconfigSummary };

/** Why the hub could not talk to a cluster, for people and for filters. */
export const CONNECTION_FAILURE_REASONS = ['tls', 'dns', 'refused', 'unauthorized', 'timeout', 'forbidden', 'unknown'] as const;
export type ConnectionFailureReason = (typeof CONNECTION_FAILURE_REASONS)[number];

// What the gateway throws, declared with the clusters context's errors.
export { ClusterResponseTooLargeError, ClusterUnavailableError, ClusterUnreachableError } from '#shared/domain/clusters/errors.ts';

/** GET /version, in short. */
export interface ClusterVersion {
  gitVersion: string;
  major: string;
  minor: string;
  platform: string;
}

/** The result of a connection test: never throws for a cluster failure, says why instead. */
export interface ConnectionTest {
  ok: boolean;
  version: string | null;
  /** Null when the credential may not list nodes (the connection itself works). */
  nodeCount: number | null;
  latencyMs: number;
  error?: string;
  reason?: ConnectionFailureReason;
}

/** What registration needs to know about a cluster; throws ClusterUnavailableError when it cannot be reached. */
export interface ClusterInspection {
  version: string;
  /** Null when the credential may not list nodes. */
  nodeCount: number | null;
  readyNodeCount: number | null;
  provider: ClusterProvider;
  latencyMs: number;
}

export interface NodeCounts {
  nodeCount: number;
  readyNodeCount: number;
}

export interface NamespaceInfo {
  name: string;
  /** Active or Terminating. */
  status: string;
  createdAt: string | null;
  labels: Record<string, string>;
}

/** Each count is null when the credential may not list that kind cluster-wide (403); the others still count. */
export interface ClusterSummary {
  nodeCount: number | null;
  namespaceCount: number | null;
  podCount: number | null;
  deploymentCount: number | null;
  serviceCount: number | null;
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
  lastSchedule: string | null;
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
  tokenExpiresAt?: string;
  serviceAccount: string;
  namespace: string;
  role: string;
  clusterRoleBinding: string;
}

/**
 * A kind of object named as data, never a method per kind (Backstage's ObjectToFetch): the
 * group ('' for the core API), the version and the plural of its URL (`apps`, `v1`, `deployments`).
 */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
}

/** The objects of a kind in one namespace, or in all namespaces (and cluster-scoped kinds) without one. */
export interface ResourceCollection extends ResourceType {
  namespace?: string;
}

/** One object; `namespace` is absent for a cluster-scoped kind. */
export interface ResourceObjectRef extends ResourceCollection {
  name: string;
  /** A subresource of the object (`scale`, `status`): its own path under the object's, with its own RBAC. */
  subresource?: 'scale' | 'status';
}

/** One resource the cluster serves, from its API discovery (what `kubectl api-resources` shows). */
export interface ApiResource {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  group: string;
  version: string;
  /** The group's preferred version: the one a bare name (`deploy`) means. */
  preferred: boolean;
  namespaced: boolean;
  verbs: string[];
  categories: string[];
}

export interface ApiDiscovery {
  /** Every resource of every served group version, subresources left out. */
  resources: ApiResource[];
  /** `aggregated` when the server answered one document per API root, `legacy` when each group version was read. */
  source: 'aggregated' | 'legacy';
  /** Group versions that could not be read (an aggregated API that is down); the others are still listed. */
  failures: Array<{ groupVersion: string; message: string }>;
}

/** A Kubernetes object as the cluster sends it: plain JSON, whatever its kind. */
export interface KubernetesObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  /** Most objects in this page (default 500); the cluster may send fewer and a continue token. */
  limit?: number;
  /** The continue token of the previous page. */
  continue?: string;
}

/** What the cluster answered, with the texts of its `Warning` headers (a deprecated API version, ...). */
export interface ClusterAnswer {
  warnings: string[];
}

export interface ObjectList extends ClusterAnswer {
  items: KubernetesObject[];
  /** Where the next page starts; absent on the last page. */
  continue?: string;
  remainingItemCount?: number;
  resourceVersion?: string;
}

export interface ObjectAnswer extends ClusterAnswer {
  object: KubernetesObject;
}

/** JSON merge patch (RFC 7386), JSON patch (RFC 6902) or Kubernetes' strategic merge patch. */
export type PatchType = 'merge' | 'json' | 'strategic-merge';

export interface PatchOptions {
  dryRun?: boolean;
  fieldManager?: string;
}

/** Server-side apply. */
export interface ApplyOptions {
  fieldManager: string;
  /** Take over fields another manager owns instead of failing with 409. */
  force?: boolean;
  /** Validated and answered, but nothing is stored. */
  dryRun?: boolean;
}

export interface ApplyAnswer extends ObjectAnswer {
  /** True when the object did not exist before (HTTP 201). */
  created: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  dryRun?: boolean;
}

export interface DeleteAnswer extends ClusterAnswer {
  /** The object as the deletion left it (with finalizers it is still there); absent when the cluster answered a Status. */
  object?: KubernetesObject;
}

/** What a cluster's refusal of one request means, for the domain to map (an HTTP status, a retry decision). */
export type ClusterApiErrorKind = 'invalid' | 'forbidden' | 'not_found' | 'conflict' | 'gone' | 'unprocessable';

export interface ClusterApiCause {
  field?: string;
  message: string;
  reason?: string;
}

/**
 * The cluster answered a request about an object and refused it (its Status): 400 invalid, 403
 * forbidden, 404 not_found, 409 conflict (AlreadyExists, a stale resourceVersion, an apply
 * conflict), 410 gone (an expired continue token), 422 unprocessable (with the cluster's causes).
 * The cluster is up, so this never counts towards its circuit breaker. Carries no HTTP status of
 * the hub's own: the domain decides. The message is the cluster's, capped and scrubbed.
 */
export class ClusterApiError extends Error {
  constructor(
    readonly kind: ClusterApiErrorKind,
    message: string,
    readonly details: {
      /** The cluster's HTTP status and Status.reason (NotFound, AlreadyExists, Conflict, Invalid, Forbidden, ...). */
      status: number;
      reason: string;
      /** What the hub asked: the verb (get, list, create, patch, delete) and the resource. */
      verb: string;
      resource: ResourceCollection & { name?: string };
      causes: ClusterApiCause[];
      warnings: string[];
    },
  ) {
    super(message);
    this.name = 'ClusterApiError';
  }
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
  /** Every resource the cluster serves, from aggregated discovery when it offers it, else /api and /apis group by group. */
  discover(): Promise<ApiDiscovery>;
  /** One page of a collection: follow `continue` for the next. */
  list(collection: ResourceCollection, query?: ListQuery): Promise<ObjectList>;
  get(ref: ResourceObjectRef): Promise<ObjectAnswer>;
  /** POST of a new object to a collection (a Job, an access review); 409 when it exists. */
  create(collection: ResourceCollection, object: KubernetesObject, options?: PatchOptions): Promise<ObjectAnswer>;
  patch(ref: ResourceObjectRef, type: PatchType, patch: unknown, options?: PatchOptions): Promise<ObjectAnswer>;
  /** Server-side apply of `object` (its apiVersion and kind included) at `ref`: creates or updates it. */
  apply(ref: ResourceObjectRef, object: KubernetesObject, options: ApplyOptions): Promise<ApplyAnswer>;
  delete(ref: ResourceObjectRef, options?: DeleteOptions): Promise<DeleteAnswer>;
  /**
   * Creates (or finds) the namespace, the ServiceAccount (refusing one the hub did not create: 409),
   * a ClusterRoleBinding to the role and, when asked, a bound token and a kubeconfig for that
   * account. Repeating it moves the binding when the role changed and mints a new token.
   */
  onboardServiceAccount(request: ServiceAccountRequest): Promise<OnboardedServiceAccount>;
  /** Closes idle connections; the gateway must not be used afterwards. */
  close(): void;
}

/**
 * Whom the hub acts for: every request then carries `Impersonate-User` and `Impersonate-Group`, so
 * the cluster's own RBAC decides and its audit log names the person (the hub's credential needs
 * the `impersonate` verb on users and groups).
 */
export interface Impersonation {
  user: string;
  groups: string[];
}

export interface GatewayOptions {
  impersonate?: Impersonation;
}

/** Builds the gateway of one cluster. Cheap and synchronous: nothing connects until a call. */
export type ClusterGatewayFactory = (credentials: ClusterCredentials, options?: GatewayOptions) => ClusterGateway;
