import type { Table } from '#shared/adapters/dynamodb/table.ts';
import { round } from './stats.ts';
import type { BenchResult } from './result.ts';

export interface Capacity {
  read: number;
  write: number;
}

/** Counts the capacity units DynamoDB reports for every command of a table client; the returned function meters one piece of work. */
export function meterCapacity(table: Table) {
  const total: Capacity = { read: 0, write: 0 };
  table.doc.middlewareStack.add(
    (next, context) => async (args) => {
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      const writes = /Put|Update|Delete|TransactWrite|BatchWrite/.test(String(context.commandName));
      for (const c of [consumed].flat().filter(Boolean) as { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number }[]) {
        total.read += c.ReadCapacityUnits ?? (writes ? 0 : (c.CapacityUnits ?? 0));
        total.write += c.WriteCapacityUnits ?? (writes ? (c.CapacityUnits ?? 0) : 0);
      }
      return result;
    },
    { step: 'initialize', name: 'benchConsumedCapacity' },
  );
  return async (fn: () => Promise<unknown>): Promise<Capacity> => {
    const before = { ...total };
    await fn();
    return { read: round(total.read - before.read), write: round(total.write - before.write) };
  };
}

/** A table-cost row: the capacity of one request, held as its budget by the smoke test. */
export function tableCostRow(name: string, capacity: Capacity, how: string): BenchResult {
  return {
    scenario: 'table-cost',
    name,
    figure: `${capacity.read} RCU, ${capacity.write} WCU`,
    reference: '-',
    ratio: null,
    how,
    budget: { read_capacity_units: capacity.read, write_capacity_units: capacity.write },
    noisy: false,
  };
}
