/**
 * Where a graph comes from (issue 16 item 5) over real HTTP against a test bed cluster reached
 * through a loopback forwarder that counts what the hub sends it: source=inventory answers from
 * the snapshot the inventory job took, without a byte to the cluster, and 404 before there is one.
 */
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

let hub: TestHub;
let admin: Record<string, string>;
let viewer: Record<string, string>;
let outsider: Record<string, string>;
let clusterId: string;
let asCallerId: string;
let watcher2: Record<string, string>;
let forwarder: { server: Server; bytes: () => number; url: string };
const [alpha] = testClusters();
const direct = directClient(alpha!.adminKubeconfig);
const run = randomBytes(3).toString('hex');
const ns = `topology-src-${run}`;
const bucket = `clusterhub-topology-${run}`;
const s3 = new S3Client({ forcePathStyle: true });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const get = async (path: string, headers = viewer): Promise<{ status: number; body: any }> => {
  const res = await hub.fetch(`/api/v1/clusters/${clusterId}${path}`, { headers });
  return { status: res.status, body: await json(res) };
};

const snapshot = () => {
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

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  hub = await startTestHub({ HUB_INVENTORY_BUCKET: bucket });
  const adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  admin = bearer(adminToken);
  forwarder = await countingForwarder(alpha!.server);
  const kubeconfig = alpha!.adminKubeconfig.replaceAll(alpha!.server, forwarder.url);
  const res = await hub.fetch('/api/v1/clusters', jsonPost({ name: `alpha-${run}`, kubeconfig }, admin));
  expect(res.status).toBe(201);
  clusterId = (await json(res)).id;
  viewer = bearer((await login(hub, 'watcher', (await createUser(hub, adminToken, 'watcher', 'viewer')).password)).access_token);
  const out = await createUser(hub, adminToken, 'outsider', 'viewer');
  expect((await hub.fetch(`/api/v1/users/${out.id}/cluster-permissions`, jsonPost({ cluster_id: clusterId, role: 'none' }, admin))).status).toBe(200);
  outsider = bearer((await login(hub, 'outsider', out.password)).access_token);

  // The same cluster again, acting as each caller: its RBAC then decides what each one's graph shows.
  asCallerId = (await json(await hub.fetch('/api/v1/clusters', jsonPost({ name: `alpha-as-caller-${run}`, kubeconfig }, admin)))).id;
  const patched = await hub.fetch(`/api/v1/clusters/${asCallerId}`, {
    method: 'PATCH',
    headers: { ...admin, 'Content-Type': 'application/json' },
    body: JSON.stringify({ impersonate: true }),
  });
  expect(patched.status).toBe(200);
  watcher2 = bearer((await login(hub, 'watcher2', (await createUser(hub, adminToken, 'watcher2', 'viewer')).password)).access_token);

  await direct.core.createNamespace({ body: { metadata: { name: ns } } });
  // Only the user watcher may read the namespace on the cluster; watcher2 (the same hub role) may not.
  await direct.rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: 'watcher-views' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'clusterhub:watcher' }],
    },
  });
  const deployment: k8s.V1Deployment = {
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.example.test/web:1' }] } },
    },
  };
  await direct.apps.createNamespacedDeployment({ namespace: ns, body: deployment });
  await direct.core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } });
  // The controller makes the Deployment's ReplicaSet, whose owner the snapshot keeps.
  for (let i = 0; ; i++) {
    if ((await direct.apps.listNamespacedReplicaSet({ namespace: ns })).items.length > 0) break;
    if (i > 120) throw new Error('timed out waiting for the ReplicaSet');
    await new Promise((r) => setTimeout(r, 500));
  }
}, 120_000);

afterAll(async () => {
  await direct.core.deleteNamespace({ name: ns }).catch(() => undefined);
  forwarder?.server.close();
  s3.destroy();
  await hub?.stop();
});

describe('GET /topology?source=inventory', () => {
  it('answers 404 NO_INVENTORY_SNAPSHOT before the inventory has a snapshot of the cluster', async () => {
    const { status, body } = await get(`/topology?source=inventory&namespace=${ns}`);
    expect(status).toBe(404);
    expect(body.code).toBe('NO_INVENTORY_SNAPSHOT');
  });

  it('draws contains and owns from the snapshot, says what it cannot draw, and sends nothing to the cluster', async () => {
    const taken = await snapshot();
    expect(taken.outcome).toBe('succeeded');
    const before = forwarder.bytes();
    const { status, body } = await get(`/topology?source=inventory&namespace=${ns}`);
    expect(status).toBe(200);
    expect(forwarder.bytes()).toBe(before);

    const rs = body.nodes.find((n: { kind: string }) => n.kind === 'ReplicaSet');
    expect(rs).toBeDefined();
    const edges = body.edges.map((e: { relationship: string; source: string; target: string }) => `${e.relationship} ${e.source} -> ${e.target}`).sort();
    expect(edges).toEqual(
      [
        // What the cluster puts in every namespace, as the snapshot saw it.
        `contains Namespace/${ns} -> ConfigMap/${ns}/kube-root-ca.crt`,
        `contains Namespace/${ns} -> ServiceAccount/${ns}/default`,
        `contains Namespace/${ns} -> Deployment/${ns}/web`,
        `contains Namespace/${ns} -> ReplicaSet/${ns}/${rs.name}`,
        `contains Namespace/${ns} -> Service/${ns}/web`,
        `owns Deployment/${ns}/web -> ReplicaSet/${ns}/${rs.name}`,
      ].sort(),
    );
    expect(body.metadata).toMatchObject({ source: 'inventory', is_complete: false, snapshot_taken_at: taken.data!.taken_at, cluster_id: clusterId });
    expect(body.metadata.snapshot_age_seconds).toBeGreaterThanOrEqual(0);
    const warning = body.metadata.warnings.find((w: { code: string }) => w.code === 'INVENTORY_RELATIONS_LIMITED');
    expect(warning.message).toMatch(/selects.*routes.*mounts/);

    // The counter does count: the live graph goes to the cluster.
    const live = await get(`/topology?namespace=${ns}`);
    expect(live.status).toBe(200);
    expect(live.body.metadata.source).toBe('live');
    expect(forwarder.bytes()).toBeGreaterThan(before);
  });

  it('answers 404 to a caller who may not see the cluster, snapshot or not', async () => {
    const { status } = await get(`/topology?source=inventory&namespace=${ns}`, outsider);
    expect(status).toBe(404);
  });
});

describe('the cache of built graphs', () => {
  const scope = `namespace=${ns}&kinds=ConfigMap,Deployment`;
  const ids = (body: { nodes: Array<{ id: string }> }) => body.nodes.map((n) => n.id).sort();

  it('serves a second request within the TTL from the cache, without the cluster, until force_refresh', async () => {
    const first = await get(`/topology?${scope}`);
    expect(first.status).toBe(200);
    expect(first.body.metadata).toMatchObject({ cached: false, source: 'live' });
    await direct.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'added-later' }, data: { a: 'b' } } });

    const before = forwarder.bytes();
    const second = await get(`/topology?${scope}`);
    expect(second.status).toBe(200);
    expect(forwarder.bytes()).toBe(before);
    expect(second.body.metadata).toMatchObject({ cached: true, built_at: first.body.metadata.built_at });
    expect(ids(second.body)).toEqual(ids(first.body));
    expect(ids(second.body)).not.toContain(`ConfigMap/${ns}/added-later`);
    // Another caller of a cluster that does not impersonate gets the same (the hub's own) view from the cache.
    expect((await get(`/topology?${scope}`, admin)).body.metadata.cached).toBe(true);

    const fresh = await get(`/topology?${scope}&force_refresh=true`);
    expect(fresh.body.metadata.cached).toBe(false);
    expect(forwarder.bytes()).toBeGreaterThan(before);
    expect(ids(fresh.body)).toContain(`ConfigMap/${ns}/added-later`);
    // And that read is what the cache now holds.
    const after = await get(`/topology?${scope}`);
    expect(after.body.metadata).toMatchObject({ cached: true, built_at: fresh.body.metadata.built_at });
    expect(ids(after.body)).toContain(`ConfigMap/${ns}/added-later`);
  });

  it("never gives one caller another caller's cached view when the cluster impersonates", async () => {
    const path = `/api/v1/clusters/${asCallerId}/topology?${scope}`;
    const mine = await json(await hub.fetch(path, { headers: viewer }));
    expect(mine.metadata.cached).toBe(false);
    expect(mine.nodes.map((n: { id: string }) => n.id)).toContain(`Deployment/${ns}/web`);
    expect((await json(await hub.fetch(path, { headers: viewer }))).metadata.cached).toBe(true);

    const theirs = await json(await hub.fetch(path, { headers: watcher2 }));
    expect(theirs.metadata.cached).toBe(false);
    expect(theirs.nodes.map((n: { id: string }) => n.id)).not.toContain(`Deployment/${ns}/web`);
    expect(theirs.metadata.is_complete).toBe(false);
    expect(theirs.metadata.warnings.map((w: { code: string }) => w.code)).toContain('KIND_FORBIDDEN');
  });
});
