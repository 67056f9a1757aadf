import { randomBytes } from 'node:crypto';
import { testClusters } from '#test/support/clusters.ts';
import { startTestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, bearer, jsonPost, login } from '#test/support/identity.ts';
import { downTestbed, upTestbed, useTestbedEnv } from '#test/testbed/testbed.ts';
import { round, summarize } from '../stats.ts';
import { straightClient, type StraightClient } from '../straight-to-cluster.ts';
import type { BenchResult, Scenario } from '../result.ts';
import { direct } from './requests.ts';

/** The goal (issue 17): a compare of two instances with 200 workloads and 200 ConfigMaps answers within this. */
export const COMPARE_GOAL_MS = 1000;

/** `count` Deployments (no replicas: nothing to schedule) and ConfigMaps in a new namespace, `parallel` at a time. */
async function fillNamespace(cluster: StraightClient, ns: string, count: number, tag: string, parallel = 16): Promise<() => Promise<void>> {
  await cluster.send('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const remove = async () => void (await cluster.send('DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined));
  const jobs: (() => Promise<unknown>)[] = [];
  for (let i = 0; i < count; i++) {
    const name = `app-${String(i).padStart(4, '0')}`;
    jobs.push(() =>
      cluster.send('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
        metadata: { name },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'app', image: `registry.example.test/${name}:${i % 3 === 0 ? tag : '1.0'}` }] },
          },
        },
      }),
    );
    jobs.push(() =>
      cluster.send('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name }, data: { mode: i % 4 === 0 ? tag : 'same', size: String(i) } }),
    );
  }
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        for (let i = next++; i < jobs.length; i = next++) await jobs[i]!();
      }),
    );
  } catch (err) {
    await remove();
    throw err;
  }
  return remove;
}

/** What the hub has to read for the two compares: every page of the four workload kinds and of ConfigMaps, in both namespaces. */
async function listStraight(cluster: StraightClient, ns: string) {
  const paths = [
    `/apis/apps/v1/namespaces/${ns}/deployments`,
    `/apis/apps/v1/namespaces/${ns}/statefulsets`,
    `/apis/apps/v1/namespaces/${ns}/daemonsets`,
    `/apis/batch/v1/namespaces/${ns}/cronjobs`,
    `/api/v1/namespaces/${ns}/configmaps`,
  ];
  await Promise.all(
    paths.map(async (path) => {
      let token: string | undefined;
      do {
        const page = JSON.parse(await cluster.get(`${path}?limit=500${token ? `&continue=${encodeURIComponent(token)}` : ''}`)) as {
          metadata: { continue?: string };
        };
        token = page.metadata.continue || undefined;
      } while (token);
    }),
  );
}

/**
 * Issue 17's row: GET /services/compare and /configmaps/compare of two app instances, one on each
 * test bed cluster, each with 200 Deployments and 200 ConfigMaps, against the same lists read
 * straight from the two kube-apiservers in parallel, interleaved in one run.
 */
export const environmentsScenario: Scenario = async (ctx) => {
  const { env, started } = await upTestbed(ctx.log);
  useTestbedEnv(env);
  const [alpha, beta] = testClusters();
  const count = ctx.quick ? 20 : 200;
  const rounds = ctx.quick ? 3 : 20;
  const run = randomBytes(3).toString('hex');
  const [a, b] = [await straightClient(alpha!.adminKubeconfig), await straightClient(beta!.adminKubeconfig)];
  const hub = await startTestHub();
  const removals: (() => Promise<void>)[] = [];
  try {
    const headers = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
    const post = async (path: string, body: unknown) => ((await (await hub.fetch(path, jsonPost(body, headers))).json()) as { id: string }).id;
    const ids = [
      await post('/api/v1/clusters', { name: `bench-a-${run}`, kubeconfig: alpha!.adminKubeconfig }),
      await post('/api/v1/clusters', { name: `bench-b-${run}`, kubeconfig: beta!.adminKubeconfig }),
    ];
    const environment = await post('/api/v1/environments', { name: `bench-${run}` });
    const ns = [`bench-env-a-${run}`, `bench-env-b-${run}`];
    ctx.log(`environments: creating ${count} Deployments and ${count} ConfigMaps on each cluster`);
    removals.push(await fillNamespace(a, ns[0]!, count, '2.0'), await fillNamespace(b, ns[1]!, count, '2.1'));
    const source = await post('/api/v1/app-instances', { name: 'src', environment_id: environment, cluster_id: ids[0], namespace: ns[0] });
    const target = await post('/api/v1/app-instances', { name: 'dst', environment_id: environment, cluster_id: ids[1], namespace: ns[1] });

    const compare = async () => {
      for (const what of ['services', 'configmaps']) {
        const res = await direct(hub, `/api/v1/${what}/compare?source=${source}&target=${target}`, { headers });
        const body = (await res.json()) as { summary?: { compared: number } };
        if (res.status !== 200 || (body.summary?.compared ?? 0) < count) throw new Error(`bench: the ${what} compare answered ${res.status}`);
      }
    };
    const straight = () => Promise.all([listStraight(a, ns[0]!), listStraight(b, ns[1]!)]);
    await compare();
    await straight();
    const hubTimes: number[] = [];
    const clusterTimes: number[] = [];
    for (let i = 0; i < rounds; i++) {
      for (const [work, times] of [
        [compare, hubTimes],
        [straight, clusterTimes],
      ] as const) {
        const t = performance.now();
        await work();
        times.push(performance.now() - t);
      }
    }
    const hubSample = summarize(hubTimes);
    const clusterSample = summarize(clusterTimes);
    return [
      {
        scenario: 'environments',
        name: `compare two app instances of ${count} Deployments and ${count} ConfigMaps each, one per cluster (GET /services/compare then /configmaps/compare, local HTTP server)`,
        figure: `p50 ${hubSample.median} ms, p99 ${hubSample.p99} ms`,
        reference: `p50 ${clusterSample.median} ms (the same lists, every page, straight from both kube-apiservers in parallel, same credentials)`,
        ratio: round(hubSample.median / clusterSample.median),
        how: `${rounds} rounds each way, interleaved; goal under ${COMPARE_GOAL_MS} ms through the hub (${hubSample.median < COMPARE_GOAL_MS ? 'met' : 'not met'})`,
        samples: { hub: hubSample, cluster: clusterSample },
        budget: { compare_goal_ms: COMPARE_GOAL_MS },
        noisy: hubSample.noisy || clusterSample.noisy,
      },
    ] satisfies BenchResult[];
  } finally {
    for (const remove of removals) await remove();
    await hub.stop().catch(() => undefined);
    if (started) await downTestbed(ctx.log);
  }
};
