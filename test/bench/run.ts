import { cpus } from 'node:os';
import { coldStart } from './scenarios/cold-start.ts';
import { requestScenarios } from './scenarios/requests.ts';
import { mergeWithPrevious, writeReport } from './report.ts';
import type { BenchContext, BenchResult, Scenario } from './result.ts';

export const SCENARIOS = ['cold-start', 'latency', 'login', 'table-cost'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

// latency, login and table-cost share one setup (the test bed and both ways in) and run together.
const runners: { names: ScenarioName[]; run: Scenario }[] = [
  { names: ['cold-start'], run: coldStart },
  { names: ['latency', 'login', 'table-cost'], run: requestScenarios },
];

/** Runs the chosen scenarios (all when none) and returns their rows; `write` updates docs/benchmarks.*. */
export async function runBench(options: { quick: boolean; only?: ScenarioName[]; write: boolean; log?: (line: string) => void }): Promise<BenchResult[]> {
  const only = options.only?.length ? options.only : [...SCENARIOS];
  const ctx: BenchContext = { quick: options.quick, repetitions: options.quick ? 10 : 200, log: options.log ?? (() => {}) };
  const results: BenchResult[] = [];
  for (const runner of runners) {
    if (!runner.names.some((n) => only.includes(n))) continue;
    results.push(...(await runner.run(ctx)).filter((r) => only.includes(r.scenario as ScenarioName)));
  }
  if (options.write) {
    writeReport(mergeWithPrevious(results), { node: process.versions.node, cpus: cpus().length, date: new Date().toISOString().slice(0, 10) });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const only = args.filter((a) => !a.startsWith('--')) as ScenarioName[];
  const unknown = only.filter((n) => !SCENARIOS.includes(n));
  if (unknown.length) {
    console.error(`bench: unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
    process.exit(2);
  }
  const results = await runBench({ quick, only, write: !quick, log: (line) => console.log(`bench: ${line}`) });
  for (const r of results) console.log(`${r.scenario} | ${r.name} | ${r.figure} | ${r.reference} | ratio ${r.ratio ?? '-'}${r.noisy ? ' | NOISY' : ''}`);
  if (!quick) console.log('bench: wrote docs/benchmarks.md and docs/benchmarks.json');
  process.exit(0);
}
