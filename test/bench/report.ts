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
(one of \`cold-start\`, \`latency\`, \`login\`, \`table-cost\`, \`kubeconfig\`, \`planner\`, \`resources\`, \`sweep\`, \`environments\`; the other rows
are kept; \`table-cost\` runs the resources scenario too, whose routes it costs), \`npm run bench -- --quick\`
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
  The resources scenario costs one request on every route of the resources group (objects it makes in a
  namespace of its own) and stops when the group declares a route it has no row for.
- **Cold start**: no function's bundle carries the Kubernetes client (\`kubernetes_client_in_bundle\`): the
  clusters function alone ships it, bundled apart as \`node_modules/@kubernetes/client-node/index.mjs\` inside
  its asset (\`kubernetes_client_beside_bundle\`), which its first live call imports; and each function
  bundles its own endpoint group's code only (\`other_endpoint_groups_in_bundle\` is 0; the system function
  serves the OpenAPI document of every group from \`openapi.json\` beside its bundle). Checked on the
  deployed bundles (the source maps of index.mjs and of its chunks say what is inside; V8 coverage of a fresh import says what ran) by the
  smoke test, \`test/infra/function-bundles.test.ts\` (which also runs the assets with nothing outside them)
  and \`test/shared/adapters/kubernetes/lazy-loading.test.ts\`. Each function's import is judged against
  the fair reference (Hono on Lambda with the same SDK clients); the goal is \`import_ratio_limit\` (1.2x).
- **Kubeconfig parsing**: an uploaded kubeconfig is refused over 64 KiB or 5,000 keys before it is parsed
  (\`max_bytes\`, \`max_keys\`: the smoke test fails if either is raised above what is recorded here), and the
  worst inputs under those limits cost time linear in their size: doubling one stays within
  \`linear_growth_bound\` (3x; linear is 2x, quadratic 4x), which the controls (the parser's own key check
  and the lazy PEM regex the hub used to run) exceed.
- **Resources and sweeps** (goals recorded, not asserted: they are timings and heap sizes): listing pods
  through the hub within \`hub_list_ratio_goal\` (1.3x) of the same pages straight from the cluster; a
  health sweep's or inventory's peak heap within \`peak_heap_share_goal\` (0.25x) of holding every pod at
  once, on a cluster with 10,000 more pods; \`unchanged_write_capacity_units\`, what a run that finds
  nothing changed writes to the table (the worker edge's idempotency record and the cluster's lease, the
  health record, the inventory's check time), the same whatever the number of pods. The 10,000 kwok
  pods take a while to create on the shared test bed (the row says how long); \`--quick\` uses 300.
- **Topology** (a goal recorded, not asserted): building the graph of a generated cluster state of 10,000
  objects within \`build_goal_ms\` (100 ms, 0.05x Kubilitics' own 2 s target); the SVG export of that graph
  as the export draws it (folded to max_nodes 1,000) and with every node.
- **Environments** (goal recorded, not asserted): comparing two app instances, one per test bed cluster, each
  with 200 Deployments and 200 ConfigMaps (\`GET /services/compare\` then \`/configmaps/compare\`) under
  \`compare_goal_ms\` (1,000 ms) through the hub, beside the same lists read straight from both clusters.

## Cold start

Each function's import is judged on its main thread's CPU time (start Node, import the bundle, exit),
the same fresh processes' wall time beside it: with eight engineers on two cores the wall time mostly
counts the waits for a core, while the CPU time of the same work moves far less. Beside it, for the
functions that answer API Gateway, the CPU time up to the answer to a first request that needs no I/O
(a path no group serves, 404) against the reference's own first answer: what the import no longer
does, the first request does.

- Done: every handler (\`functions/*/handler.ts\`) imports almost nothing at its top level: it checks
  the configuration (a refused \`HUB_AUTH_MODE\` still fails the cold start) and hands
  \`apiOnFirstRequest\` (\`shared/http/lambda-entry.ts\`; \`onFirstCall\` in \`shared/runtime/\` for the
  workers) a function that \`import()\`s the group, the wiring, Hono and the app's middleware. esbuild
  splits the asset (\`infra/build/function-bundle.ts\`): a 1 KiB \`index.mjs\` and the rest in
  \`chunk-*.mjs\` files beside it (in the asset's root, so a module that finds files beside the bundle
  through its own \`import.meta.url\`, Swagger UI's, still finds them), loaded by the first request; the build is shared by concurrent first
  requests and retried after a failure. \`test/infra/function-bundles.test.ts\` calls every asset once
  with nothing outside it. The import now takes about 0.6x the fair reference: the goal is met.
- What it moves rather than saves: up to the first answer an API function still takes 1.37x to 1.58x
  the reference's first answer, as its import did before (measured side by side at load average 3 to 9:
  identity 144.3 against 91.2 ms CPU; the import 0.6x to 0.63x). The cost of a real cold start, import and first request, is
  the same; it is paid in the invoke phase rather than the init phase. That is a loss where Lambda
  initializes an environment ahead of its first request (provisioned concurrency, proactive
  initialization), where the init phase's work is off the request's path.
- Where the rest of the first answer goes (esbuild metafile of the identity asset; it loads 849 KiB of
  its 1168 KiB on the first request, the reference 379 KiB): zod (188 KiB, every schema; the
  configuration's at import), the wiring's chunk (268 KiB, of which \`yaml\` 112 KiB, the Kubernetes
  adapters 28 KiB and the clusters domain 18 KiB, which the identity function never calls: the
  wiring imports every context's wirer statically), zod-to-openapi and Hono (64 KiB), jose (23 KiB),
  hash-wasm (29 KiB). Next lever: wire each context through an \`import()\` the group's first request
  awaits, so the identity and audit functions do not compile the clusters context.
- Cut earlier: zod's locales. \`@hono/zod-openapi\` passes the namespace \`z\` whole to zod-to-openapi, so
  every export of zod, \`z.locales\` with 48 languages' messages (258 KiB), is in every bundle and no
  tree shaking drops it. \`infra/build/function-bundle.ts\` bundles through esbuild's API (the CDK's
  NodejsFunction runs esbuild's command line, which takes no plugin, and an alias cannot reach zod's
  relative import) with a plugin that resolves zod's locales index to English alone, the locale zod
  uses by default: refusals read the same (\`test/infra/function-bundles.test.ts\`).
- Not in the rows: \`NODE_OPTIONS=--enable-source-maps\`, which every function is deployed with, adds
  14 to 35 ms of CPU to a cold start of the identity function (Node reads and decodes its source maps);
  the rows run without it, as the reference does. A trade between readable stack traces and cold start.

## Warm path

Profiled with \`npx tsx test/bench/profile-warm-path.ts\`: V8's sampling profiler (inspector, 100 µs)
over 1,000 warm \`GET /api/v1/auth/me\` invocations of the identity Lambda handler against DynamoDB
Local, after 50 to warm up; it prints this thread's CPU time per request beside the wall time. An
authenticated request sends three commands (its session, its user with its permissions, the rate-limit
window: the table-cost budget). The row \`time outside I/O per request\` measures this thread's CPU per
request less the time inside the SDK's commands (their pipeline, SigV4 signing and Node's HTTP client:
I/O no trimming of the hub removes), against the 1 ms goal.

Before this change (2026-12-02, load average 15 to 19), 0.9 to 1.9 ms outside the SDK; of the
profile's samples outside the SDK's commands (inclusive shares, so nested ones overlap):

| where | share |
| --- | --- |
| V8 itself, self time: (program), microtask runs, garbage collection | 38% |
| ES256 signature verification of the access token (jose, WebCrypto ECDSA) | 18% |
| Hono's dispatch through the middleware chain (secure headers, body limit, request context, guard) | 14% |
| the Lambda adapter: the API Gateway event made a Request, the Response made a result | 12% |
| the hub's own code, self time (guard, rate limiter, repositories, request context, logger, AppError) | 8% |

- Cut: the signature check of a token this instance has verified before
  (\`shared/domain/identity/verified-tokens.ts\`): remembered by the token's SHA-256 (no bearer token is
  kept), at most 1,000, until the token's \`exp\` and only while its \`kid\` still resolves to the very key
  that verified it, so a retired or revoked signing key ends it as before; refusals are never
  remembered. Revocation is unchanged: the session and the user are read on every request, so a
  logout, a reused refresh token or a changed role takes effect on the next request
  (\`test/api/identity/sessions.test.ts\`, and the keyring tests: once per instance, expiry, an altered
  signature or claims, a revoked key). Also cut: the refusal built (with its stack trace) on every
  verification, now only when refusing.
- Result: 0.485 ms outside the SDK per request (4.16 ms of CPU, 3.68 ms inside the SDK) at load
  average 12 to 20, the goal met; jose fell from 18% of the samples outside the SDK to 0.5% of all
  busy samples. Side by side, four alternating runs of 1,000 requests at load average 23 to 27, the
  CPU per request went from 4.86 and 5.54 ms (before) to 4.66 and 5.13 ms (after).
- Left, in order of size: V8's own time (about 40% of the busy samples, mostly the SDK's promises and
  allocations), Hono with undici's Request and Response (6%), the hub's own code (6%).
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
