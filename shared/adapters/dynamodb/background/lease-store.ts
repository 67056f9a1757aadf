import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { jobLease } from '#shared/data/entities/background.ts';
import type { Clock } from '#shared/ports/clock.ts';
import type { Lease, LeaseStore } from '#shared/workers/background.ts';
import type { Table } from '../table.ts';

const leaseKey = (clusterId: string, kind: string) => jobLease.key({ clusterId, kind });

/**
 * Leases in the table: a conditional put takes one that is free, expired or already this holder's,
 * so two workers never run one job on one cluster at once; one that dies leaves a lease that
 * expires by itself after `seconds` (the job's timeout), and TTL removes the item later.
 */
export class DynamoLeaseStore implements LeaseStore {
  constructor(
    private readonly table: Table,
    private readonly clock: Clock,
  ) {}

  async acquire(clusterId: string, kind: string, holder: string, seconds = 900): Promise<Lease | undefined> {
    const now = this.clock.now().getTime();
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: { ...jobLease.item({ clusterId, kind, holder, expiresAt: now + seconds * 1000 }), version: 1 },
          ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now OR holder = :holder',
          ExpressionAttributeValues: { ':now': now, ':holder': holder },
        }),
      );
      return { clusterId, kind, holder };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }

  async release(lease: Lease): Promise<void> {
    try {
      await this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: leaseKey(lease.clusterId, lease.kind),
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': lease.holder },
        }),
      );
    } catch (err) {
      // Taken over after it expired: the new holder's lease stays.
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }
}
