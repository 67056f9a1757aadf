import { describe, expect, it } from 'vitest';
import { tableCostOverruns } from './budgets.ts';
import { readMarkdown, readReport, renderMarkdown } from './report.ts';
import type { BenchResult } from './result.ts';

const cost = (name: string, read: number, write: number): BenchResult => ({
  scenario: 'table-cost',
  name,
  figure: `${read} RCU, ${write} WCU`,
  reference: '-',
  ratio: null,
  how: 'test',
  budget: { read_capacity_units: read, write_capacity_units: write },
  noisy: false,
});

describe('table-cost budgets', () => {
  const recorded = [cost('GET /a', 1.5, 1), cost('POST /b', 1, 7)];

  it('accepts requests at or under their budget', () => {
    expect(tableCostOverruns([cost('GET /a', 1.5, 1), cost('POST /b', 0.5, 6)], recorded)).toEqual([]);
  });

  it('names the request and both figures when it consumes more reads or writes than its budget', () => {
    expect(tableCostOverruns([cost('GET /a', 2, 1), cost('POST /b', 1, 8)], recorded)).toEqual([
      'GET /a consumed 2 RCU, 1 WCU, over its budget of 1.5 RCU, 1 WCU in docs/benchmarks.json',
      'POST /b consumed 1 RCU, 8 WCU, over its budget of 1 RCU, 7 WCU in docs/benchmarks.json',
    ]);
  });

  it('refuses a request without a budget and a budget no request was measured against', () => {
    expect(tableCostOverruns([cost('GET /a', 1, 1), cost('GET /c', 0.5, 0)], recorded)).toEqual([
      'GET /c consumed 0.5 RCU, 0 WCU and has no budget in docs/benchmarks.json (record one: npm run bench -- table-cost)',
      'POST /b has a budget in docs/benchmarks.json but was not measured',
    ]);
  });

  it('has a budget recorded for every table-cost row of docs/benchmarks.json', () => {
    const rows = readReport().results.filter((r) => r.scenario === 'table-cost');
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(typeof r.budget?.read_capacity_units, r.name).toBe('number');
      expect(typeof r.budget?.write_capacity_units, r.name).toBe('number');
    }
  });
});

describe('docs/benchmarks.md', () => {
  it('is the rendering of docs/benchmarks.json (npm run bench -- --render rewrites it)', () => {
    expect(readMarkdown()).toBe(renderMarkdown(readReport()));
  });

  it('prints the spread of every measured figure beside it', () => {
    const sample = (median: number, spread: number) => ({ n: 10, median, p99: median * 2, spread, noisy: spread > 0.5 });
    const md = renderMarkdown({
      node: '22',
      cpus: 2,
      date: '2026-01-01',
      results: [
        { scenario: 'latency', name: 'one', figure: 'p50 2 ms', reference: '-', ratio: null, how: 'h', samples: { lambda: sample(2, 0.25) }, noisy: false },
        {
          scenario: 'login',
          name: 'two',
          figure: 'p50 9 ms',
          reference: '-',
          ratio: 3,
          how: 'h',
          samples: { login: sample(9, 0.6), verify: sample(3, 0.1) },
          noisy: true,
        },
        cost('GET /a', 1, 1),
      ],
    });
    expect(md).toContain('| latency | one | p50 2 ms | 25% | - | - | h |');
    expect(md).toContain('| login | two | p50 9 ms | login 60%, verify 10%, too wide to trust | - | 3 | h |');
    expect(md).toContain('| table-cost | GET /a | 1 RCU, 1 WCU | - | - | - | test |');
  });
});
