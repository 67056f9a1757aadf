/**
 * The grant sweeper: when a cluster's record leaves the table, the per-cluster grants on it go
 * too. The clusters function deletes the cluster but may not write a `USER#` item (it parses
 * hostile kubeconfigs), so the grants, which live in their user's partition, are removed here,
 * by a function that may delete `USER#` items and does nothing else, fed by the table's stream.
 * Deleting grants is idempotent: a retried record does no harm.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { UserRepository } from '#shared/domain/identity/ports.ts';
import type { Logger } from '#shared/observability/logger.ts';

const CLUSTER_PREFIX = 'CLUSTER#';

/** The stream records the event source mapping passes on: cluster records removed. */
export const REMOVED_CLUSTER_PATTERN = {
  eventName: ['REMOVE'],
  dynamodb: { Keys: { pk: { S: [{ prefix: CLUSTER_PREFIX }] }, sk: { S: ['CLUSTER'] } } },
};

/** The id of the cluster whose record `record` removed, or undefined for any other record. */
export function removedClusterId(record: DynamoDBRecord): string | undefined {
  const keys = record.dynamodb?.Keys;
  const pk = keys?.pk?.S;
  if (record.eventName !== 'REMOVE' || keys?.sk?.S !== 'CLUSTER' || !pk?.startsWith(CLUSTER_PREFIX)) return undefined;
  return pk.slice(CLUSTER_PREFIX.length) || undefined;
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
