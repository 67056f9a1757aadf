import { readFileSync, writeFileSync } from 'node:fs';
import type { BenchResult } from './result.ts';

const docs = new URL('../../docs/', import.meta.url);
const jsonFile = new URL('benchmarks.json', docs);
const mdFile = new URL('benchmarks.md', docs);

/** Keeps the rows of scenarios not run this time, so one scenario can be re-measured alone. */
export function mergeWithPrevious(results: BenchResult[]): BenchResult[] {
  let previous: BenchResult[] = [];
  try {
    previous = readReport().results;
  } catch {
    // first run
  }
  const rerun = new Set(results.map((r) => r.scenario));
  return [...previous.filter((r) => !rerun.has(r.scenario)), ...results];
}

const cell = (text: string) => text.replaceAll('|', '\\|');

export interface ReportMeta {
  node: string;
  cpus: number;
  date: string;
}

/** What docs/benchmarks.json holds: the last run's rows (merged per scenario) and where they were measured. */
export type Report = ReportMeta & { results: BenchResult[] };

export function readReport(): Report {
  return JSON.parse(readFileSync(jsonFile, 'utf8')) as Report;
}

const percent = (x: number) => `${Math.round(x * 100)}%`;

/** The interquartile range of each of the row's series, as a share of its median. */
function spreadCell(r: BenchResult): string {
  const samples = Object.entries(r.samples ?? {});
  if (!samples.length) return '-';
  const spreads = samples.map(([key, s]) => (samples.length > 1 ? `${key} ${percent(s.spread)}` : percent(s.spread)));
  return `${spreads.join(', ')}${r.noisy ? ', too wide to trust' : ''}`;
}

/** docs/benchmarks.md for a report: a pure function of docs/benchmarks.json. */
export function renderMarkdown({ results, ...meta }: Report): string {
  const rows = results.map(
    (r) => `| ${r.scenario} | ${cell(r.name)} | ${cell(r.figure)} | ${spreadCell(r)} | ${cell(r.reference)} | ${r.ratio ?? '-'} | ${cell(r.how)} |`,
  );
  return `# Benchmarks

Measured by \`npm run bench\` on ${meta.date} (Node ${meta.node}, ${meta.cpus} cores). Figures are
ratios against a reference measured in the same run on the same machine: these machines are
shared and noisy, so absolute times drift from run to run while the ratios hold. The spread column
gives the interquartile range of each measured series as a share of its median; a figure whose
spread exceeds 50% is marked as too wide to trust.

Reproduce: \`npm run bench\` (every scenario; starts or reuses the test bed), \`npm run bench -- <scenario>\`
(one of \`cold-start\`, \`latency\`, \`login\`, \`table-cost\`, \`kubeconfig\`; the other rows are kept), \`npm run bench -- --quick\`
(every scenario with few repetitions, prints only; CI runs it as a smoke test through \`npm test\`),
\`npm run bench -- --render\` (rewrites this page from \`benchmarks.json\` without measuring).
The raw samples and the budgets (bundle bytes, capacity units per request) are in \`benchmarks.json\`.

| scenario | what | figure | spread (IQR / median) | reference | ratio | how measured |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

## Budgets later issues must keep

- **Table cost**: the capacity units per request in the table-cost rows. Every authenticated request
  reads its session and its user (two reads) and adds one rate-limit write; a change adds one audit write.
  The smoke test (\`test/bench/bench.smoke.test.ts\`) fails when a request consumes more read or write
  units than recorded here; a higher figure is accepted only by re-running \`npm run bench -- table-cost\`.
- **Cold start**: no function's bundle carries the Kubernetes client (\`kubernetes_client_in_bundle\`): the
  clusters function alone ships it, bundled apart as \`node_modules/@kubernetes/client-node/index.mjs\` inside
  its asset (\`kubernetes_client_beside_bundle\`), which its first live call imports; and each function
  bundles its own endpoint group's code only (\`other_endpoint_groups_in_bundle\` is 0; the system function
  serves the OpenAPI document of every group from \`openapi.json\` beside its bundle). Checked on the
  deployed bundles (the source map says what is inside; V8 coverage of a fresh import says what ran) by the
  smoke test, \`test/infra/function-bundles.test.ts\` (which also runs the assets with nothing outside them)
  and \`test/shared/adapters/kubernetes/lazy-loading.test.ts\`. Each function's import is judged against
  the fair reference (Hono on Lambda with the same SDK clients); the goal is \`import_ratio_limit\` (1.2x).
- **Kubeconfig parsing**: an uploaded kubeconfig is refused over 64 KiB or 5,000 keys before it is parsed
  (\`max_bytes\`, \`max_keys\`: the smoke test fails if either is raised above what is recorded here), and the
  worst inputs under those limits cost time linear in their size: doubling one stays within
  \`linear_growth_bound\` (3x; linear is 2x, quadratic 4x), which the controls (the parser's own key check
  and the lazy PEM regex the hub used to run) exceed.

## Warm path

Profiled with \`npx tsx test/bench/profile-warm-path.ts\`: V8's sampling profiler (inspector, 100 µs)
over 1,000 warm \`GET /api/v1/auth/me\` invocations of the identity Lambda handler against DynamoDB
Local, after 50 to warm up. Of the busy (non-idle) samples, on 2026-12-01 with the machine shared:

| where | share of busy samples |
| --- | --- |
| the AWS SDK's command pipeline (@smithy/core serde, endpoint resolution, retry, SigV4 signing, user agent; @aws-sdk/core, lib-dynamodb) | 36% |
| Node's HTTP client and sockets under it (writev, ClientRequest, the agent, streams) | 15% |
| natives, microtasks, timers and GC (most of it on behalf of the SDK's three commands) | 37% |
| Hono and the Request/Response objects of the Lambda adapter (undici) | 7% |
| the hub's own code (guard, rate limiter, repositories, request context) | 4% |
| jose (JWT verification; the key is imported once and cached) | 2% |

The top self-time functions are all in the SDK (\`@smithy/core\` schema serde, \`endpoints\`, \`retry\`,
the SigV4 \`signer\`, \`escapeUserAgent\`) and Node's socket \`writev\`. An authenticated request sends three
commands (its session, its user with its permissions, the rate-limit window: the table-cost budget), and
almost all of its time outside I/O is those commands' client-side cost. Already done once per instance,
not per request: the SDK clients, the zod configuration, the route schemas and validators, the JWT
verification keys (cached by \`kid\`). Cut: the SHA-256 digest of every query, now computed only when a
continue token is read or written (most queries, such as a user's items, have neither). Left: an
\`AuthenticationError\` (a stack trace) built eagerly on every token verification, in the error classes
another change is reworking. The hub's own code being a few percent, the 1 ms goal would need fewer
commands per request or a lighter DynamoDB client than SDK v3, not trimming of the hub's code; the
\`time outside I/O per request\` row measures it.
`;
}

/** Writes docs/benchmarks.json and docs/benchmarks.md. */
export function writeReport(results: BenchResult[], meta: ReportMeta) {
  const report: Report = { ...meta, results };
  writeFileSync(jsonFile, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(mdFile, renderMarkdown(report));
}

/** Rewrites docs/benchmarks.md from docs/benchmarks.json, measuring nothing. */
export function rerenderReport() {
  writeFileSync(mdFile, renderMarkdown(readReport()));
}

/** The current docs/benchmarks.md, to check it is the rendering of docs/benchmarks.json. */
export const readMarkdown = () => readFileSync(mdFile, 'utf8');
