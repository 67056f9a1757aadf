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
