import type { ClusterDeps } from '#shared/domain/clusters/cluster-deps.ts';
import type { ResourceDeps } from '#shared/domain/resources/cluster-session.ts';
import type { Clock } from '#shared/ports/clock.ts';
import type { EnvironmentStore, PromotionStore, SyncHistoryStore } from './records.ts';

/** Limits of the context: counts kept small enough that every view answers within a request. */
export interface EnvironmentLimits {
  maxEnvironments: number;
  maxInstancesPerEnvironment: number;
  /** The most objects of one kind compare reads from one instance; past it the compare answers 422 TOO_MANY_OBJECTS. */
  maxCompareObjects: number;
}

export const DEFAULT_ENVIRONMENT_LIMITS: EnvironmentLimits = { maxEnvironments: 100, maxInstancesPerEnvironment: 200, maxCompareObjects: 1000 };

export interface EnvironmentDeps {
  store: EnvironmentStore;
  history: SyncHistoryStore;
  promotions: PromotionStore;
  clusters: ClusterDeps;
  /** How compare and sync reach the instances' clusters: the same sessions (breaker, impersonation) as the resources group. */
  resources: ResourceDeps;
  clock: Clock;
  limits: EnvironmentLimits;
}
