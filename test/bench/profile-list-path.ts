/**
 * Where listing a kind through the hub spends its time: 1,000 kwok pods listed a page of 500 at a
 * time through GET /resources/pods of an in-process hub, against the same pages straight from the
 * kube-apiserver (interleaved, as the bench's resources row measures them), then a CPU profile of
 * the hub listings printed as the innermost frames of the hub's own code. Needs the running test
 * bed (CLUSTERHUB_TESTBED_DIR). Run: `npx tsx test/bench/profile-list-path.ts [rounds]`.
 */
import { randomBytes } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { testClusters } from '#test/support/clusters.ts';
import { startTestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, bearer, jsonPost, login } from '#test/support/identity.ts';
import { round, summarize } from './stats.ts';
import { namespaceOfPods, straightClient } from './straight-to-cluster.ts';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
}

const rounds = Number(process.argv[2] ?? 20);
const [alpha] = testClusters();
const cluster = await straightClient(alpha!.adminKubeconfig);
const hub = await startTestHub();
const ns = `profile-list-${randomBytes(3).toString('hex')}`;
const remove = await namespaceOfPods(cluster, ns, 1000);
try {
  const headers = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
  const registered = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'profiled', kubeconfig: alpha!.adminKubeconfig }, headers));
  const clusterId = ((await registered.json()) as { id: string }).id;
  const pageThrough = async (get: (token?: string) => Promise<string>) => {
    let next: string | undefined;
    do {
      const page = JSON.parse(await get(next)) as { metadata: { continue?: string } };
      next = page.metadata.continue || undefined;
    } while (next);
  };
  const viaHub = (token?: string) =>
    fetch(`${hub.url}/api/v1/clusters/${clusterId}/resources/pods?namespace=${ns}&limit=500${token ? `&continue=${token}` : ''}`, { headers }).then((r) =>
      r.text(),
    );
  const straight = (token?: string) => cluster.get(`/api/v1/namespaces/${ns}/pods?limit=500${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
  for (let i = 0; i < 3; i++) await Promise.all([pageThrough(viaHub), pageThrough(straight)]);
  const times: Record<'hub' | 'cluster', number[]> = { hub: [], cluster: [] };
  for (let i = 0; i < rounds; i++) {
    for (const [name, list] of [
      ['hub', viaHub],
      ['cluster', straight],
    ] as const) {
      const t = performance.now();
      await pageThrough(list);
      times[name].push(performance.now() - t);
    }
  }
  const [h, c] = [summarize(times.hub), summarize(times.cluster)];
  console.log(`hub p50 ${h.median} ms, cluster p50 ${c.median} ms, ratio ${round(h.median / c.median)}`);

  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  for (let i = 0; i < rounds; i++) await pageThrough(viaHub);
  const { profile } = await session.post('Profiler.stop');
  const nodes = profile.nodes as ProfileNode[];
  const total = nodes.reduce((sum, n) => sum + n.hitCount, 0);
  const where = (n: ProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^file:\/\/.*?\/(node_modules|shared|test|functions)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
  const parent = new Map<number, ProfileNode>();
  for (const n of nodes) for (const child of n.children ?? []) parent.set(child, n);
  const ours = (n: ProfileNode) => /\/(shared|functions)\//.test(n.callFrame.url);
  const self = new Map<string, number>();
  const byOwnFrame = new Map<string, number>();
  for (const n of nodes) {
    self.set(where(n), (self.get(where(n)) ?? 0) + n.hitCount);
    let frame: ProfileNode | undefined = n;
    while (frame && !ours(frame)) frame = parent.get(frame.id);
    const key = frame ? where(frame) : n.callFrame.functionName === '(idle)' ? '(idle)' : "(outside the hub's code)";
    byOwnFrame.set(key, (byOwnFrame.get(key) ?? 0) + n.hitCount);
  }
  const share = (hits: number) => `${round((hits / total) * 100, 1)}%`.padStart(6);
  console.log('\nself time by function:');
  for (const [name, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${share(hits)}  ${name}`);
  console.log("\ntime by the innermost frame of the hub's own code:");
  for (const [name, hits] of [...byOwnFrame].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${share(hits)}  ${name}`);
} finally {
  await remove();
  await hub.stop();
}
process.exit(0);
