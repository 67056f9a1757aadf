/**
 * docs/cost-model.md quotes some of its inputs from the benchmarks: each input it marks
 * "measured: `<benchmark>`" must still be what docs/benchmarks.json says, so a re-measured
 * benchmark shows up here instead of leaving the cost model on old figures.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const page = readFileSync(resolve(root, 'docs/cost-model.md'), 'utf8');
const { results } = JSON.parse(readFileSync(resolve(root, 'docs/benchmarks.json'), 'utf8')) as { results: { name: string; figure: string }[] };

/** The rows of the inputs table that name a benchmark: [value, benchmark name]. */
const measured = [...page.matchAll(/^\| [^|]+ \| ([^|]+) \| measured: `([^`]+)` \|$/gm)].map((m) => ({ value: m[1]!.trim(), benchmark: m[2]! }));

describe('the cost model', () => {
  it('takes its measured inputs from docs/benchmarks.json as they stand', () => {
    expect(measured.length).toBeGreaterThanOrEqual(4);
    for (const { value, benchmark } of measured) {
      const result = results.find((r) => r.name === benchmark);
      expect(result, `no benchmark named "${benchmark}" in docs/benchmarks.json`).toBeDefined();
      expect(result!.figure, benchmark).toContain(value);
    }
  });
});
