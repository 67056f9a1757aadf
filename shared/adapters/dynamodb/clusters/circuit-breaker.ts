import { circuit } from '#shared/data/entities/clusters.ts';
import type { CircuitBreaker, CircuitState } from '#shared/domain/clusters/ports.ts';
import type { Table } from '../table.ts';

const circuitKey = (clusterId: string) => circuit.key({ clusterId });

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
    const item = await this.table.get(circuitKey(clusterId));
    return item ? circuit.read(item) : { failures: 0 };
  }

  async recordFailure(clusterId: string, now: Date): Promise<CircuitState> {
    const out = await this.table.updateItem(circuitKey(clusterId), {
      update: 'ADD failures :one SET entity = :entity, #ttl = :ttl',
      names: { '#ttl': 'ttl' },
      values: { ':one': 1, ':entity': circuit.entity, ':ttl': Math.floor(now.getTime() / 1000) + 3600 },
      returnValues: 'ALL_NEW',
    });
    const after = out.applied ? circuit.read(out.attributes) : { failures: 1 };
    const failures = after.failures;
    // A circuit that opened before and was not reset by a success is half-open: one failed trial re-opens it.
    const wasOpen = after.openUntil !== undefined;
    if (failures < this.policy.threshold && !wasOpen) return { failures };
    const openUntil = now.getTime() + this.policy.openSeconds * 1000;
    await this.table.updateItem(circuitKey(clusterId), {
      update: 'SET open_until = :until, failures = :zero',
      values: { ':until': openUntil, ':zero': 0 },
    });
    return { failures, openUntil };
  }

  async reset(clusterId: string): Promise<void> {
    await this.table.delete(circuitKey(clusterId));
  }
}
