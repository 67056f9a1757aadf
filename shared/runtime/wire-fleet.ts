import { DynamoHealthStore } from '#shared/adapters/dynamodb/health/health-store.ts';
import { DynamoHubEventLog } from '#shared/adapters/dynamodb/hub-event-log.ts';
import { DynamoInventoryStore } from '#shared/adapters/dynamodb/inventory/inventory-store.ts';
import type { HealthDeps } from '#shared/domain/health/ports.ts';
import type { InventoryDeps } from '#shared/domain/inventory/ports.ts';
import type { BaseDependencies, Dependencies } from './dependencies.ts';

/** The health sweep's results and the hub events it publishes, in the one table. */
export function wireHealth(deps: Dependencies): HealthDeps {
  return { clusters: deps.clusters, store: new DynamoHealthStore(deps.table), events: new DynamoHubEventLog(deps.table), clock: deps.clock };
}

/** The inventory: pointers, changes and the image index in the table, snapshots in the runtime's blob store. */
export function wireInventory(deps: Dependencies, base: BaseDependencies): InventoryDeps {
  const blobs = base.blobs?.();
  if (!blobs) throw new Error('This runtime has no blob store for inventory snapshots (HUB_INVENTORY_BUCKET on AWS).');
  return { clusters: deps.clusters, store: new DynamoInventoryStore(deps.table), blobs, clock: deps.clock };
}
