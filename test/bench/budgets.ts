import type { BenchResult } from './result.ts';

export interface TableCost {
  read: number;
  write: number;
}

/** The capacity units of each table-cost row, by request. */
export function tableCosts(results: BenchResult[]): Map<string, TableCost> {
  return new Map(
    results
      .filter((r) => r.scenario === 'table-cost')
      .map((r) => [r.name, { read: r.budget?.read_capacity_units ?? NaN, write: r.budget?.write_capacity_units ?? NaN }]),
  );
}

const units = (c: TableCost) => `${c.read} RCU, ${c.write} WCU`;

/**
 * One sentence for every request whose measured table cost exceeds the budget recorded in
 * docs/benchmarks.json, has no budget, or whose budget went unmeasured. Capacity units are
 * deterministic (item counts and sizes, not time), so any excess is a real change.
 */
export function tableCostOverruns(measured: BenchResult[], recorded: BenchResult[]): string[] {
  const budgets = tableCosts(recorded);
  const costs = tableCosts(measured);
  const problems: string[] = [];
  for (const [request, cost] of costs) {
    const budget = budgets.get(request);
    if (!budget) {
      problems.push(`${request} consumed ${units(cost)} and has no budget in docs/benchmarks.json (record one: npm run bench -- table-cost)`);
    } else if (!(cost.read <= budget.read && cost.write <= budget.write)) {
      problems.push(`${request} consumed ${units(cost)}, over its budget of ${units(budget)} in docs/benchmarks.json`);
    }
  }
  for (const request of budgets.keys()) {
    if (!costs.has(request)) problems.push(`${request} has a budget in docs/benchmarks.json but was not measured`);
  }
  return problems;
}
