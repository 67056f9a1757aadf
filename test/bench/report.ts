import { readFileSync, writeFileSync } from 'node:fs';
import type { BenchResult } from './result.ts';

const docs = new URL('../../docs/', import.meta.url);
const jsonFile = new URL('benchmarks.json', docs);
const mdFile = new URL('benchmarks.md', docs);

/** Keeps the rows of scenarios not run this time, so one scenario can be re-measured alone. */
export function mergeWithPrevious(results: BenchResult[]): BenchResult[] {
  let previous: BenchResult[] = [];
  try {
    previous = (JSON.parse(readFileSync(jsonFile, 'utf8')) as { results: BenchResult[] }).results;
  } catch {
    // first run
  }
  const rerun = new Set(results.map((r) => r.scenario));
  return [...previous.filter((r) => !rerun.has(r.scenario)), ...results];
}

const cell = (text: string) => text.replaceAll('|', '\\|');

/** Writes docs/benchmarks.json and docs/benchmarks.md. */
export function writeReport(results: BenchResult[], meta: { node: string; cpus: number; date: string }) {
  writeFileSync(jsonFile, JSON.stringify({ ...meta, results }, null, 2) + '\n');
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | ${cell(r.name)} | ${cell(r.figure)}${r.noisy ? ' (spread too wide to trust)' : ''} | ${cell(r.reference)} | ${r.ratio ?? '-'} | ${cell(r.how)} |`,
  );
  const md = `# Benchmarks

Measured by \`npm run bench\` on ${meta.date} (Node ${meta.node}, ${meta.cpus} cores). Figures are
ratios against a reference measured in the same run on the same machine: these machines are
shared and noisy, so absolute times drift from run to run while the ratios hold. A figure whose
interquartile range exceeds half its median is marked as too wide to trust.

Reproduce: \`npm run bench\` (every scenario; starts or reuses the test bed), \`npm run bench -- <scenario>\`
(one of \`cold-start\`, \`latency\`, \`login\`, \`table-cost\`; the other rows are kept), \`npm run bench -- --quick\`
(every scenario with few repetitions, prints only; CI runs it as a smoke test through \`npm test\`).
The raw samples and the budgets (bundle bytes, capacity units per request) are in \`benchmarks.json\`.

| scenario | what | figure | reference | ratio | how measured |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

## Budgets later issues must keep

- **Table cost**: the capacity units per request in the table-cost rows. Every authenticated request
  reads its session and its user (two reads) and adds one rate-limit write; a change adds one audit write.
- **Cold start**: a function that does not talk to Kubernetes carries no Kubernetes client; the clusters
  function carries it but evaluates it on the first live call only.
`;
  writeFileSync(mdFile, md);
}
