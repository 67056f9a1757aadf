/**
 * The environments context's records: an environment (dev, staging, prod) is a named, ordered set
 * of app instances, each one namespace on one registered cluster. Compare and sync work between
 * instances; an environment that requires approval takes changes only through a promotion.
 */
import type { Page } from '#shared/ports/page.ts';

export interface EnvironmentRecord {
  id: string;
  name: string;
  description: string;
  /** A display colour, `#rrggbb`. */
  color: string;
  /** Where it sorts among environments (dev before prod): lower first. */
  order: number;
  /** A direct sync into one of its instances is refused (409); changes go through a promotion. */
  requireApproval: boolean;
  /** How many app instances it holds: kept with each instance's create and delete, so a delete knows without a query. */
  instanceCount: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface AppInstanceRecord {
  id: string;
  name: string;
  environmentId: string;
  clusterId: string;
  namespace: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export type EnvironmentChanges = Partial<Pick<EnvironmentRecord, 'name' | 'description' | 'color' | 'order' | 'requireApproval'>>;
export type AppInstanceChanges = Partial<Pick<AppInstanceRecord, 'name' | 'namespace'>>;

export interface AppInstanceFilter {
  environmentId?: string;
  clusterId?: string;
}

/** The table's side of the context (shared/adapters/dynamodb/environments/). */
export interface EnvironmentStore {
  /** 409 ENVIRONMENT_EXISTS for a name taken (whatever its case); 409 LIMIT_REACHED past `maxEnvironments`. */
  createEnvironment(record: Omit<EnvironmentRecord, 'version'>, maxEnvironments: number): Promise<EnvironmentRecord>;
  getEnvironment(id: string): Promise<EnvironmentRecord | undefined>;
  /** By `order`, then name. */
  listEnvironments(limit: number, cursor?: string): Promise<Page<EnvironmentRecord>>;
  updateEnvironment(record: EnvironmentRecord, changes: EnvironmentChanges, at: string): Promise<EnvironmentRecord>;
  /** Refused (409 ENVIRONMENT_NOT_EMPTY) while it holds instances. */
  deleteEnvironment(record: EnvironmentRecord): Promise<void>;
  /** 409 APP_INSTANCE_EXISTS for a name taken in the environment; 409 LIMIT_REACHED past `maxPerEnvironment`. */
  createInstance(record: Omit<AppInstanceRecord, 'version'>, maxPerEnvironment: number): Promise<AppInstanceRecord>;
  getInstance(id: string): Promise<AppInstanceRecord | undefined>;
  /** By environment then name; only one of the filters is a key condition, the other filters the page. */
  listInstances(filter: AppInstanceFilter, limit: number, cursor?: string): Promise<Page<AppInstanceRecord>>;
  updateInstance(record: AppInstanceRecord, changes: AppInstanceChanges, at: string): Promise<AppInstanceRecord>;
  deleteInstance(record: AppInstanceRecord): Promise<void>;
}

export const SYNC_KINDS = ['services', 'configmaps', 'secrets'] as const;
export type SyncKind = (typeof SYNC_KINDS)[number];

/**
 * One change a sync made (or would make). `before` and `after` are image references for
 * services, values for ConfigMap keys (when small, else null with the digests), and never a
 * value for Secret keys: only their SHA-256 digests.
 */
export interface SyncChange {
  /** The workload kind and name, or the ConfigMap's or Secret's name. */
  object: string;
  /** The container, or the key. */
  field: string;
  before: string | null;
  after: string | null;
  before_digest?: string | null;
  after_digest?: string;
}

export interface SyncTargetResult {
  app_instance_id: string;
  environment_id: string;
  state: 'applied' | 'unchanged' | 'failed';
  error?: string;
  changes: SyncChange[];
  /** Named workloads the target does not run (nothing to copy a tag to). */
  missing?: string[];
  /** History keeps only the first changes of a very large sync (a table item holds 400 KB); all were made. */
  changes_truncated?: boolean;
}

/** A sync as history keeps it: who, when, from where to where, and each target's changes. */
export interface SyncRecord {
  id: string;
  kind: SyncKind;
  sourceAppInstanceId: string;
  targetAppInstanceIds: string[];
  environmentIds: string[];
  /** The clusters of the source and targets: history shows a sync only to who may see them all. */
  clusterIds: string[];
  /** Workload names (services) or the one ConfigMap or Secret name. */
  objects: string[];
  requestedBy: string;
  username: string;
  at: string;
  state: 'applied' | 'partially_failed' | 'failed' | 'rolled_back';
  results: SyncTargetResult[];
  /** The sync this one rolled back. */
  rollbackOf?: string;
}

export interface SyncHistoryFilter {
  since?: string;
  until?: string;
}

export interface SyncHistoryStore {
  record(sync: SyncRecord): Promise<void>;
  get(id: string): Promise<SyncRecord | undefined>;
  /** Newest first, a kind's syncs within the time range. */
  list(kind: SyncKind, filter: SyncHistoryFilter, limit: number, cursor?: string): Promise<Page<SyncRecord>>;
  /** Marks a sync rolled back, once (409 when it already was). */
  markRolledBack(id: string): Promise<void>;
}

export const PROMOTION_STATES = ['pending', 'approved', 'rejected', 'applied', 'verified', 'failed'] as const;
export type PromotionState = (typeof PROMOTION_STATES)[number];

export interface PromotedKeys {
  name: string;
  keys: string[];
}

/** A change of a target that waits for a second person: approved, it runs as syncs; then its rollouts are watched. */
export interface PromotionRecord {
  id: string;
  sourceAppInstanceId: string;
  targetAppInstanceId: string;
  /** The target's cluster and environment, as they were asked for. */
  clusterId: string;
  environmentId: string;
  services: string[];
  configmaps: PromotedKeys[];
  secrets: PromotedKeys[];
  reason: string;
  state: PromotionState;
  requestedBy: string;
  requesterName: string;
  decidedBy?: string;
  deciderName?: string;
  decidedAt?: string;
  /** The syncs the approval ran. */
  syncIds: string[];
  /** Why it failed, when it did. */
  detail?: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export type PromotionChanges = Partial<Pick<PromotionRecord, 'state' | 'decidedBy' | 'deciderName' | 'decidedAt' | 'syncIds' | 'detail' | 'updatedAt'>>;

export interface PromotionStore {
  create(record: Omit<PromotionRecord, 'version'>): Promise<PromotionRecord>;
  get(id: string): Promise<PromotionRecord | undefined>;
  /** Newest first. */
  list(limit: number, cursor?: string): Promise<Page<PromotionRecord>>;
  /** At the version read: a concurrent decision gets 409. */
  update(record: PromotionRecord, changes: PromotionChanges): Promise<PromotionRecord>;
}
