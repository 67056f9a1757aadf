import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { fleetHealth, healthResult } from '#shared/data/entities/health.ts';
import type { HealthRecord } from '#shared/domain/health/health.ts';
import type { FleetHealthEntry, HealthStore } from '#shared/domain/health/ports.ts';
import type { Page } from '#shared/ports/page.ts';
import type { Table } from '../table.ts';

/** Sweep results are kept this long (the history's TTL, and the fleet entry's after the cluster's last sweep). */
export const HEALTH_RETENTION_DAYS = 30;

const FLEET_PARTITION = fleetHealth.partition({});

const expiry = (at: string) => Math.floor(Date.parse(at) / 1000) + HEALTH_RETENTION_DAYS * 86_400;

export function fleetEntryOf(r: HealthRecord): FleetHealthEntry {
  return {
    cluster_id: r.cluster_id,
    cluster_name: r.cluster_name,
    status: r.status,
    checked_at: r.checked_at,
    reasons: r.reasons,
    consecutive_failures: r.consecutive_failures,
    expiring: r.expiring,
    expiring_total: r.expiring_total,
  };
}

/**
 * Each sweep is one history item (`HEALTH#<cluster>` / checked-at, TTL 30 days) and the cluster's
 * fleet entry (`FLEETHEALTH` / cluster id), replaced unless a newer sweep already wrote it: two
 * writes a sweep, and the fleet views read one small partition.
 */
export class DynamoHealthStore implements HealthStore {
  constructor(private readonly table: Table) {}

  async entry(clusterId: string): Promise<FleetHealthEntry | undefined> {
    const item = await this.table.get(fleetHealth.key({ clusterId }), true);
    return item && fleetHealth.read(item).entry;
  }

  async latest(clusterId: string): Promise<HealthRecord | undefined> {
    const page = await this.table.query({ partition: healthResult.partition({ clusterId }), limit: 1, newestFirst: true });
    return page.items[0] && healthResult.read(page.items[0]).report;
  }

  async record(record: HealthRecord): Promise<void> {
    const keys = { clusterId: record.cluster_id, checkedAt: record.checked_at };
    await this.table.put({ ...healthResult.item({ ...keys, report: record }), version: 1, ttl: expiry(record.checked_at) });
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: { ...fleetHealth.item({ ...keys, entry: fleetEntryOf(record) }), version: 1, ttl: expiry(record.checked_at) },
          ConditionExpression: 'attribute_not_exists(pk) OR checked_at < :at',
          ExpressionAttributeValues: { ':at': record.checked_at },
        }),
      );
    } catch (err) {
      // A newer sweep's entry is there already: it stays.
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async history(clusterId: string, range: { since: string; until: string }, limit: number, cursor?: string): Promise<Page<HealthRecord>> {
    const page = await this.table.query({
      partition: healthResult.partition({ clusterId }),
      between: [range.since, range.until],
      newestFirst: true,
      limit,
      cursor,
    });
    return { items: page.items.map((i) => healthResult.read(i).report), ...(page.continue ? { continue: page.continue } : {}) };
  }

  async fleet(): Promise<FleetHealthEntry[]> {
    const entries: FleetHealthEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.table.query({ partition: FLEET_PARTITION, limit: 500, cursor });
      entries.push(...page.items.map((i) => fleetHealth.read(i).entry));
      cursor = page.continue;
    } while (cursor);
    return entries;
  }
}
