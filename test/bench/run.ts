import { cpus } from 'node:os';
import { coldStart } from './scenarios/cold-start.ts';
import { environmentsScenario } from './scenarios/environments.ts';
import { kubeconfigParsing } from './scenarios/kubeconfig.ts';
import { plannerFanOut } from './scenarios/planner.ts';
import { requestScenarios } from './scenarios/requests.ts';
import { resourcesScenario } from './scenarios/resources.ts';
import { sweepScenario } from './scenarios/sweep.ts';
import { topologyScenario } from './scenarios/topology.ts';
import { mergeWithPrevious, rerenderReport, writeReport } from './report.ts';
import type { BenchContext, BenchResult, Scenario } from './result.ts';

export const SCENARIOS = ['cold-start', 'latency', 'login', 'table-cost', 'kubeconfig', 'planner', 'resources', 'sweep', 'topology', 'environments'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

// latency, login and table-cost share one setup (the test bed and both ways in) and run together; the resources
// scenario adds the table-cost rows of its routes, so re-measuring table-cost runs it too.
const runners: { names: ScenarioName[]; run: Scenario }[] = [
  { names: ['cold-start'], run: coldStart },
  { names: ['latency', 'login', 'table-cost'], run: requestScenarios },
  { names: ['kubeconfig'], run: kubeconfigParsing },
  { names: ['planner'], run: plannerFanOut },
  { names: ['resources', 'table-cost'], run: resourcesScenario },
  { names: ['sweep'], run: sweepScenario },
  { names: ['topology'], run: topologyScenario },
  { names: ['environments'], run: environmentsScenario },
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

const OPTIONS = ['--quick', '--render'] as const;

/** The command line: scenario names and options, or the sentence saying what is wrong with it. */
export function parseArguments(args: string[]): { quick: boolean; render: boolean; only: ScenarioName[] } | { error: string } {
  const options = args.filter((a) => a.startsWith('-'));
  const names = args.filter((a) => !a.startsWith('-'));
  const unknownOptions = options.filter((o) => !(OPTIONS as readonly string[]).includes(o));
  if (unknownOptions.length) return { error: `bench: unknown option ${unknownOptions.join(', ')}; choose from ${OPTIONS.join(', ')}` };
  const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (unknown.length) return { error: `bench: unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}` };
  const render = options.includes('--render');
  if (render && (names.length || options.includes('--quick'))) return { error: 'bench: --render measures nothing; give it no scenario and no --quick' };
  return { quick: options.includes('--quick'), render, only: names as ScenarioName[] };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const parsed = parseArguments(process.argv.slice(2));
  if ('error' in parsed) {
    console.error(parsed.error);
    process.exit(2);
  }
  if (parsed.render) {
    rerenderReport();
    console.log('bench: rewrote docs/benchmarks.md from docs/benchmarks.json');
    process.exit(0);
  }
  const { quick, only } = parsed;
  const results = await runBench({ quick, only, write: !quick, log: (line) => console.log(`bench: ${line}`) });
  for (const r of results) console.log(`${r.scenario} | ${r.name} | ${r.figure} | ${r.reference} | ratio ${r.ratio ?? '-'}${r.noisy ? ' | NOISY' : ''}`);
  if (!quick) console.log('bench: wrote docs/benchmarks.md and docs/benchmarks.json');
  process.exit(0);
}
