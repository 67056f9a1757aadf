import * as k8s from '@kubernetes/client-node';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventory } from '#shared/workers/jobs/inventory.ts';
import type { JobMessage } from '#shared/workers/messages.ts';
import { directClient, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { countingForwarder } from '#test/support/counting-forwarder.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';

/**
 * Search (issue 15 item 5) over real HTTP: live on a test bed cluster, and across both clusters
 * from their inventory snapshots in moto's S3. Each cluster is registered through a loopback TCP
 * forwarder that counts what the hub sends it, so the test sees whether a search contacted a cluster.
 */
let hub: TestHub;
let admin: Record<string, string>;
let viewer: Record<string, string>;
let outsider: Record<string, string>;
const [alpha, beta] = testClusters();
const run = randomBytes(3).toString('hex');
const namespace = `search-${run}`;
const app = `finder-${run}`;
const bucket = `clusterhub-search-${run}`;
const group = `search-${run}.example.test`;
const s3 = new S3Client({ forcePathStyle: true });
const clients = { alpha: directClient(alpha!.adminKubeconfig), beta: directClient(beta!.adminKubeconfig) };
const ids: Record<string, string> = {};
const forwarders: Record<string, { server: Server; bytes: () => number }> = {};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Hit = any;

const get = async (path: string, headers = viewer) => {
  const res = await hub.fetch(`/api/v1${path}`, { headers });
  return { status: res.status, body: await json(res) };
};

const snapshot = (clusterId: string) => {
  const message: JobMessage = {
    version: 1,
    job: 'inventory',
    run_id: randomUUID(),
    cluster_id: clusterId,
    trigger: 'operation',
    planned_at: new Date().toISOString(),
  };
  return inventory(message, hub.deps);
};

const deployment = (image: string): k8s.V1Deployment => ({
  metadata: { name: app, labels: { app, team: `squad-${run}` } },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app } },
    template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'api', image }] } },
  },
});

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  hub = await startTestHub({ HUB_INVENTORY_BUCKET: bucket });
  const adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  admin = bearer(adminToken);
  for (const [name, cluster] of [
    ['alpha', alpha!],
    ['beta', beta!],
  ] as const) {
    const forwarder = await countingForwarder(cluster.server);
    forwarders[name] = forwarder;
    const kubeconfig = cluster.adminKubeconfig.replaceAll(cluster.server, forwarder.url);
    const res = await hub.fetch('/api/v1/clusters', jsonPost({ name: `${name}-${run}`, kubeconfig }, admin));
    expect(res.status, JSON.stringify(await res.clone().json())).toBe(201);
    ids[name] = (await json(res)).id;
  }
  viewer = bearer((await login(hub, 'watcher', (await createUser(hub, adminToken, 'watcher', 'viewer')).password)).access_token);
  const out = await createUser(hub, adminToken, 'outsider', 'viewer');
  expect((await hub.fetch(`/api/v1/users/${out.id}/cluster-permissions`, jsonPost({ cluster_id: ids.beta, role: 'none' }, admin))).status).toBe(200);
  outsider = bearer((await login(hub, 'outsider', out.password)).access_token);

  for (const [name, client] of Object.entries(clients)) {
    await client.core.createNamespace({ body: { metadata: { name: namespace } } });
    await client.apps.createNamespacedDeployment({ namespace, body: deployment(`registry.example.test/${app}/api:${name}`) });
  }
  const secretValue = `needle-${run}`;
  await clients.alpha.core.createNamespacedSecret({ namespace, body: { metadata: { name: `token-${run}` }, stringData: { password: secretValue } } });
  await clients.alpha.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings' }, data: { note: secretValue } } });
  // A cluster-scoped CRD and one instance of it.
  const extensions = clients.alpha.kc.makeApiClient(k8s.ApiextensionsV1Api);
  await extensions.createCustomResourceDefinition({
    body: {
      metadata: { name: `gizmos.${group}` },
      spec: {
        group,
        scope: 'Cluster',
        names: { plural: 'gizmos', singular: 'gizmo', kind: 'Gizmo' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } }],
      },
    },
  });
  const objects = clients.alpha.kc.makeApiClient(k8s.CustomObjectsApi);
  for (let i = 0; ; i++) {
    try {
      await objects.createClusterCustomObject({
        group,
        version: 'v1',
        plural: 'gizmos',
        body: { apiVersion: `${group}/v1`, kind: 'Gizmo', metadata: { name: `${app}-gizmo` } },
      });
      break;
    } catch (err) {
      if (i > 60) throw err;
      await new Promise((r) => setTimeout(r, 500)); // until the CRD is established
    }
  }
});

afterAll(async () => {
  const extensions = clients.alpha.kc.makeApiClient(k8s.ApiextensionsV1Api);
  await extensions.deleteCustomResourceDefinition({ name: `gizmos.${group}` }).catch(() => undefined);
  for (const client of Object.values(clients)) await client.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  for (const f of Object.values(forwarders)) f.server.close();
  s3.destroy();
  await hub?.stop();
});

describe('GET /clusters/{id}/search (live)', () => {
  it('finds the deployment by name, label and image, best first, with what matched', async () => {
    const byName = await get(`/clusters/${ids.alpha}/search?q=${app}`);
    expect(byName.status).toBe(200);
    expect(byName.body.items[0]).toMatchObject({
      kind: 'Deployment',
      api_version: 'apps/v1',
      namespace,
      name: app,
      score: 100,
      match: { field: 'name', value: app },
    });
    // The Gizmo's name starts with it: a prefix ranks below the exact name.
    const gizmo = byName.body.items.find((h: Hit) => h.kind === 'Gizmo');
    expect(gizmo).toMatchObject({ namespace: null, name: `${app}-gizmo`, api_version: `${group}/v1`, match: { field: 'name' } });
    expect(gizmo.score).toBeLessThan(100);
    expect(byName.body.metadata.truncated).toBe(false);

    const byLabel = await get(`/clusters/${ids.alpha}/search?q=team=squad-${run}`);
    expect(byLabel.body.items.map((h: Hit) => [h.kind, h.name, h.match])).toEqual([['Deployment', app, { field: 'label', value: `team=squad-${run}` }]]);

    const byImage = await get(`/clusters/${ids.alpha}/search?q=${app}/api`);
    expect(byImage.body.items.map((h: Hit) => [h.kind, h.match])).toEqual([
      ['Deployment', { field: 'image', value: `registry.example.test/${app}/api:alpha` }],
    ]);
  });

  it("lists a Secret by its name, and never matches a Secret's or a ConfigMap's content", async () => {
    const byContent = await get(`/clusters/${ids.alpha}/search?q=needle-${run}`);
    expect(byContent.status).toBe(200);
    expect(byContent.body.items).toEqual([]);
    const byName = await get(`/clusters/${ids.alpha}/search?q=token-${run}`);
    expect(byName.body.items).toEqual([
      { kind: 'Secret', api_version: 'v1', namespace, name: `token-${run}`, score: 100, match: { field: 'name', value: `token-${run}` } },
    ]);
    expect(JSON.stringify(byName.body)).not.toContain(`needle-${run}`);
  });

  it('narrows to kinds and a namespace, skipping cluster-scoped kinds there, and refuses an unknown kind', async () => {
    const kinds = await get(`/clusters/${ids.alpha}/search?q=${app}&kinds=deploy,gizmos.${group}`);
    expect(kinds.body.items.map((h: Hit) => h.kind).sort()).toEqual(['Deployment', 'Gizmo']);
    expect(kinds.body.metadata.kinds_searched).toBe(2);
    const inNamespace = await get(`/clusters/${ids.alpha}/search?q=${app}&kinds=deployments,gizmos.${group}&namespace=${namespace}`);
    expect(inNamespace.body.items.map((h: Hit) => h.kind)).toEqual(['Deployment']);
    expect(inNamespace.body.metadata.skipped).toEqual([{ kind: `gizmos.${group}`, reason: 'cluster_scoped' }]);
    const unknown = await get(`/clusters/${ids.alpha}/search?q=${app}&kinds=nosuchkind`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('UNKNOWN_KIND');
    expect((await get(`/clusters/${ids.alpha}/search?q=`)).status).toBe(400);
    expect((await get(`/clusters/${ids.alpha}/search?q=${'x'.repeat(129)}`)).status).toBe(400);
  });

  it('is not answered on a cluster the caller may not see', async () => {
    expect((await get(`/clusters/${ids.beta}/search?q=${app}`, outsider)).status).toBe(404);
  });
});

describe('GET /search (the fleet, from the snapshots)', () => {
  it('finds the deployment on both clusters with their freshness, without contacting either', async () => {
    for (const id of [ids.alpha!, ids.beta!]) expect(await snapshot(id)).toMatchObject({ outcome: 'succeeded' });
    const before = { alpha: forwarders.alpha!.bytes(), beta: forwarders.beta!.bytes() };

    const found = await get(`/search?q=${app}&kinds=Deployment`);
    expect(found.status).toBe(200);
    expect(found.body.items.map((h: Hit) => [h.cluster_name, h.kind, h.name, h.match.field]).sort()).toEqual([
      [`alpha-${run}`, 'Deployment', app, 'name'],
      [`beta-${run}`, 'Deployment', app, 'name'],
    ]);
    const searched = found.body.clusters.filter((c: Hit) => c.cluster_id === ids.alpha || c.cluster_id === ids.beta);
    expect(searched).toHaveLength(2);
    for (const c of searched) {
      expect(c).toMatchObject({ status: 'searched', hits: 1 });
      expect(Date.parse(c.checked_at)).toBeGreaterThan(Date.now() - 10 * 60_000);
      expect(c.age_seconds).toEqual(expect.any(Number));
    }
    const byImage = await get(`/search?q=registry.example.test/${app}/api:beta&kinds=Deployment`);
    expect(byImage.body.items.map((h: Hit) => [h.cluster_name, h.kind, h.match])).toEqual([
      [`beta-${run}`, 'Deployment', { field: 'image', value: `registry.example.test/${app}/api:beta` }],
    ]);
    // Not a byte went to either cluster.
    expect({ alpha: forwarders.alpha!.bytes(), beta: forwarders.beta!.bytes() }).toEqual(before);

    // The counter does count: a live search goes to the cluster.
    await get(`/clusters/${ids.alpha}/search?q=${app}&kinds=deployments`);
    expect(forwarders.alpha!.bytes()).toBeGreaterThan(before.alpha);
  });

  it('searches only the clusters the caller may see', async () => {
    const found = await get(`/search?q=${app}&kinds=Deployment`, outsider);
    expect(found.body.items.map((h: Hit) => h.cluster_name)).toEqual([`alpha-${run}`]);
    expect(found.body.clusters.map((c: Hit) => c.cluster_id)).not.toContain(ids.beta);
  });
});
