import { activeClusterIds } from '#shared/adapters/dynamodb/background/active-clusters.ts';
import { DynamoLeaseStore } from '#shared/adapters/dynamodb/background/lease-store.ts';
import { DynamoOperationStore } from '#shared/adapters/dynamodb/background/operation-store.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import type { BackgroundDeps } from '#shared/workers/background.ts';
import type { BaseDependencies, Dependencies } from './dependencies.ts';

/** The background context: the job queues the runtime supplies, operations and leases in the one table. */
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
    activeClusterIds: () => activeClusterIds(deps.table),
    operations: new DynamoOperationStore(deps.table),
    leases: new DynamoLeaseStore(deps.table, deps.clock),
  };
}
