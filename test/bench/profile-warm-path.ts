/**
 * Where a warm authenticated request spends its time outside I/O: a CPU profile (V8's sampling
 * profiler, through the inspector) of 1,000 warm `GET /api/v1/auth/me` invocations of the identity
 * Lambda handler, printed as the functions with the most self time. The finding is written up in
 * docs/benchmarks.md ("Warm path"). Run: `npx tsx test/bench/profile-warm-path.ts [count]`.
 */
import { Session } from 'node:inspector/promises';
import { lambdaContext, startBenchEnvironment } from './environment.ts';
import { round } from './stats.ts';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
}

const count = Number(process.argv[2] ?? 1000);
const env = await startBenchEnvironment(() => {});
const call = async () => {
  const res = await env.lambda.identity(env.event('GET', '/api/v1/auth/me', { token: env.lambda.token }), lambdaContext);
  if (res.statusCode !== 200) throw new Error(`GET /api/v1/auth/me answered ${res.statusCode}`);
};
for (let i = 0; i < 50; i++) await call();

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const before = performance.eventLoopUtilization();
const cpuBefore = process.threadCpuUsage();
const started = performance.now();
for (let i = 0; i < count; i++) await call();
const wall = performance.now() - started;
const cpu = process.threadCpuUsage(cpuBefore);
const busy = performance.eventLoopUtilization(before).utilization;
const { profile } = await session.post('Profiler.stop');

const nodes = profile.nodes as ProfileNode[];
const total = nodes.reduce((sum, n) => sum + n.hitCount, 0);
const where = (n: ProfileNode) => {
  const url = n.callFrame.url.replace(/^file:\/\/.*?\/(node_modules|shared|test|functions)\//, '$1/');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
};
const self = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const n of nodes) {
  self.set(where(n), (self.get(where(n)) ?? 0) + n.hitCount);
  const url = n.callFrame.url;
  const pkg =
    /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
    /\/(shared\/[^/]+\/[^/]+)/.exec(url)?.[1] ??
    (url ? url.replace(/^.*\//, '') : n.callFrame.functionName);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + n.hitCount);
}
// Each sample charged to the innermost frame of the hub's own code (shared/, functions/) on its stack: which of our calls it serves.
const parent = new Map<number, ProfileNode>();
for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n);
const ours = (n: ProfileNode) => /\/(shared|functions)\//.test(n.callFrame.url);
const byOwnFrame = new Map<string, number>();
for (const n of nodes) {
  let frame: ProfileNode | undefined = n;
  while (frame && !ours(frame)) frame = parent.get(frame.id);
  const key = frame ? where(frame) : n.callFrame.functionName === '(idle)' ? '(idle)' : "(outside the hub's code)";
  byOwnFrame.set(key, (byOwnFrame.get(key) ?? 0) + n.hitCount);
}
const share = (hits: number) => `${round((hits / total) * 100, 1)}%`;
console.log(
  `${count} warm GET /api/v1/auth/me: ${round(wall / count, 3)} ms each; this thread's CPU time ${round((cpu.user + cpu.system) / 1000 / count, 3)} ms each` +
    ` (event loop busy ${round((wall * busy) / count, 3)} ms, ${Math.round(busy * 100)}%, which also counts the time the thread waited for a core)`,
);
console.log('\nself time by function:');
for (const [name, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${share(hits).padStart(6)}  ${name}`);
console.log('\nself time by package or folder:');
for (const [name, hits] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${share(hits).padStart(6)}  ${name}`);
// Coarse shares of the busy (non-idle) samples.
const kinds: [string, RegExp][] = [
  ['AWS SDK (@smithy, @aws-sdk)', /node_modules\/@(smithy|aws-sdk|aws-crypto)\//],
  ["Node HTTP client and sockets (the SDK's transport)", /^node:(_http|http|net|stream|internal\/streams|internal\/stream_base)|^node:internal\/(http|net)/],
  ['Hono and the Request/Response objects (undici)', /node_modules\/hono\/|node:internal\/deps\/undici|undici/],
  ['jose (JWT verification)', /node_modules\/jose\//],
  ['zod', /node_modules\/zod\//],
  ["the hub's own code (shared/, functions/)", /\/(shared|functions)\//],
];
const byKind = new Map<string, number>();
let busyHits = 0;
for (const n of nodes) {
  if (n.callFrame.functionName === '(idle)') continue;
  busyHits += n.hitCount;
  const kind = kinds.find(([, re]) => re.test(n.callFrame.url))?.[0] ?? 'other (natives, GC, microtasks, timers)';
  byKind.set(kind, (byKind.get(kind) ?? 0) + n.hitCount);
}
console.log('\nbusy samples by kind:');
for (const [name, hits] of [...byKind].sort((a, b) => b[1] - a[1]))
  console.log(
    `  ${round((hits / busyHits) * 100, 1)
      .toString()
      .padStart(5)}%  ${name}`,
  );
console.log("\ntime by the innermost frame of the hub's own code:");
for (const [name, hits] of [...byOwnFrame].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${share(hits).padStart(6)}  ${name}`);
await env.stop();
process.exit(0);
