import { DynamoEnvironmentStore } from '#shared/adapters/dynamodb/environments/environment-store.ts';
import { DynamoPromotionStore } from '#shared/adapters/dynamodb/environments/promotion-store.ts';
import { DynamoSyncHistory } from '#shared/adapters/dynamodb/environments/sync-history.ts';
import { DEFAULT_ENVIRONMENT_LIMITS, type EnvironmentDeps } from '#shared/domain/environments/ports.ts';
import type { Dependencies } from './dependencies.ts';

/** Environments and app instances in the one table; compare and sync through the resources context's cluster sessions. */
export function wireEnvironments(deps: Dependencies): EnvironmentDeps {
  return {
    store: new DynamoEnvironmentStore(deps.table),
    history: new DynamoSyncHistory(deps.table),
    promotions: new DynamoPromotionStore(deps.table),
    clusters: deps.clusters,
    resources: deps.resources,
    clock: deps.clock,
    limits: { ...DEFAULT_ENVIRONMENT_LIMITS },
  };
}
