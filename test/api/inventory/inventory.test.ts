import { randomBytes, randomUUID } from 'node:crypto';
import { CreateBucketCommand, DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotBlobKey } from '#shared/domain/inventory/snapshot.ts';
import { inventory } from '#shared/workers/jobs/inventory.ts';
import type { JobMessage, JobResult } from '#shared/workers/messages.ts';
import { directClient, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';

/** The inventory over HTTP, with its snapshots in moto's S3 and its objects read from the test bed's two clusters. */

let hub: TestHub;
let admin: Record<string, string>;
const [alpha, beta] = testClusters();
const run = randomBytes(3).toString('hex');
const namespace = `inventory-${run}`;
const image = (tag: string) => `registry.example.test/inventory-${run}/web:${tag}`;
const bucket = `clusterhub-inventory-${run}`;
const s3 = new S3Client({ forcePathStyle: true });
const clients = { alpha: directClient(alpha!.adminKubeconfig), beta: directClient(beta!.adminKubeconfig) };
const ids: Record<string, string> = {};

const get = async (path: string, headers = admin) => {
  const res = await hub.fetch(`/api/v1${path}`, { headers });
  return { status: res.status, body: await json(res) };
};

/** Runs the inventory job's handler on a cluster, as its worker does for each message of its queue. */
const snapshot = (clusterId: string): Promise<JobResult> => {
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

/** A Deployment of no replicas: its status never moves, so the only changes are the test's own. */
const deployment = (tag: string) => ({
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: image(tag) }] } },
  },
});

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  hub = await startTestHub({ HUB_INVENTORY_BUCKET: bucket });
  admin = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
  for (const [name, cluster] of [
    ['alpha', alpha!],
    ['beta', beta!],
  ] as const) {
    const res = await hub.fetch('/api/v1/clusters', jsonPost({ name: `${name}-${run}`, kubeconfig: cluster.adminKubeconfig }, admin));
    expect(res.status).toBe(201);
    ids[name] = (await json(res)).id;
  }
  for (const client of Object.values(clients)) await client.core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  for (const client of Object.values(clients)) await client.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  s3.destroy();
  await hub?.stop();
});

describe('the inventory', () => {
  const taken: string[] = [];

  it('answers 404 before the first snapshot, then the objects of the common kinds with their freshness', async () => {
    expect((await get(`/clusters/${ids.alpha}/inventory`)).status).toBe(404);

    const first = await snapshot(ids.alpha!);
    expect(first).toMatchObject({ outcome: 'succeeded', data: { written: true } });
    taken.push(first.data!.taken_at as string);

    const { status, body } = await get(`/clusters/${ids.alpha}/inventory?kind=Namespace&limit=500`);
    expect(status).toBe(200);
    expect(body.items.map((o: { name: string }) => o.name)).toContain(namespace);
    expect(body.snapshot.taken_at).toBe(taken[0]);
    expect(body.snapshot.counts.Namespace).toBeGreaterThan(0);
    expect(body.snapshot.counts.Node).toBeGreaterThan(0);
    expect(body.freshness.checked_at).toBe(taken[0]);
    // The snapshot went to the bucket, gzipped, under the cluster's prefix.
    const objects = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `inventory/${ids.alpha}/` }));
    expect(objects.KeyCount).toBe(1);
    expect(objects.Contents![0]!.Key).toMatch(/\.json\.gz$/);
  });

  it('finds a Deployment created, changed (new image) and deleted between snapshots, and /changes lists exactly those', async () => {
    await clients.alpha.apps.createNamespacedDeployment({ namespace, body: deployment('1') });
    taken.push((await snapshot(ids.alpha!)).data!.taken_at as string);
    await clients.alpha.apps.patchNamespacedDeployment({
      namespace,
      name: 'web',
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image('2') }],
    });
    taken.push((await snapshot(ids.alpha!)).data!.taken_at as string);
    await clients.alpha.apps.deleteNamespacedDeployment({ namespace, name: 'web' });
    taken.push((await snapshot(ids.alpha!)).data!.taken_at as string);

    const { status, body } = await get(`/clusters/${ids.alpha}/changes?kind=Deployment&namespace=${namespace}`);
    expect(status).toBe(200);
    expect(body.items.map((c: Record<string, unknown>) => [c.change, c.name, c.old_images, c.new_images, c.at])).toEqual([
      ['removed', 'web', [image('2')], null, taken[3]],
      ['modified', 'web', [image('1')], [image('2')], taken[2]],
      ['added', 'web', null, [image('1')], taken[1]],
    ]);
    expect(body.items[1].changed).toEqual(['images']);
    expect(body.freshness.checked_at).toBe(taken[3]);

    // Paged newest first, and bounded by time.
    const page = await get(`/clusters/${ids.alpha}/changes?kind=Deployment&namespace=${namespace}&limit=1`);
    expect(page.body.items.map((c: { change: string }) => c.change)).toEqual(['removed']);
    const next = await get(`/clusters/${ids.alpha}/changes?kind=Deployment&namespace=${namespace}&limit=1&continue=${page.body.metadata.continue}`);
    expect(next.body.items.map((c: { change: string }) => c.change)).toEqual(['modified']);
    const before = await get(`/clusters/${ids.alpha}/changes?kind=Deployment&namespace=${namespace}&until=${encodeURIComponent(taken[2]!)}`);
    expect(before.body.items.map((c: { change: string }) => c.change)).toEqual(['modified', 'added']);
    expect((await get(`/clusters/${ids.alpha}/changes?kind=Deployment&continue=${page.body.metadata.continue}`)).status).toBe(400);
  });

  it('answers the snapshot nearest before `at`, with its time', async () => {
    const atChange = await get(`/clusters/${ids.alpha}/inventory?kind=Deployment&namespace=${namespace}&at=${encodeURIComponent(taken[2]!)}`);
    expect(atChange.body.snapshot.taken_at).toBe(taken[2]);
    expect(atChange.body.items).toMatchObject([
      { kind: 'Deployment', api_version: 'apps/v1', namespace, name: 'web', images: [image('2')], status: '0/0 available' },
    ]);
    const justAfter = new Date(Date.parse(taken[1]!) + 1).toISOString();
    expect((await get(`/clusters/${ids.alpha}/inventory?kind=Deployment&namespace=${namespace}&at=${justAfter}`)).body).toMatchObject({
      snapshot: { taken_at: taken[1] },
      items: [{ name: 'web', images: [image('1')] }],
    });
    expect((await get(`/clusters/${ids.alpha}/inventory?kind=Deployment&namespace=${namespace}`)).body.items).toEqual([]);
    expect((await get(`/clusters/${ids.alpha}/inventory?at=2020-01-01T00:00:00Z`)).status).toBe(404);
  });

  it('answers 404 SNAPSHOT_EXPIRED for a snapshot whose blob the bucket no longer has, and the later ones still', async () => {
    // What S3's lifecycle rule does to a blob after 31 days, while its pointer in the table lives on.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: snapshotBlobKey(ids.alpha!, taken[1]!) }));
    const justAfter = new Date(Date.parse(taken[1]!) + 1).toISOString();
    const gone = await get(`/clusters/${ids.alpha}/inventory?at=${justAfter}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ status: 404, code: 'SNAPSHOT_EXPIRED' });
    expect(gone.body.detail).toContain(taken[1]);
    expect(JSON.stringify(gone.body)).not.toContain('.json.gz');
    expect((await get(`/clusters/${ids.alpha}/inventory?at=${encodeURIComponent(taken[2]!)}&limit=1`)).status).toBe(200);
  });

  it('finds an image on both clusters in /fleet/images, from the snapshots, and only on clusters the caller may see', async () => {
    for (const [name, client] of Object.entries(clients)) {
      await client.apps.createNamespacedDeployment({ namespace, body: { ...deployment('3'), metadata: { name: 'api', labels: { app: 'web' } } } });
      await snapshot(ids[name]!);
    }
    const { status, body } = await get(`/fleet/images?image=${encodeURIComponent(image(''))}`);
    expect(status).toBe(200);
    expect(body.items.map((u: Record<string, unknown>) => [u.image, u.cluster_id, u.workloads])).toEqual(
      [ids.alpha, ids.beta].sort().map((id) => [image('3'), id, [{ kind: 'Deployment', namespace, name: 'api' }]]),
    );
    expect(body.items[0].freshness.checked_at).toBeTruthy();

    const user = await createUser(hub, admin.Authorization!.slice(7), `viewer-${run}`, 'viewer');
    await hub.fetch(`/api/v1/users/${user.id}/cluster-permissions`, jsonPost({ cluster_id: ids.beta, role: 'none' }, admin));
    const viewer = bearer((await login(hub, `viewer-${run}`, user.password)).access_token);
    const seen = await get(`/fleet/images?image=${encodeURIComponent(image(''))}`, viewer);
    expect(seen.body.items.map((u: { cluster_id: string }) => u.cluster_id)).toEqual([ids.alpha]);
    expect((await get(`/clusters/${ids.beta}/inventory`, viewer)).status).toBe(404);
    expect((await get(`/clusters/${ids.beta}/changes`, viewer)).status).toBe(404);
    expect((await hub.fetch(`/api/v1/clusters/${ids.alpha}/inventory/refresh`, { method: 'POST', headers: viewer })).status).toBe(403);
  });

  it('writes no snapshot and no change when nothing changed: it only notes that it looked', async () => {
    // The test bed's clusters are shared: wait for a quiet moment between two snapshots of beta.
    let quiet: JobResult | undefined;
    for (let attempt = 0; attempt < 10 && !quiet; attempt++) {
      const result = await snapshot(ids.beta!);
      if (result.data!.written === false) quiet = result;
    }
    expect(quiet).toMatchObject({ outcome: 'succeeded', data: { written: false, changes: 0 } });
    const latest = (await get(`/clusters/${ids.beta}/inventory?limit=1`)).body;
    expect(latest.snapshot.taken_at < latest.freshness.checked_at).toBe(true);
    expect(latest.freshness.checked_at).toBe(quiet!.data!.checked_at);
    expect(latest.snapshot.taken_at).toBe(quiet!.data!.taken_at);
  });
});
