import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';
import { json } from '#test/support/http.ts';

/**
 * The actions of issue 12 item 4 over real HTTP against a test bed cluster, each checked by
 * asking the cluster itself what changed.
 */
let hub: TestHub;
let admin: Record<string, string>;
let operator: Record<string, string>;
let viewer: Record<string, string>;
let clusterId: string;
const [alpha] = testClusters();
const direct = directClient(alpha!.adminKubeconfig);
const batchApi = direct.kc.makeApiClient(k8s.BatchV1Api);
const namespace = `actions-test-${randomBytes(3).toString('hex')}`;
const base = () => `/api/v1/clusters/${clusterId}/resources`;

async function call(path: string, init: RequestInit = {}, as = operator) {
  const res = await hub.fetch(path, { ...init, headers: { ...as, ...(init.headers as Record<string, string>) } });
  return { status: res.status, body: await json(res) };
}
const post = (path: string, body: unknown = {}, as = operator) => call(path, jsonPost(body), as);

/** Polls `read` until `done` accepts its value (the cluster's controllers work on their own time). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const labels = (app: string) => ({ app });
const podTemplate = (app: string, image: string): k8s.V1PodTemplateSpec => ({
  metadata: { labels: labels(app) },
  spec: { containers: [{ name: 'app', image }] },
});

async function deployment(name: string, image: string, replicas = 1) {
  await direct.apps.createNamespacedDeployment({
    namespace,
    body: { metadata: { name }, spec: { replicas, selector: { matchLabels: labels(name) }, template: podTemplate(name, image) } },
  });
}

/** Changes the Deployment's image as `kubectl set image` does, with a change-cause, and waits for its new ReplicaSet. */
async function setImage(name: string, image: string, revision: number) {
  await direct.apps.patchNamespacedDeployment(
    {
      namespace,
      name,
      body: {
        metadata: { annotations: { 'kubernetes.io/change-cause': `set image ${image}` } },
        spec: { template: { spec: { containers: [{ name: 'app', image }] } } },
      },
    },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
  );
  await eventually(
    () => direct.apps.readNamespacedDeployment({ namespace, name }),
    (d) => d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === String(revision),
    `revision ${revision} of ${name}`,
  );
}

const imageOf = async (name: string) => (await direct.apps.readNamespacedDeployment({ namespace, name })).spec!.template.spec!.containers[0]!.image;

beforeAll(async () => {
  hub = await startTestHub();
  const adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  admin = bearer(adminToken);
  for (const [name, role] of [
    ['ops', 'operator'],
    ['watcher', 'viewer'],
  ] as const) {
    const { password } = await createUser(hub, adminToken, name, role);
    const token = bearer((await login(hub, name, password)).access_token);
    if (role === 'operator') operator = token;
    else viewer = token;
  }
  const registered = await call('/api/v1/clusters', jsonPost({ name: 'alpha', kubeconfig: alpha!.adminKubeconfig }), admin);
  expect(registered.status).toBe(201);
  clusterId = registered.body.id;
  await direct.core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await direct.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await hub?.stop();
});

describe('rollout history and rollback', () => {
  it('lists the revisions from the ReplicaSets and rolls back to an earlier image', async () => {
    await deployment('web', 'nginx:1.25');
    await eventually(
      () => direct.apps.readNamespacedDeployment({ namespace, name: 'web' }),
      (d) => d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '1',
      'revision 1',
    );
    await setImage('web', 'nginx:1.26', 2);
    await setImage('web', 'nginx:1.27', 3);

    const history = await call(`${base()}/deployments/${namespace}/web/rollout-history`, {}, viewer);
    expect(history.status).toBe(200);
    expect(history.body.current_revision).toBe(3);
    expect(history.body.revisions.map((r: { revision: number; images: string[] }) => [r.revision, r.images])).toEqual([
      [3, ['nginx:1.27']],
      [2, ['nginx:1.26']],
      [1, ['nginx:1.25']],
    ]);
    expect(history.body.revisions[0]).toMatchObject({ current: true, change_cause: 'set image nginx:1.27', desired: 1 });
    expect(history.body.revisions[0].replica_set).toMatch(/^web-[a-z0-9]+$/);

    const back = await post(`${base()}/deployments/${namespace}/web/rollback`, { revision: 1 });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ revision: 1, from_revision: 3, rolled_back: true });
    expect(await imageOf('web')).toBe('nginx:1.25');
    // The controller reuses revision 1's ReplicaSet and renumbers it, as after kubectl rollout undo.
    const after = await eventually(
      () => call(`${base()}/deployments/${namespace}/web/rollout-history`, {}, viewer),
      (h) => h.body.current_revision === 4,
      'revision 4',
    );
    expect(after.body.revisions.map((r: { revision: number; images: string[] }) => [r.revision, r.images[0]])).toEqual([
      [4, 'nginx:1.25'],
      [3, 'nginx:1.27'],
      [2, 'nginx:1.26'],
    ]);

    // Without a revision it goes back one, as kubectl rollout undo does.
    const undo = await post(`${base()}/deployments/${namespace}/web/rollback`, {});
    expect(undo.body).toMatchObject({ revision: 3, rolled_back: true });
    expect(await imageOf('web')).toBe('nginx:1.27');
  });

  it('answers 404 for a revision that is not kept and for a Deployment that does not exist', async () => {
    const missing = await post(`${base()}/deployments/${namespace}/web/rollback`, { revision: 99 });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('REVISION_NOT_FOUND');
    const none = await call(`${base()}/deployments/${namespace}/no-such-web/rollout-history`, {}, viewer);
    expect(none.status).toBe(404);
    expect(none.body.code).toBe('RESOURCE_NOT_FOUND');
  });
});

describe('restart and scale', () => {
  it('restarts a Deployment with the kubectl annotation, seen on the cluster', async () => {
    await deployment('api', 'nginx:1.25');
    await eventually(
      () => direct.apps.readNamespacedDeployment({ namespace, name: 'api' }),
      (d) => d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '1',
      'revision 1',
    );
    const res = await post(`${base()}/deployments/${namespace}/api/restart`);
    expect(res.status).toBe(200);
    expect(res.body.restarted_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const live = await direct.apps.readNamespacedDeployment({ namespace, name: 'api' });
    expect(live.spec!.template.metadata!.annotations!['kubectl.kubernetes.io/restartedAt']).toBe(res.body.restarted_at);
    const rolled = await eventually(
      () => direct.apps.readNamespacedDeployment({ namespace, name: 'api' }),
      (d) => d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '2',
      'the restart rollout',
    );
    expect(rolled.spec!.template.spec!.containers[0]!.image).toBe('nginx:1.25');
  });

  it("passes the cluster's warnings on as Warning headers, as kubectl shows them", async () => {
    await direct.apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'legacy' },
        spec: {
          selector: { matchLabels: labels('legacy') },
          template: {
            ...podTemplate('legacy', 'nginx:1.25'),
            spec: { nodeSelector: { 'beta.kubernetes.io/arch': 'amd64' }, containers: [{ name: 'app', image: 'nginx:1.25' }] },
          },
        },
      },
    });
    const res = await hub.fetch(`${base()}/statefulsets/${namespace}/none/restart`, { method: 'POST', headers: operator });
    expect(res.headers.get('warning')).toBeNull();
    const restarted = await hub.fetch(`${base()}/deployments/${namespace}/legacy/restart`, { method: 'POST', headers: operator });
    expect(restarted.status).toBe(200);
    expect(restarted.headers.get('warning')).toMatch(/^299 - ".*beta\.kubernetes\.io\/arch.*deprecated.*"$/);
  });

  it('scales a Deployment and a StatefulSet through the scale subresource', async () => {
    await deployment('scaled', 'nginx:1.25', 1);
    const res = await post(`${base()}/deployments/${namespace}/scaled/scale`, { replicas: 3 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'deployments', replicas: 3, previous_replicas: 1 });
    expect((await direct.apps.readNamespacedDeployment({ namespace, name: 'scaled' })).spec!.replicas).toBe(3);

    await direct.apps.createNamespacedStatefulSet({
      namespace,
      body: {
        metadata: { name: 'db' },
        spec: { serviceName: 'db', replicas: 2, selector: { matchLabels: labels('db') }, template: podTemplate('db', 'postgres:16') },
      },
    });
    const sts = await post(`${base()}/statefulsets/${namespace}/db/scale`, { replicas: 0 });
    expect(sts.body).toMatchObject({ kind: 'statefulsets', replicas: 0, previous_replicas: 2 });
    expect((await direct.apps.readNamespacedStatefulSet({ namespace, name: 'db' })).spec!.replicas).toBe(0);
  });

  it('refuses a kind the action does not take, and a negative count', async () => {
    expect((await post(`${base()}/replicasets/${namespace}/x/restart`)).status).toBe(404);
    expect((await post(`${base()}/daemonsets/${namespace}/x/scale`, { replicas: 1 })).status).toBe(404);
    const negative = await post(`${base()}/deployments/${namespace}/scaled/scale`, { replicas: -1 });
    expect(negative.status).toBe(400);
    expect(negative.body.code).toBe('VALIDATION_ERROR');
  });
});

describe('CronJob trigger and Job retry', () => {
  it('triggers a CronJob: a real Job owned by it, named like kubectl, listed among its Jobs', async () => {
    const cron = await batchApi.createNamespacedCronJob({
      namespace,
      body: {
        metadata: { name: 'nightly' },
        spec: {
          schedule: '0 3 1 1 *',
          suspend: true,
          jobTemplate: {
            metadata: { labels: { team: 'data' } },
            spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'report', image: 'busybox:1.36' }] } } },
          },
        },
      },
    });
    const res = await post(`${base()}/cronjobs/${namespace}/nightly/trigger`);
    expect(res.status).toBe(201);
    const name: string = res.body.job.name;
    expect(name).toMatch(/^nightly-manual-[a-z0-9]{5}$/);

    const job = await batchApi.readNamespacedJob({ namespace, name });
    expect(job.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'CronJob', name: 'nightly', uid: cron.metadata!.uid, controller: true })]);
    expect(job.metadata!.annotations!['cronjob.kubernetes.io/instantiate']).toBe('manual');
    expect(job.metadata!.labels!.team).toBe('data');
    expect(job.spec!.template.spec!.containers[0]!.image).toBe('busybox:1.36');

    const jobs = await call(`${base()}/cronjobs/${namespace}/nightly/jobs`, {}, viewer);
    expect(jobs.status).toBe(200);
    expect(jobs.body.items).toEqual([expect.objectContaining({ name, namespace, manual: true })]);
  });

  it('retries a failed Job as a fresh Job without the old controller labels and selector', async () => {
    // No node matches, so the pod never runs and the deadline fails the Job.
    await batchApi.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'migrate', labels: { step: 'migrate' } },
        spec: {
          activeDeadlineSeconds: 1,
          backoffLimit: 0,
          template: {
            metadata: { labels: { step: 'migrate' } },
            spec: { restartPolicy: 'Never', nodeSelector: { nowhere: 'true' }, containers: [{ name: 'm', image: 'busybox:1.36' }] },
          },
        },
      },
    });
    const failed = await eventually(
      () => batchApi.readNamespacedJob({ namespace, name: 'migrate' }),
      (j) => (j.status?.conditions ?? []).some((c) => c.type === 'Failed' && c.status === 'True'),
      'the Job to fail',
    );
    const oldUid = failed.metadata!.uid!;

    const res = await post(`${base()}/jobs/${namespace}/migrate/retry`);
    expect(res.status).toBe(201);
    const name: string = res.body.job.name;
    expect(name).toMatch(/^migrate-retry-[a-z0-9]{5}$/);
    const job = await batchApi.readNamespacedJob({ namespace, name });
    expect(job.metadata!.annotations!['clusterhub.io/retry-of']).toBe('migrate');
    // The API server labels the new Job's pods for the new Job; nothing of the old one's is left.
    expect(job.metadata!.labels).toEqual({ step: 'migrate' });
    expect(job.spec!.template.metadata!.labels).toMatchObject({ step: 'migrate', 'job-name': name, 'controller-uid': job.metadata!.uid });
    expect(job.spec!.selector!.matchLabels).toEqual({ 'batch.kubernetes.io/controller-uid': job.metadata!.uid });
    expect(JSON.stringify(job)).not.toContain(oldUid);
    expect(job.spec!.activeDeadlineSeconds).toBe(1);
  });

  it('refuses to retry a Job that has not failed', async () => {
    await batchApi.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'waiting' },
        spec: { suspend: true, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'w', image: 'busybox:1.36' }] } } },
      },
    });
    const res = await post(`${base()}/jobs/${namespace}/waiting/retry`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('JOB_NOT_FAILED');
  });
});

describe('who may act', () => {
  it('refuses a viewer every action, changing nothing, and audits the operator actions with their object', async () => {
    const before = await direct.apps.readNamespacedDeployment({ namespace, name: 'scaled' });
    const actions: Array<[string, unknown]> = [
      [`${base()}/deployments/${namespace}/web/rollback`, { revision: 1 }],
      [`${base()}/deployments/${namespace}/scaled/restart`, {}],
      [`${base()}/deployments/${namespace}/scaled/scale`, { replicas: 5 }],
      [`${base()}/cronjobs/${namespace}/nightly/trigger`, {}],
      [`${base()}/jobs/${namespace}/migrate/retry`, {}],
    ];
    for (const [path, body] of actions) {
      const res = await post(path, body, viewer);
      expect(res.status, path).toBe(403);
    }
    const after = await direct.apps.readNamespacedDeployment({ namespace, name: 'scaled' });
    expect(after.spec!.replicas).toBe(before.spec!.replicas);
    expect(after.metadata!.resourceVersion).toBe(before.metadata!.resourceVersion);
    const jobs = await batchApi.listNamespacedJob({ namespace });
    expect(jobs.items.filter((j) => j.metadata!.name!.startsWith('nightly-manual-'))).toHaveLength(1);

    const audit = await call(`/api/v1/audit-log?action=resource.scale&limit=50`, {}, admin);
    expect(audit.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'resource.scale',
          cluster_id: clusterId,
          resource_kind: 'Deployment',
          resource_id: `${namespace}/scaled`,
          status_code: 200,
          details: expect.objectContaining({ namespace, name: 'scaled', replicas: 3, previous_replicas: 1 }),
        }),
        // A refused action names its object too.
        expect.objectContaining({
          action: 'resource.scale',
          username: 'watcher',
          status_code: 403,
          resource_kind: 'Deployment',
          resource_id: `${namespace}/scaled`,
        }),
      ]),
    );
  });
});
