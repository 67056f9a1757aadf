import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';

/**
 * Consumers that run no pod: a Deployment scaled to zero, a DaemonSet that fits no node, a
 * suspended CronJob and a StatefulSet at zero are read from their pod templates, a Secret's
 * ServiceAccounts from their `secrets` and `imagePullSecrets`; each consumer once.
 */
let hub: TestHub;
let viewer: Record<string, string>;
let clusterId: string;
const [alpha] = testClusters();
const direct = directClient(alpha!.adminKubeconfig);
const batchApi = direct.kc.makeApiClient(k8s.BatchV1Api);
const namespace = `consumers-idle-${randomBytes(3).toString('hex')}`;

async function consumersOf(kind: string, name: string) {
  const res = await hub.fetch(`/api/v1/clusters/${clusterId}/resources/${kind}/${namespace}/${name}/consumers`, { headers: viewer });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text };
}

const template = (app: string, spec: Partial<k8s.V1PodSpec>) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: app, image: 'busybox:1.36' }], ...spec },
});
const claimSpec = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } };

beforeAll(async () => {
  hub = await startTestHub();
  const adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  const { password } = await createUser(hub, adminToken, 'idle-watcher', 'viewer');
  viewer = bearer((await login(hub, 'idle-watcher', password)).access_token);
  const res = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha', kubeconfig: alpha!.adminKubeconfig }, bearer(adminToken)));
  expect(res.status).toBe(201);
  clusterId = (await json(res)).id;

  await direct.core.createNamespace({ body: { metadata: { name: namespace } } });
  await direct.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings' }, data: { mode: 'slow' } } });
  await direct.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'pull' }, stringData: { '.dockerconfigjson': 'not-for-anyone' } } });
  await direct.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'runner' } } });
  await direct.core.createNamespacedServiceAccount({
    namespace,
    body: { metadata: { name: 'builder' }, secrets: [{ name: 'pull' }], imagePullSecrets: [{ name: 'pull' }] },
  });
  await direct.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'idle' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'idle' } },
        template: template('idle', { serviceAccountName: 'runner', volumes: [{ name: 'conf', configMap: { name: 'settings' } }] }),
      },
    },
  });
  await direct.apps.createNamespacedDaemonSet({
    namespace,
    body: {
      metadata: { name: 'agent' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: template('agent', {
          nodeSelector: { 'clusterhub.test/nowhere': 'true' },
          containers: [{ name: 'agent', image: 'busybox:1.36', env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } }] }],
        }),
      },
    },
  });
  await batchApi.createNamespacedCronJob({
    namespace,
    body: {
      metadata: { name: 'nightly' },
      spec: {
        schedule: '0 4 1 1 *',
        suspend: true,
        jobTemplate: {
          spec: { template: { spec: { restartPolicy: 'Never', imagePullSecrets: [{ name: 'pull' }], containers: [{ name: 'n', image: 'busybox:1.36' }] } } },
        },
      },
    },
  });
  await direct.apps.createNamespacedStatefulSet({
    namespace,
    body: {
      metadata: { name: 'db' },
      spec: {
        replicas: 0,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: template('db', {}),
        volumeClaimTemplates: [{ metadata: { name: 'store' }, spec: claimSpec }],
      },
    },
  });
  // What the StatefulSet's first replica would mount, left behind as a scale-down leaves it.
  await direct.core.createNamespacedPersistentVolumeClaim({ namespace, body: { metadata: { name: 'store-db-0' }, spec: claimSpec } });
});
afterAll(async () => {
  await direct.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await hub?.stop();
});

describe('consumers without pods', () => {
  it('lists a Deployment scaled to zero and a DaemonSet with no pod among the users of a ConfigMap, each once', async () => {
    // The Deployment's ReplicaSet (if the controller made one) carries the same template: it is folded into the Deployment.
    const res = await consumersOf('configmaps', 'settings');
    expect(res.status).toBe(200);
    expect(res.body.pods).toEqual([]);
    expect(res.body.workloads).toEqual([
      { kind: 'DaemonSet', name: 'agent', namespace, pods: [], references: [{ via: 'env', container: 'agent', field: 'MODE' }] },
      { kind: 'Deployment', name: 'idle', namespace, pods: [], references: [{ via: 'volume', container: null, field: 'conf' }] },
    ]);
    expect(res.body.unreadable).toEqual([]);
  });

  it('lists the Deployment scaled to zero among the users of its ServiceAccount', async () => {
    const res = await consumersOf('serviceaccounts', 'runner');
    expect(res.status).toBe(200);
    expect(res.body.workloads).toEqual([
      { kind: 'Deployment', name: 'idle', namespace, pods: [], references: [{ via: 'serviceAccountName', container: null, field: null }] },
    ]);
  });

  it("lists a suspended CronJob's template and the ServiceAccounts that list a Secret, never its value", async () => {
    const res = await consumersOf('secrets', 'pull');
    expect(res.status).toBe(200);
    expect(res.body.workloads).toEqual([
      { kind: 'CronJob', name: 'nightly', namespace, pods: [], references: [{ via: 'imagePullSecrets', container: null, field: null }] },
    ]);
    expect(res.body.service_accounts).toEqual([
      {
        name: 'builder',
        namespace,
        references: [
          { via: 'secrets', container: null, field: null },
          { via: 'imagePullSecrets', container: null, field: null },
        ],
      },
    ]);
    expect(res.text).not.toContain('not-for-anyone');
  });

  it("finds a StatefulSet's claim through its claim template while it runs no pod", async () => {
    const res = await consumersOf('persistentvolumeclaims', 'store-db-0');
    expect(res.status).toBe(200);
    expect(res.body.workloads).toEqual([
      { kind: 'StatefulSet', name: 'db', namespace, pods: [], references: [{ via: 'volumeClaimTemplate', container: null, field: 'store' }] },
    ]);
  });
});
