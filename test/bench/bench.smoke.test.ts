import { describe, expect, it } from 'vitest';
import { runBench, SCENARIOS } from './run.ts';

// A smoke test that every scenario still runs and reports; it asserts nothing about speed.
describe('npm run bench -- --quick', () => {
  it('produces a row with a figure for every scenario', { timeout: 240_000 }, async () => {
    const results = await runBench({ quick: true, write: false });
    expect(new Set(results.map((r) => r.scenario))).toEqual(new Set(SCENARIOS));
    for (const r of results) {
      expect(r.figure, r.name).toMatch(/\d/);
      expect(r.how, r.name).toBeTruthy();
    }
    const sizes = results.filter((r) => r.scenario === 'cold-start' && r.name.includes('Lambda bundle'));
    expect(sizes.map((r) => r.name.split(' ')[0])).toEqual(expect.arrayContaining(['System', 'Identity', 'Audit', 'Clusters']));
    // Only the function that talks to clusters carries the Kubernetes client.
    const carrying = sizes.filter((r) => r.budget?.kubernetes_client_in_bundle === 1).map((r) => r.name.split(' ')[0]);
    expect(carrying).toEqual(['Clusters']);
    const costs = results.filter((r) => r.scenario === 'table-cost');
    expect(costs.every((r) => typeof r.budget?.read_capacity_units === 'number')).toBe(true);
  });
});
