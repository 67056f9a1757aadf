import { describe, expect, it } from 'vitest';
import { tableCostOverruns } from './budgets.ts';
import { readReport } from './report.ts';
import { runBench, SCENARIOS } from './run.ts';
import { IMPORT_RATIO_LIMIT } from './scenarios/cold-start.ts';
import { OUTSIDE_IO_GOAL_MS } from './scenarios/requests.ts';

// A smoke test that every scenario still runs and reports; it asserts nothing about speed. It does
// hold the deterministic figures to their budgets: what a bundle carries, what a request costs.
describe('npm run bench -- --quick', () => {
  it('produces a row with a figure for every scenario, within the recorded budgets', { timeout: 480_000 }, async () => {
    const results = await runBench({ quick: true, write: false });
    expect(new Set(results.map((r) => r.scenario))).toEqual(new Set(SCENARIOS));
    for (const r of results) {
      expect(r.figure, r.name).toMatch(/\d/);
      expect(r.how, r.name).toBeTruthy();
    }
    const sizes = results.filter((r) => r.scenario === 'cold-start' && r.budget?.kubernetes_client_in_bundle !== undefined);
    expect(sizes.map((r) => r.name.split(' ')[0])).toEqual(expect.arrayContaining(['System', 'Identity', 'Audit', 'Clusters', 'GrantSweeper']));
    // No bundle carries the Kubernetes client: only the functions that talk to clusters ship it, in a file of their own.
    expect(sizes.filter((r) => r.budget?.kubernetes_client_in_bundle !== 0).map((r) => r.name)).toEqual([]);
    expect(
      sizes
        .filter((r) => r.budget?.kubernetes_client_beside_bundle === 1)
        .map((r) => r.name.split(' ')[0])
        .sort(),
    ).toEqual(['BackgroundWorkHealthSweepWorker', 'BackgroundWorkInventoryWorker', 'Clusters', 'Console', 'Environments', 'Resources', 'Topology']);
    expect(sizes.filter((r) => r.budget?.kubernetes_client_evaluated_on_import !== 0).map((r) => r.name)).toEqual([]);
    // Each function bundles its own endpoint group only.
    expect(sizes.filter((r) => r.budget?.other_endpoint_groups_in_bundle !== 0).map((r) => r.name)).toEqual([]);
    // The goal rows are there and say what they are judged against; whether a goal is met is timing, recorded, not asserted.
    expect(sizes.every((r) => r.budget?.import_ratio_limit === IMPORT_RATIO_LIMIT && typeof r.ratio === 'number')).toBe(true);
    const warm = results.find((r) => r.budget?.outside_io_goal_ms !== undefined);
    expect(warm?.name).toMatch(/auth\/me .*time outside I\/O per request/);
    expect(warm?.budget?.outside_io_goal_ms).toBe(OUTSIDE_IO_GOAL_MS);
    // Capacity units are counted, not timed: no request may consume more than docs/benchmarks.json records.
    const costs = results.filter((r) => r.scenario === 'table-cost');
    expect(costs.length).toBeGreaterThan(0);
    expect(tableCostOverruns(results, readReport().results)).toEqual([]);
    // The kubeconfig limits are constants, not timings: raising one needs a new recorded row.
    const limits = (rows: typeof results) => rows.find((r) => r.scenario === 'kubeconfig' && r.budget?.max_bytes !== undefined)?.budget;
    const recordedLimits = limits(readReport().results);
    expect(recordedLimits).toBeDefined();
    expect(limits(results)!.max_bytes).toBeLessThanOrEqual(recordedLimits!.max_bytes!);
    expect(limits(results)!.max_keys).toBeLessThanOrEqual(recordedLimits!.max_keys!);
  });
});
