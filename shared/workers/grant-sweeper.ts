/**
 * The grant sweeper: when a cluster's record leaves the table, the per-cluster grants on it go
 * too. The clusters function deletes the cluster but may not write a `USER#` item (it parses
 * hostile kubeconfigs), so the grants, which live in their user's partition, are removed here,
 * by a function that may delete `USER#` items and does nothing else, fed by the table's stream.
 * Deleting grants is idempotent: a retried record does no harm.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { cluster } from '#shared/data/entities/clusters.ts';
import type { UserRepository } from '#shared/domain/identity/ports.ts';
import type { Logger } from '#shared/observability/logger.ts';

/** The stream records the event source mapping passes on: cluster records removed. */
export const REMOVED_CLUSTER_PATTERN = {
  eventName: ['REMOVE'],
  dynamodb: { Keys: { pk: { S: [{ prefix: cluster.pk.prefix }] }, sk: { S: [cluster.sk.template] } } },
};

/** The id of the cluster whose record `record` removed, or undefined for any other record. */
export function removedClusterId(record: DynamoDBRecord): string | undefined {
  const { pk, sk } = record.dynamodb?.Keys ?? {};
  if (record.eventName !== 'REMOVE' || !pk?.S || !sk?.S || !cluster.sk.parse(sk.S)) return undefined;
  return cluster.pk.parse(pk.S)?.id;
}

/**
 * Removes the grants of every cluster the batch removed, in stream order. On a failure it stops
 * and reports that record (Lambda retries the batch from it; a record that keeps failing goes to
 * the dead-letter queue after the retries the stack sets).
 */
export async function sweepGrants(
  event: DynamoDBStreamEvent,
  users: Pick<UserRepository, 'deletePermissionsForCluster'>,
  logger: Logger,
): Promise<DynamoDBBatchResponse> {
  for (const record of event.Records) {
    const clusterId = removedClusterId(record);
    if (!clusterId) continue;
    try {
      await users.deletePermissionsForCluster(clusterId);
      logger.info('removed the grants on a deleted cluster', { cluster_id: clusterId });
    } catch (err) {
      logger.error('could not remove the grants on a deleted cluster', { cluster_id: clusterId, error: err instanceof Error ? err.message : String(err) });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? record.eventID ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
}
