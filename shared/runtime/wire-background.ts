import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoLeaseStore } from '#shared/adapters/dynamodb/background/lease-store.ts';
import { DynamoOperationStore } from '#shared/adapters/dynamodb/background/operation-store.ts';
import { tableDefinition } from '#shared/data/table-definition.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import type { BackgroundDeps } from '#shared/workers/background.ts';
import type { BaseDependencies, Dependencies } from './dependencies.ts';

/** Idempotency records share one partition of the table (Powertools keys them by a static partition and the key's hash). */
export const IDEMPOTENCY_PARTITION = 'IDEMPOTENCY';

/** The background context: the job queues the runtime supplies, operations, leases and idempotency records, all in the one table. */
export function wireBackground(deps: Dependencies, base: BaseDependencies): BackgroundDeps {
  const queues = base.jobQueues?.() ?? [];
  const byKind = new Map(queues.map((q) => [q.kind, q]));
  return {
    queue: (kind) => {
      const queue = byKind.get(kind);
      if (!queue) throw new NotFoundError(`There is no queue named ${kind}.`);
      return queue;
    },
    queues: () => queues,
    operations: new DynamoOperationStore(deps.table),
    leases: new DynamoLeaseStore(deps.table, deps.clock),
    idempotencyStore: new DynamoDBPersistenceLayer({
      tableName: deps.table.name,
      awsSdkV3Client: deps.table.client,
      keyAttr: tableDefinition.partitionKey,
      sortKeyAttr: tableDefinition.sortKey,
      staticPkValue: IDEMPOTENCY_PARTITION,
      expiryAttr: tableDefinition.ttlAttribute,
    }),
  };
}
