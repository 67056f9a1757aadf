import * as k8s from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';
import { json } from '#test/support/http.ts';

/**
 * The questions of issue 12 item 5 over real HTTP against a test bed cluster, as a viewer, each
 * answer checked against objects the test made and what the cluster itself lists.
 */
let hub: TestHub;
let viewer: Record<string, string>;
let clusterId: string;
const [alpha] = testClusters();
const direct = directClient(alpha!.adminKubeconfig);
const batchApi = direct.kc.makeApiClient(k8s.BatchV1Api);
const storage = direct.kc.makeApiClient(k8s.StorageV1Api);
const extensions = direct.kc.makeApiClient(k8s.ApiextensionsV1Api);
const discovery = direct.kc.makeApiClient(k8s.DiscoveryV1Api);
const suffix = randomBytes(3).toString('hex');
const namespace = `questions-test-${suffix}`;
const storageClass = `questions-test-${suffix}`;
const volumes = [`questions-test-${suffix}-a`, `questions-test-${suffix}-b`];
const metallbCrds = ['ipaddresspools.metallb.io', 'l2advertisements.metallb.io'];
const base = () => `/api/v1/clusters/${clusterId}`;

async function get(path: string) {
  const res = await hub.fetch(`${base()}${path}`, { headers: viewer });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text };
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const pod = (name: string, spec: Partial<k8s.V1PodSpec>, containers: k8s.V1Container[] = [{ name: 'app', image: 'busybox:1.36' }]) =>
  direct.core.createNamespacedPod({ namespace, body: { metadata: { name }, spec: { containers, ...spec } } });

beforeAll(async () => {
  hub = await startTestHub();
  const adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  const { password } = await createUser(hub, adminToken, 'watcher', 'viewer');
  viewer = bearer((await login(hub, 'watcher', password)).access_token);
  const res = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha', kubeconfig: alpha!.adminKubeconfig }, bearer(adminToken)));
  expect(res.status).toBe(201);
  clusterId = (await json(res)).id;
  await direct.core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await direct.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  for (const name of volumes) await direct.core.deletePersistentVolume({ name }).catch(() => undefined);
  await storage.deleteStorageClass({ name: storageClass }).catch(() => undefined);
  for (const name of metallbCrds) await extensions.deleteCustomResourceDefinition({ name }).catch(() => undefined);
  await hub?.stop();
});

describe('service endpoints', () => {
  it("answers the addresses of the Service's pods from the EndpointSlices the controller made", async () => {
    await direct.apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
        },
      },
    });
    await direct.core.createNamespacedService({
      namespace,
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    });
    const pods = await eventually(
      () => direct.core.listNamespacedPod({ namespace, labelSelector: 'app=web' }),
      (list) => list.items.length === 2 && list.items.every((p) => p.status?.podIP),
      'two running web pods',
    );
    await eventually(
      () => discovery.listNamespacedEndpointSlice({ namespace, labelSelector: 'kubernetes.io/service-name=web' }),
      (list) => list.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready).length === 2,
      'two ready endpoints',
    );
    const res = await get(`/resources/services/${namespace}/web/endpoints`);
    expect(res.status).toBe(200);
    const expected = pods.items
      .map((p) => ({ address: p.status!.podIP, pod: p.metadata!.name, node: p.spec!.nodeName }))
      .sort((a, b) => a.address!.localeCompare(b.address!));
    expect(
      res.body.endpoints.map((e: { address: string; target: { name: string }; node_name: string }) => ({
        address: e.address,
        pod: e.target.name,
        node: e.node_name,
      })),
    ).toEqual(expected);
    expect(res.body.endpoints[0]).toMatchObject({
      ready: true,
      serving: true,
      terminating: false,
      address_type: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP', app_protocol: null }],
      target: { kind: 'Pod', namespace },
    });
  });

  it('reads EndpointSlices made by hand for a Service without a selector, not-ready ones included', async () => {
    await direct.core.createNamespacedService({ namespace, body: { metadata: { name: 'external' }, spec: { ports: [{ port: 5432 }] } } });
    await discovery.createNamespacedEndpointSlice({
      namespace,
      body: {
        metadata: { name: 'external-1', labels: { 'kubernetes.io/service-name': 'external' } },
        addressType: 'IPv4',
        ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
        endpoints: [
          { addresses: ['192.0.2.10'], conditions: { ready: true } },
          { addresses: ['192.0.2.11'], conditions: { ready: false, terminating: true } },
        ],
      },
    });
    const res = await get(`/resources/services/${namespace}/external/endpoints`);
    expect(res.body.endpoints).toEqual([
      expect.objectContaining({ address: '192.0.2.10', ready: true, target: null, endpoint_slice: 'external-1' }),
      expect.objectContaining({
        address: '192.0.2.11',
        ready: false,
        terminating: true,
        ports: [{ name: 'pg', port: 5432, protocol: 'TCP', app_protocol: null }],
      }),
    ]);
    expect((await get(`/resources/services/${namespace}/no-such-service/endpoints`)).status).toBe(404);
  });
});

describe('consumers', () => {
  beforeAll(async () => {
    await direct.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings' }, data: { mode: 'fast' } } });
    await direct.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'creds' }, stringData: { password: 'not-for-anyone' } } });
    await direct.core.createNamespacedPersistentVolumeClaim({
      namespace,
      body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    });
    await pod('cm-volume', { volumes: [{ name: 'conf', configMap: { name: 'settings' } }] });
    await pod('cm-projected', { volumes: [{ name: 'bundle', projected: { sources: [{ configMap: { name: 'settings' } }, { secret: { name: 'creds' } }] } }] });
    await pod('cm-env-init', {
      initContainers: [{ name: 'setup', image: 'busybox:1.36', env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } }] }],
    });
    await pod('secret-volume', { volumes: [{ name: 'creds', secret: { secretName: 'creds' } }] });
    await pod('secret-env', {}, [
      { name: 'app', image: 'busybox:1.36', env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } }] },
    ]);
    await pod('secret-pull', { imagePullSecrets: [{ name: 'creds' }] });
    await pod('pvc-volume', { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] });
    await pod('unrelated', { volumes: [{ name: 'conf', configMap: { name: 'other' } }] });
    // Workloads: a Deployment (pods owned through a ReplicaSet) and a CronJob (through a Job).
    await direct.apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'worker' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'worker' } },
          template: {
            metadata: { labels: { app: 'worker' } },
            spec: {
              containers: [{ name: 'worker', image: 'busybox:1.36', envFrom: [{ configMapRef: { name: 'settings' } }, { secretRef: { name: 'creds' } }] }],
            },
          },
        },
      },
    });
    const cron = await batchApi.createNamespacedCronJob({
      namespace,
      body: {
        metadata: { name: 'backup' },
        spec: {
          schedule: '0 3 1 1 *',
          suspend: true,
          jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'b', image: 'busybox:1.36' }] } } } },
        },
      },
    });
    await batchApi.createNamespacedJob({
      namespace,
      body: {
        metadata: {
          name: 'backup-1',
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'backup', uid: cron.metadata!.uid!, controller: true }],
        },
        spec: {
          template: {
            spec: {
              restartPolicy: 'Never',
              volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
              containers: [{ name: 'b', image: 'busybox:1.36' }],
            },
          },
        },
      },
    });
    await eventually(
      () => direct.core.listNamespacedPod({ namespace }),
      (list) => ['worker', 'backup-1'].every((prefix) => list.items.some((p) => p.metadata!.name!.startsWith(`${prefix}-`))),
      'the workload pods',
    );
  });

  const byPod = (body: { pods: Array<{ name: string; references: unknown[]; workload: unknown }> }) =>
    Object.fromEntries(body.pods.map((p) => [p.name.replace(/^(worker|backup-1)-.*$/, '$1-*'), p.references]));

  it('finds every pod that uses a ConfigMap: volume, projected volume, env of an init container, envFrom', async () => {
    const res = await get(`/resources/configmaps/${namespace}/settings/consumers`);
    expect(res.status).toBe(200);
    expect(byPod(res.body)).toEqual({
      'cm-volume': [{ via: 'volume', container: null, field: 'conf' }],
      'cm-projected': [{ via: 'projected-volume', container: null, field: 'bundle' }],
      'cm-env-init': [{ via: 'env', container: 'setup', field: 'MODE' }],
      'worker-*': [{ via: 'envFrom', container: 'worker', field: null }],
    });
    expect(res.body.workloads).toEqual([
      {
        kind: 'Deployment',
        name: 'worker',
        namespace,
        pods: [expect.stringMatching(/^worker-/)],
        references: [{ via: 'envFrom', container: 'worker', field: null }],
      },
    ]);
    expect(res.body.pods.find((p: { name: string }) => p.name === 'cm-volume').workload).toBeNull();
  });

  it('finds every pod that uses a Secret, imagePullSecrets too, and never answers its value', async () => {
    const res = await get(`/resources/secrets/${namespace}/creds/consumers`);
    expect(byPod(res.body)).toEqual({
      'cm-projected': [{ via: 'projected-volume', container: null, field: 'bundle' }],
      'secret-env': [{ via: 'env', container: 'app', field: 'PASSWORD' }],
      'secret-pull': [{ via: 'imagePullSecrets', container: null, field: null }],
      'secret-volume': [{ via: 'volume', container: null, field: 'creds' }],
      'worker-*': [{ via: 'envFrom', container: 'worker', field: null }],
    });
    expect(res.text).not.toContain('not-for-anyone');
    expect(res.text).not.toContain(Buffer.from('not-for-anyone').toString('base64'));
  });

  it('finds the pods that mount a claim, resolving a Job to its CronJob', async () => {
    const res = await get(`/resources/persistentvolumeclaims/${namespace}/data/consumers`);
    expect(byPod(res.body)).toEqual({
      'backup-1-*': [{ via: 'volume', container: null, field: 'data' }],
      'pvc-volume': [{ via: 'volume', container: null, field: 'data' }],
    });
    // The CronJob's own template mounts nothing: only the pod of its Job does.
    expect(res.body.workloads).toEqual([{ kind: 'CronJob', name: 'backup', namespace, pods: [expect.stringMatching(/^backup-1-/)], references: [] }]);
  });

  it('answers 404 for an object that does not exist', async () => {
    const res = await get(`/resources/configmaps/${namespace}/nothing/consumers`);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('RESOURCE_NOT_FOUND');
  });
});

/** Certificates made with openssl at test time: a root, an intermediate, leaves signed by it, one long expired. */
function makeCertificates() {
  const dir = mkdtempSync(join(tmpdir(), 'clusterhub-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  writeFileSync(file('index.txt'), '');
  writeFileSync(file('serial'), '1000\n');
  writeFileSync(
    file('ca.cnf'),
    `[ca]\ndefault_ca=test\n[test]\ndatabase=${file('index.txt')}\nnew_certs_dir=${dir}\nserial=${file('serial')}\ndefault_md=sha256\npolicy=any\nunique_subject=no\n[any]\ncommonName=supplied\norganizationName=optional\n`,
  );
  writeFileSync(
    file('ext.cnf'),
    '[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n[leaf]\nbasicConstraints=CA:FALSE\nsubjectAltName=DNS:shop.example.test,DNS:www.shop.example.test,IP:192.0.2.7\n',
  );
  const sign = (name: string, subject: string, issuer: string, ext: string, dates: string[]) => {
    openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', file(`${name}.key`), '-subj', subject, '-out', file(`${name}.csr`));
    openssl(
      'ca',
      '-batch',
      '-config',
      file('ca.cnf'),
      '-cert',
      file(`${issuer}.crt`),
      '-keyfile',
      file(`${issuer}.key`),
      '-in',
      file(`${name}.csr`),
      '-out',
      file(`${name}.crt`),
      '-notext',
      '-extfile',
      file('ext.cnf'),
      '-extensions',
      ext,
      ...dates,
    );
  };
  try {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      file('root.key'),
      '-subj',
      '/CN=Questions Test Root',
      '-days',
      '3',
      '-out',
      file('root.crt'),
    );
    sign('intermediate', '/CN=Questions Test Issuing CA/O=Clusterhub Tests', 'root', 'ca', ['-days', '3']);
    sign('leaf', '/CN=shop.example.test/O=Shop', 'intermediate', 'leaf', ['-days', '30']);
    sign('expired', '/CN=old.example.test', 'root', 'leaf', ['-startdate', '20200101000000Z', '-enddate', '20200201000000Z']);
    const read = (name: string) => readFileSync(file(name), 'utf8');
    return {
      root: read('root.crt'),
      intermediate: read('intermediate.crt'),
      leaf: read('leaf.crt'),
      leafKey: read('leaf.key'),
      expired: read('expired.crt'),
      expiredKey: read('expired.key'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('tls-info', () => {
  const certs = makeCertificates();
  const tlsSecret = (name: string, crt: string, key: string, ca?: string) =>
    direct.core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name },
        type: 'kubernetes.io/tls',
        data: {
          'tls.crt': Buffer.from(crt).toString('base64'),
          'tls.key': Buffer.from(key).toString('base64'),
          ...(ca ? { 'ca.crt': Buffer.from(ca).toString('base64') } : {}),
        },
      },
    });

  beforeAll(() => {
    for (const key of [certs.leafKey, certs.expiredKey]) {
      hub.rememberSecret(key, 'a TLS private key');
      hub.rememberSecret(Buffer.from(key).toString('base64'), 'a TLS private key (base64)');
    }
  });

  it('describes the whole chain of a valid certificate, and that the key belongs to it', async () => {
    await tlsSecret('shop-tls', certs.leaf + certs.intermediate, certs.leafKey, certs.root);
    const res = await get(`/resources/secrets/${namespace}/shop-tls/tls-info`);
    expect(res.status).toBe(200);
    expect(res.body.certificate).toMatchObject({
      subject: 'CN=shop.example.test, O=Shop',
      common_name: 'shop.example.test',
      issuer: 'CN=Questions Test Issuing CA, O=Clusterhub Tests',
      subject_alt_names: { dns: ['shop.example.test', 'www.shop.example.test'], ip: ['192.0.2.7'], email: [], uri: [] },
      expired: false,
      is_ca: false,
      self_signed: false,
      key_type: 'rsa',
      key_size: 2048,
    });
    expect(res.body.certificate.days_remaining).toBeGreaterThanOrEqual(29);
    expect(res.body.certificate.days_remaining).toBeLessThanOrEqual(30);
    expect(res.body.chain.map((c: { common_name: string; is_ca: boolean }) => [c.common_name, c.is_ca])).toEqual([
      ['shop.example.test', false],
      ['Questions Test Issuing CA', true],
    ]);
    expect(res.body.chain_valid).toBe(true);
    expect(res.body.key_matches_certificate).toBe(true);
    expect(res.body.ca).toEqual([expect.objectContaining({ subject: 'CN=Questions Test Root', self_signed: true, key_type: 'ec', key_curve: 'prime256v1' })]);
    expect(res.text).not.toContain('PRIVATE KEY');
    expect(res.text).not.toContain('BEGIN CERTIFICATE');
  });

  it('gives negative days for an expired certificate, and notices a key of another certificate and a broken chain', async () => {
    await tlsSecret('old-tls', certs.expired + certs.intermediate, certs.leafKey);
    const res = await get(`/resources/secrets/${namespace}/old-tls/tls-info`);
    expect(res.body.certificate).toMatchObject({
      common_name: 'old.example.test',
      expired: true,
      not_before: '2020-01-01T00:00:00.000Z',
      not_after: '2020-02-01T00:00:00.000Z',
    });
    const expectedDays = Math.floor((Date.parse('2020-02-01T00:00:00Z') - Date.now()) / 86_400_000);
    expect(res.body.certificate.days_remaining).toBeLessThan(-365);
    expect(Math.abs(res.body.certificate.days_remaining - expectedDays)).toBeLessThanOrEqual(1);
    expect(res.body.key_matches_certificate).toBe(false);
    expect(res.body.chain_valid).toBe(false); // signed by the root, not by the intermediate after it
  });

  it('answers 422 for a Secret without a certificate', async () => {
    await direct.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'plain' }, stringData: { token: 'opaque-value' } } });
    const res = await get(`/resources/secrets/${namespace}/plain/tls-info`);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('NOT_A_TLS_SECRET');
    expect(res.text).not.toContain('opaque-value');
  });
});

describe('counts', () => {
  it('counts objects per namespace as the cluster lists them', async () => {
    const res = await get('/resources/namespaces/counts');
    expect(res.status).toBe(200);
    const namespaces = await direct.core.listNamespace();
    expect(res.body.namespaces.map((n: { name: string }) => n.name)).toEqual(expect.arrayContaining(namespaces.items.map((n) => n.metadata!.name)));
    const mine = res.body.namespaces.find((n: { name: string }) => n.name === namespace);
    const [pods, configmaps, secrets, services, deployments, replicasets, jobs, cronjobs, claims, accounts] = await Promise.all([
      direct.core.listNamespacedPod({ namespace }),
      direct.core.listNamespacedConfigMap({ namespace }),
      direct.core.listNamespacedSecret({ namespace }),
      direct.core.listNamespacedService({ namespace }),
      direct.apps.listNamespacedDeployment({ namespace }),
      direct.apps.listNamespacedReplicaSet({ namespace }),
      batchApi.listNamespacedJob({ namespace }),
      batchApi.listNamespacedCronJob({ namespace }),
      direct.core.listNamespacedPersistentVolumeClaim({ namespace }),
      direct.core.listNamespacedServiceAccount({ namespace }),
    ]);
    expect(mine.counts).toEqual({
      pods: pods.items.length,
      configmaps: configmaps.items.length,
      secrets: secrets.items.length,
      services: services.items.length,
      deployments: deployments.items.length,
      replicasets: replicasets.items.length,
      jobs: jobs.items.length,
      cronjobs: cronjobs.items.length,
      persistentvolumeclaims: claims.items.length,
      serviceaccounts: accounts.items.length,
      statefulsets: 0,
      daemonsets: 0,
      ingresses: 0,
    });
    expect(mine.counts.pods).toBeGreaterThanOrEqual(10);
    expect(res.body.forbidden_kinds).toEqual([]);
  });

  it('counts PersistentVolumes per StorageClass', async () => {
    await storage.createStorageClass({ body: { metadata: { name: storageClass }, provisioner: 'example.test/none' } });
    for (const name of volumes) {
      await direct.core.createPersistentVolume({
        body: {
          metadata: { name },
          spec: { storageClassName: storageClass, capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/tmp/${name}` } },
        },
      });
    }
    const res = await get('/resources/storageclasses/pv-counts');
    expect(res.status).toBe(200);
    expect(res.body.storage_classes).toContainEqual({ name: storageClass, provisioner: 'example.test/none', default: false, persistent_volumes: 2 });
    const all = await direct.core.listPersistentVolume();
    expect(res.body.total).toBe(all.items.length);
    expect(res.body.without_storage_class).toBe(all.items.filter((pv) => !pv.spec?.storageClassName).length);
  });

  it('counts long-lived token Secrets per ServiceAccount', async () => {
    await direct.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'robot' } } });
    for (const name of ['robot-token-1', 'robot-token-2']) {
      await direct.core.createNamespacedSecret({
        namespace,
        body: { metadata: { name, annotations: { 'kubernetes.io/service-account.name': 'robot' } }, type: 'kubernetes.io/service-account-token' },
      });
    }
    // The token controller fills each with a token: the answer must hold none of them.
    const tokens = await eventually(
      () => direct.core.listNamespacedSecret({ namespace, fieldSelector: 'type=kubernetes.io/service-account-token' }),
      (list) => list.items.length === 2 && list.items.every((s) => s.data?.token),
      'the token controller',
    );
    for (const s of tokens.items) hub.rememberSecret(Buffer.from(s.data!.token!, 'base64').toString('utf8'), 'a service-account token');
    const res = await get('/resources/serviceaccounts/token-counts');
    expect(res.status).toBe(200);
    const mine = res.body.service_accounts.filter((a: { namespace: string }) => a.namespace === namespace);
    expect(mine).toEqual([
      { namespace, name: 'default', token_secrets: 0, exists: true },
      { namespace, name: 'robot', token_secrets: 2, exists: true },
    ]);
    for (const s of tokens.items) expect(res.text).not.toContain(s.data!.token!);
  });
});

describe('MetalLB', () => {
  it('is detected from its CRDs and controller Deployment, with the version of its image', async () => {
    const before = await get('/features/metallb');
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ enabled: false, version: null, crds: [], controller: null });

    for (const name of metallbCrds) {
      const [plural] = name.split('.');
      const kind = plural === 'ipaddresspools' ? 'IPAddressPool' : 'L2Advertisement';
      await extensions.createCustomResourceDefinition({
        body: {
          metadata: { name },
          spec: {
            group: 'metallb.io',
            scope: 'Namespaced',
            names: { plural: plural!, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
            versions: [
              { name: 'v1beta1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } },
            ],
          },
        },
      });
    }
    await direct.apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'controller', labels: { app: 'metallb', component: 'controller' } },
        spec: {
          selector: { matchLabels: { app: 'metallb', component: 'controller' } },
          template: {
            metadata: { labels: { app: 'metallb', component: 'controller' } },
            spec: { containers: [{ name: 'controller', image: 'quay.io/metallb/controller:v0.14.8' }] },
          },
        },
      },
    });
    const after = await eventually(
      () => get('/features/metallb'),
      (r) => r.body.crds?.length === 2,
      'the metallb.io group in discovery',
    );
    expect(after.body).toMatchObject({
      enabled: true,
      version: '0.14.8',
      crds: metallbCrds,
      controller: { namespace, name: 'controller', image: 'quay.io/metallb/controller:v0.14.8', desired: 1 },
    });
  });
});
