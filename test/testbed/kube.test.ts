/**
 * Proves the test bed's Kubernetes clusters are real: workloads are scheduled and run (on
 * kwok's fake nodes), RBAC denies what it should, watches deliver events and CRDs work.
 * Runs against every cluster of .testbed/env.json.
 */
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { TestCluster } from './env.ts';
import { loadTestbedEnv } from './env.ts';
import { statusOf } from '#test/support/clusters.ts';

const { clusters } = loadTestbedEnv();

function kubeConfig(path: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

const suffix = () => `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until check returns a value other than undefined; fails with the last state after timeoutMs. */
async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(250);
  }
}

/** Creates a namespace unique to one test; the returned function deletes it. */
async function withNamespace(core: k8s.CoreV1Api, prefix: string): Promise<{ ns: string; cleanup: () => Promise<void> }> {
  const ns = `${prefix}-${suffix()}`;
  await core.createNamespace({ body: { metadata: { name: ns, labels: { 'clusterhub.dev/test': 'kube-test-env' } } } });
  return {
    ns,
    cleanup: async () => {
      await core.deleteNamespace({ name: ns }).catch(() => undefined);
    },
  };
}

describe.each(clusters.map((c) => [c.name, c] as [string, TestCluster]))('cluster %s', (_name, cluster) => {
  const admin = kubeConfig(cluster.kubeconfig);
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const apps = admin.makeApiClient(k8s.AppsV1Api);

  it('reports the Kubernetes version and has Ready nodes', async () => {
    const version = await admin.makeApiClient(k8s.VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.\d+\.\d+/);
    const nodes = await core.listNode();
    const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    // The test bed's own clusters have two kwok nodes each; an external cluster
    // (CLUSTERHUB_TEST_KUBECONFIG) has whatever it has, but at least one.
    if (process.env.CLUSTERHUB_TEST_KUBECONFIG) expect(ready.length).toBeGreaterThanOrEqual(1);
    else expect(ready.length).toBe(2);
  });

  it('runs a Deployment of two replicas as two Running pods', { timeout: 120_000 }, async () => {
    const { ns, cleanup } = await withNamespace(core, 'kt-deploy');
    try {
      const labels = { app: 'web' };
      await apps.createNamespacedDeployment({
        namespace: ns,
        body: {
          metadata: { name: 'web' },
          spec: {
            replicas: 2,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: { containers: [{ name: 'web', image: 'registry.k8s.io/pause:3.10' }] },
            },
          },
        },
      });
      const running = await eventually('two Running pods', 90_000, async () => {
        const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
        const r = pods.items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
        return r.length === 2 ? r : undefined;
      });
      for (const pod of running) {
        expect(pod.spec?.nodeName).toBeTruthy();
        expect(pod.status?.podIP).toBeTruthy();
      }
      const deployment = await eventually('the Deployment to report 2 ready replicas', 30_000, async () => {
        const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
        return d.status?.readyReplicas === 2 ? d : undefined;
      });
      expect(deployment.status?.availableReplicas).toBe(2);
    } finally {
      await cleanup();
    }
  });

  it.skipIf(!cluster.restrictedKubeconfig)('denies the restricted user what RBAC does not grant it', async () => {
    const restricted = kubeConfig(cluster.restrictedKubeconfig!);
    const rCore = restricted.makeApiClient(k8s.CoreV1Api);
    const rApps = restricted.makeApiClient(k8s.AppsV1Api);

    // Granted: ClusterRole view, bound in team-a only.
    const pods = await rCore.listNamespacedPod({ namespace: 'team-a' });
    expect(Array.isArray(pods.items)).toBe(true);
    expect(await statusOf(rApps.listNamespacedDeployment({ namespace: 'team-a' }))).toBeUndefined();

    // Everything else is denied.
    expect(await statusOf(rCore.listPodForAllNamespaces())).toBe(403);
    expect(await statusOf(rCore.listNamespacedPod({ namespace: 'default' }))).toBe(403);
    expect(await statusOf(rCore.listNamespacedSecret({ namespace: 'team-a' }))).toBe(403); // view excludes secrets
    expect(
      await statusOf(
        rApps.createNamespacedDeployment({
          namespace: 'default',
          body: {
            metadata: { name: `denied-${suffix()}` },
            spec: {
              selector: { matchLabels: { app: 'denied' } },
              template: {
                metadata: { labels: { app: 'denied' } },
                spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] },
              },
            },
          },
        }),
      ),
    ).toBe(403);
    expect(await statusOf(rCore.createNamespacedConfigMap({ namespace: 'team-a', body: { metadata: { name: `denied-${suffix()}` } } }))).toBe(403); // view is read-only

    // The admin is not restricted.
    expect(await statusOf(core.listPodForAllNamespaces({ limit: 1 }))).toBeUndefined();
  });

  it('delivers watch events', { timeout: 60_000 }, async () => {
    const { ns, cleanup } = await withNamespace(core, 'kt-watch');
    let controller: AbortController | undefined;
    try {
      // Watch from the list's resourceVersion, so no event between list and watch is missed.
      const list = await core.listNamespacedConfigMap({ namespace: ns });
      const name = `cm-${suffix()}`;
      const seen = new Promise<{ type: string; obj: k8s.V1ConfigMap }>((resolveSeen, rejectSeen) => {
        new k8s.Watch(admin)
          .watch(
            `/api/v1/namespaces/${ns}/configmaps`,
            { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: false },
            (type, obj: k8s.V1ConfigMap) => {
              if (obj.metadata?.name === name) resolveSeen({ type, obj });
            },
            (err: unknown) => {
              if (err) rejectSeen(err instanceof Error ? err : new Error(String(err)));
            },
          )
          .then((c) => {
            controller = c;
          }, rejectSeen);
      });
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data: { k: 'v' } } });
      let timer: NodeJS.Timeout | undefined;
      const event = await Promise.race([
        seen,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no watch event within 30 s')), 30_000);
        }),
      ]).finally(() => clearTimeout(timer));
      expect(event.type).toBe('ADDED');
      expect(event.obj.data).toEqual({ k: 'v' });
    } finally {
      controller?.abort();
      await cleanup();
    }
  });

  it('serves CustomResourceDefinitions and their objects', { timeout: 90_000 }, async () => {
    const ext = admin.makeApiClient(k8s.ApiextensionsV1Api);
    const custom = admin.makeApiClient(k8s.CustomObjectsApi);
    const group = `kt${suffix().replace(/-/g, '')}.clusterhub.test`;
    const plural = 'widgets';
    const crdName = `${plural}.${group}`;
    const { ns, cleanup } = await withNamespace(core, 'kt-crd');
    try {
      await ext.createCustomResourceDefinition({
        body: {
          metadata: { name: crdName },
          spec: {
            group,
            scope: 'Namespaced',
            names: { plural, singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
            versions: [
              {
                name: 'v1',
                served: true,
                storage: true,
                schema: {
                  openAPIV3Schema: {
                    type: 'object',
                    properties: {
                      spec: { type: 'object', properties: { size: { type: 'integer' }, color: { type: 'string' } } },
                    },
                  },
                },
              },
            ],
          },
        },
      });
      await eventually('the CRD to become Established', 30_000, async () => {
        const crd = await ext.readCustomResourceDefinition({ name: crdName });
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
      });

      for (const [i, color] of ['red', 'blue'].entries()) {
        // The new resource's REST endpoint can lag Established by a moment.
        await eventually(`creating widget ${i}`, 20_000, async () => {
          await custom.createNamespacedCustomObject({
            group,
            version: 'v1',
            namespace: ns,
            plural,
            body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: `w${i}` }, spec: { size: i + 1, color } },
          });
          return true;
        });
      }
      const list = (await custom.listNamespacedCustomObject({ group, version: 'v1', namespace: ns, plural })) as {
        items: { metadata: { name: string }; spec: { size: number; color: string } }[];
      };
      expect(list.items.map((w) => [w.metadata.name, w.spec.size, w.spec.color]).sort()).toEqual([
        ['w0', 1, 'red'],
        ['w1', 2, 'blue'],
      ]);
      // The schema prunes unknown fields, as a real API server does.
      const pruned = (await custom.createNamespacedCustomObject({
        group,
        version: 'v1',
        namespace: ns,
        plural,
        body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 3, bogus: true } },
      })) as { spec: Record<string, unknown> };
      expect(pruned.spec).toEqual({ size: 3 });
    } finally {
      await cleanup();
      await ext.deleteCustomResourceDefinition({ name: crdName }).catch(() => undefined);
    }
  });
});
