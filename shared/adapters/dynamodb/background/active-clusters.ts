import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { cluster } from '#shared/data/entities/clusters.ts';
import type { Table } from '../table.ts';

/** The cluster list's index partition (clusters/cluster-repository.ts keeps it). */
const CLUSTER_LIST_PARTITION = cluster.indexPartition('gsi1', {});

/**
 * The ids of every active cluster, for the planner: Query gsi1 `CLUSTERS` (never a Scan), only
 * `active = true`, only the id projected. A page holds up to 1 MB of evaluated items, so a fleet of
 * a thousand clusters is a page or two.
 */
export async function activeClusterIds(table: Table): Promise<string[]> {
  const ids: string[] = [];
  let start: QueryCommandOutput['LastEvaluatedKey'];
  do {
    const out: QueryCommandOutput = await table.doc.send(
      new QueryCommand({
        TableName: table.name,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        FilterExpression: 'active = :active',
        ProjectionExpression: 'id',
        ExpressionAttributeValues: { ':pk': CLUSTER_LIST_PARTITION, ':active': true },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of out.Items ?? []) if (typeof item.id === 'string') ids.push(item.id);
    start = out.LastEvaluatedKey;
  } while (start);
  return ids;
}
