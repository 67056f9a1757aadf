import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CircuitBreaker, CircuitState } from '#shared/domain/clusters/ports.ts';
import type { StoredItem, Table } from '../table.ts';

const circuitKey = (clusterId: string) => ({ pk: `CIRCUIT#${clusterId}`, sk: 'CIRCUIT' });

export interface CircuitPolicy {
  /** Consecutive failures that open the circuit. */
  threshold: number;
  /** How long it stays open before the next call may try again. */
  openSeconds: number;
}

export const defaultCircuitPolicy: CircuitPolicy = { threshold: 3, openSeconds: 30 };

/** Circuit state in the table, counted with atomic adds so concurrent instances agree. */
export class DynamoCircuitBreaker implements CircuitBreaker {
  constructor(
    private readonly table: Table,
    private readonly policy: CircuitPolicy = defaultCircuitPolicy,
  ) {}

  async state(clusterId: string): Promise<CircuitState> {
    const item = await this.table.get<StoredItem & { failures?: number; open_until?: number }>(circuitKey(clusterId));
    return { failures: item?.failures ?? 0, openUntil: item?.open_until };
  }

  async recordFailure(clusterId: string, now: Date): Promise<CircuitState> {
    const out = await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: circuitKey(clusterId),
        UpdateExpression: 'ADD failures :one SET entity = :entity, #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':one': 1, ':entity': 'circuit', ':ttl': Math.floor(now.getTime() / 1000) + 3600 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const failures = Number(out.Attributes?.failures ?? 1);
    // A circuit that opened before and was not reset by a success is half-open: one failed trial re-opens it.
    const wasOpen = out.Attributes?.open_until !== undefined;
    if (failures < this.policy.threshold && !wasOpen) return { failures };
    const openUntil = now.getTime() + this.policy.openSeconds * 1000;
    await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: circuitKey(clusterId),
        UpdateExpression: 'SET open_until = :until, failures = :zero',
        ExpressionAttributeValues: { ':until': openUntil, ':zero': 0 },
      }),
    );
    return { failures, openUntil };
  }

  async reset(clusterId: string): Promise<void> {
    await this.table.delete(circuitKey(clusterId));
  }
}
