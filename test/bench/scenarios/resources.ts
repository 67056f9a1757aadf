import { randomBytes } from 'node:crypto';
import { resourcesGroup } from '#shared/api/resources/routes.ts';
import { certificateValidBetween } from '#test/support/certificates.ts';
import { testClusters } from '#test/support/clusters.ts';
import { startTestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, bearer, jsonPost, login } from '#test/support/identity.ts';
import { downTestbed, upTestbed, useTestbedEnv } from '#test/testbed/testbed.ts';
import { meterCapacity, tableCostRow } from '../capacity.ts';
import { round, summarize } from '../stats.ts';
import { namespaceOfPods, straightClient, type StraightClient } from '../straight-to-cluster.ts';
import type { BenchResult, Scenario } from '../result.ts';
import { direct, expectOk } from './requests.ts';

/** The goal (issue 12): listing through the hub takes at most this many times the cluster's own time. */
export const HUB_LIST_RATIO_GOAL = 1.3;

interface RouteCase {
  /** The route as the resources group declares it: method and OpenAPI path. */
  route: string;
  /** What the measured request is, when the route alone does not say. */
  note?: string;
  path: string;
  init?: RequestInit;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** Walks every page of a list, following continue tokens; the number of objects read. */
async function pageThrough(getPage: (continueToken?: string) => Promise<string>): Promise<number> {
  let count = 0;
  let next: string | undefined;
  do {
    const page = JSON.parse(await getPage(next)) as { items: unknown[]; metadata: { continue?: string } };
    count += page.items.length;
    next = page.metadata.continue || undefined;
  } while (next);
  return count;
}

/** The objects the routes of the resources group act on, created straight in the scenario's namespace. */
async function createFixtures(cluster: StraightClient, ns: string) {
  const meta = (name: string, labels: Record<string, string> = {}) => ({ name, namespace: ns, labels });
  const template = (app: string, image: string) => ({
    metadata: { labels: { app } },
    spec: { containers: [{ name: 'app', image }], terminationGracePeriodSeconds: 0 },
  });
  const post = (path: string, body: unknown) => cluster.send('POST', path, body);
  const core = `/api/v1/namespaces/${ns}`;
  const apps = `/apis/apps/v1/namespaces/${ns}`;
  const batch = `/apis/batch/v1/namespaces/${ns}`;
  const { certPem, keyPem } = certificateValidBetween('bench.example.test', new Date(Date.now() - 86_400_000), new Date(Date.now() + 30 * 86_400_000));
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await post(`${core}/configmaps`, { metadata: meta('settings'), data: { mode: 'bench' } });
  await post(`${core}/configmaps`, { metadata: meta('doomed'), data: {} });
  await post(`${core}/secrets`, { metadata: meta('tls'), type: 'kubernetes.io/tls', data: { 'tls.crt': b64(certPem), 'tls.key': b64(keyPem) } });
  await post(`${core}/persistentvolumeclaims`, {
    metadata: meta('data'),
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  });
  await post(`${core}/services`, { metadata: meta('web'), spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
  const selector = (app: string) => ({ matchLabels: { app } });
  await post(`${apps}/deployments`, {
    metadata: meta('web'),
    spec: { replicas: 1, selector: selector('web'), template: template('web', 'registry.example.test/web:1') },
  });
  await post(`${apps}/statefulsets`, {
    metadata: meta('db'),
    spec: { replicas: 0, serviceName: 'db', selector: selector('db'), template: template('db', 'registry.example.test/db:1') },
  });
  await post(`${apps}/daemonsets`, {
    metadata: meta('agent'),
    spec: { selector: selector('agent'), template: template('agent', 'registry.example.test/agent:1') },
  });
  await post(`${apps}/replicasets`, {
    metadata: meta('loose'),
    spec: { replicas: 0, selector: selector('loose'), template: template('loose', 'registry.example.test/loose:1') },
  });
  await post(`${batch}/cronjobs`, {
    metadata: meta('nightly'),
    spec: {
      schedule: '0 3 * * *',
      suspend: true,
      jobTemplate: {
        spec: { template: { ...template('nightly', 'registry.example.test/nightly:1'), spec: { ...template('nightly', 'x').spec, restartPolicy: 'Never' } } },
      },
    },
  });
  // A Job past its deadline: the Job controller marks it failed while kwok keeps its pod running.
  await post(`${batch}/jobs`, {
    metadata: meta('broken'),
    spec: {
      activeDeadlineSeconds: 1,
      backoffLimit: 0,
      template: { metadata: { labels: { app: 'broken' } }, spec: { ...template('broken', 'registry.example.test/broken:1').spec, restartPolicy: 'Never' } },
    },
  });
  // A second revision of the Deployment, for its history and a rollback to the first.
  await until('the first ReplicaSet of the Deployment', async () => {
    const list = JSON.parse(await cluster.get(`${apps}/replicasets?labelSelector=app%3Dweb`)) as { items: unknown[] };
    return list.items.length >= 1 ? true : undefined;
  });
  await cluster.send('PUT', `${apps}/deployments/web`, {
    ...(JSON.parse(await cluster.get(`${apps}/deployments/web`)) as object),
    spec: { replicas: 1, selector: selector('web'), template: template('web', 'registry.example.test/web:2') },
  });
  await until('the second ReplicaSet of the Deployment', async () => {
    const list = JSON.parse(await cluster.get(`${apps}/replicasets?labelSelector=app%3Dweb`)) as { items: unknown[] };
    return list.items.length >= 2 ? true : undefined;
  });
  await until('the Job to fail', async () => {
    const job = JSON.parse(await cluster.get(`${batch}/jobs/broken`)) as { status?: { conditions?: { type: string; status: string }[] } };
    return job.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True') ? true : undefined;
  });
}

/** One request on every route of the resources group, each answering 2xx. */
function routeCases(clusterId: string, ns: string, crdName: string, headers: Record<string, string>): RouteCase[] {
  const at = `/api/v1/clusters/${clusterId}`;
  const read: RequestInit = { headers };
  const post = (body: unknown = {}): RequestInit => jsonPost(body, headers);
  const object = (kind: string, name: string) => `${at}/resources/${kind}/${ns}/${name}`;
  const cases: RouteCase[] = [
    { route: 'get /clusters/{clusterId}/resources/{kind}', note: 'pods, limit=500', path: `${at}/resources/pods?namespace=${ns}&limit=500`, init: read },
    { route: 'get /clusters/{clusterId}/crd-instances/{crdName}', path: `${at}/crd-instances/${crdName}?namespace=${ns}`, init: read },
    { route: 'get /clusters/{clusterId}/resources/{kind}/{namespace}/{name}', note: 'a ConfigMap', path: object('configmaps', 'settings'), init: read },
    {
      route: 'get /clusters/{clusterId}/resources/{kind}/{namespace}/{name}',
      note: 'a Secret, reveal=true: an audited read',
      path: `${object('secrets', 'tls')}?reveal=true`,
      init: read,
    },
    {
      route: 'patch /clusters/{clusterId}/resources/{kind}/{namespace}/{name}',
      note: 'a merge patch of a ConfigMap',
      path: object('configmaps', 'settings'),
      init: { method: 'PATCH', headers: { ...headers, 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ data: { mode: 'patched' } }) },
    },
    {
      route: 'delete /clusters/{clusterId}/resources/{kind}/{namespace}/{name}',
      note: 'a ConfigMap, confirmed',
      path: object('configmaps', 'doomed'),
      init: { method: 'DELETE', headers: { ...headers, 'x-confirm-destructive': 'true' } },
    },
    {
      route: 'post /clusters/{clusterId}/apply',
      note: 'one ConfigMap, created',
      path: `${at}/apply`,
      init: {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/yaml' },
        body: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: ${ns}\ndata:\n  a: "1"\n`,
      },
    },
    {
      route: 'get /clusters/{clusterId}/resources/deployments/{namespace}/{name}/rollout-history',
      path: `${object('deployments', 'web')}/rollout-history`,
      init: read,
    },
    {
      route: 'post /clusters/{clusterId}/resources/deployments/{namespace}/{name}/rollback',
      note: 'to revision 1',
      path: `${object('deployments', 'web')}/rollback`,
      init: post({ revision: 1 }),
    },
    ...[
      ['deployments', 'web'],
      ['statefulsets', 'db'],
      ['daemonsets', 'agent'],
    ].map(([kind, name]) => ({
      route: `post /clusters/{clusterId}/resources/${kind}/{namespace}/{name}/restart`,
      path: `${object(kind!, name!)}/restart`,
      init: post(),
    })),
    ...[
      ['deployments', 'web'],
      ['statefulsets', 'db'],
      ['replicasets', 'loose'],
    ].map(([kind, name]) => ({
      route: `post /clusters/{clusterId}/resources/${kind}/{namespace}/{name}/scale`,
      path: `${object(kind!, name!)}/scale`,
      init: post({ replicas: 0 }),
    })),
    { route: 'post /clusters/{clusterId}/resources/cronjobs/{namespace}/{name}/trigger', path: `${object('cronjobs', 'nightly')}/trigger`, init: post() },
    { route: 'get /clusters/{clusterId}/resources/cronjobs/{namespace}/{name}/jobs', path: `${object('cronjobs', 'nightly')}/jobs`, init: read },
    {
      route: 'post /clusters/{clusterId}/resources/jobs/{namespace}/{name}/retry',
      note: 'a failed Job',
      path: `${object('jobs', 'broken')}/retry`,
      init: post(),
    },
    { route: 'get /clusters/{clusterId}/resources/services/{namespace}/{name}/endpoints', path: `${object('services', 'web')}/endpoints`, init: read },
    ...[
      ['configmaps', 'settings'],
      ['secrets', 'tls'],
      ['persistentvolumeclaims', 'data'],
      ['serviceaccounts', 'default'],
    ].map(([kind, name]) => ({
      route: `get /clusters/{clusterId}/resources/${kind}/{namespace}/{name}/consumers`,
      path: `${object(kind!, name!)}/consumers`,
      init: read,
    })),
    { route: 'get /clusters/{clusterId}/resources/secrets/{namespace}/{name}/tls-info', path: `${object('secrets', 'tls')}/tls-info`, init: read },
    { route: 'get /clusters/{clusterId}/events', note: "the namespace's, both events APIs", path: `${at}/events?namespace=${ns}`, init: read },
    {
      route: 'get /clusters/{clusterId}/resources/{kind}/{namespace}/{name}/events',
      note: "a Deployment's",
      path: `${object('deployments', 'web')}/events`,
      init: read,
    },
    ...['/resources/storageclasses/pv-counts', '/resources/namespaces/counts', '/resources/serviceaccounts/token-counts', '/features/metallb'].map((p) => ({
      route: `get /clusters/{clusterId}${p}`,
      path: `${at}${p}`,
      init: read,
    })),
  ];
  return cases;
}

/**
 * Issue 12's rows: listing 1,000 kwok pods through the hub, a page of 500 at a time, against the
 * same pages straight from the kube-apiserver with the same credential, interleaved in one run;
 * and the table cost of one request on every route of the resources group.
 */
export const resourcesScenario: Scenario = async (ctx) => {
  const { env, started } = await upTestbed(ctx.log);
  useTestbedEnv(env);
  const [alpha] = testClusters();
  const pods = ctx.quick ? 100 : 1000;
  const limit = ctx.quick ? 50 : 500;
  const rounds = ctx.quick ? 3 : 30;
  const run = randomBytes(3).toString('hex');
  const ns = `bench-resources-${run}`;
  const group = 'bench.clusterhub.test';
  const crdName = `widgets${run}.${group}`;
  const cluster = await straightClient(alpha!.adminKubeconfig);
  const hub = await startTestHub();
  const results: BenchResult[] = [];
  let removeNamespace: (() => Promise<void>) | undefined;
  try {
    const headers = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
    const registered = await hub.fetch('/api/v1/clusters', jsonPost({ name: `bench-${run}`, kubeconfig: alpha!.adminKubeconfig }, headers));
    const clusterId = ((await registered.json()) as { id: string }).id;

    ctx.log(`resources: creating ${pods} pods in ${ns}`);
    const creating = performance.now();
    removeNamespace = await namespaceOfPods(cluster, ns, pods);
    ctx.log(`resources: ${pods} pods created in ${Math.round(performance.now() - creating)} ms`);

    const viaHub = (token?: string) =>
      direct(hub, `/api/v1/clusters/${clusterId}/resources/pods?namespace=${ns}&limit=${limit}${token ? `&continue=${token}` : ''}`, { headers }).then(
        async (r) => {
          if (r.status !== 200) throw new Error(`bench: the hub answered ${r.status} to a page of pods`);
          return r.text();
        },
      );
    const straight = (token?: string) => cluster.get(`/api/v1/namespaces/${ns}/pods?limit=${limit}${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
    for (const list of [viaHub, straight]) {
      const read = await pageThrough(list);
      if (read < pods) throw new Error(`bench: a listing read ${read} of ${pods} pods`);
    }
    // Interleaved, so a burst of load on the shared machine falls on both series alike.
    const hubTimes: number[] = [];
    const clusterTimes: number[] = [];
    for (let i = 0; i < rounds; i++) {
      for (const [list, times] of [
        [viaHub, hubTimes],
        [straight, clusterTimes],
      ] as const) {
        const t = performance.now();
        await pageThrough(list);
        times.push(performance.now() - t);
      }
    }
    const hubSample = summarize(hubTimes);
    const clusterSample = summarize(clusterTimes);
    const ratio = round(hubSample.median / clusterSample.median);
    results.push({
      scenario: 'resources',
      name: `list ${pods} pods through the hub (GET /api/v1/clusters/{id}/resources/pods, limit=${limit}, every page, local HTTP server)`,
      figure: `p50 ${hubSample.median} ms, p99 ${hubSample.p99} ms`,
      reference: `p50 ${clusterSample.median} ms (the same pages straight from the kube-apiserver, same credential)`,
      ratio,
      how: `${rounds} listings of every page each way, interleaved; each page's body read and parsed as JSON; goal ≤ ${HUB_LIST_RATIO_GOAL}x the cluster's own time (${ratio <= HUB_LIST_RATIO_GOAL ? 'met' : 'not met'})`,
      samples: { hub: hubSample, cluster: clusterSample },
      budget: { hub_list_ratio_goal: HUB_LIST_RATIO_GOAL },
      noisy: hubSample.noisy || clusterSample.noisy,
    });

    ctx.log('resources: the table cost of every route');
    await cluster.send('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      metadata: { name: crdName },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: `widgets${run}`, singular: `widget${run}`, kind: `Widget${run}` },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    });
    await createFixtures(cluster, ns);
    await until('the CRD to be served', async () =>
      (await cluster.get(`/apis/${group}/v1/namespaces/${ns}/widgets${run}`).catch(() => undefined)) ? true : undefined,
    );
    await cluster.send('POST', `/apis/${group}/v1/namespaces/${ns}/widgets${run}`, {
      apiVersion: `${group}/v1`,
      kind: `Widget${run}`,
      metadata: { name: 'one' },
    });

    const meter = meterCapacity(hub.deps.table);
    const cases = routeCases(clusterId, ns, crdName, headers);
    const declared = (resourcesGroup(hub.deps).api.openAPIRegistry.definitions as { type: string; route?: { method: string; path: string } }[])
      .filter((d) => d.type === 'route')
      .map((d) => `${d.route!.method} ${d.route!.path}`);
    const unmeasured = declared.filter((route) => !cases.some((c) => c.route === route));
    if (unmeasured.length) throw new Error(`bench: no table-cost row for ${unmeasured.join(', ')} (add one in test/bench/scenarios/resources.ts)`);
    for (const c of cases) {
      const capacity = await meter(() => expectOk(direct(hub, c.path, c.init).then(async (r) => (await r.arrayBuffer(), r))));
      const [method, path] = c.route.split(' ');
      results.push(
        tableCostRow(
          `${method!.toUpperCase()} /api/v1${path} (bearer${c.note ? `, ${c.note}` : ''})`,
          capacity,
          'ConsumedCapacity (TOTAL) DynamoDB Local reports for every command of one request, on objects the scenario made',
        ),
      );
    }
    return results;
  } finally {
    await removeNamespace?.();
    await cluster.send('DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crdName}`).catch(() => undefined);
    await hub.stop().catch(() => undefined);
    if (started) await downTestbed(ctx.log);
  }
};
