/**
 * The gateway's kind-agnostic calls against the test bed's real clusters: discovery (aggregated,
 * and the legacy walk older servers need) finds built-in kinds and a CRD made here; list pages
 * with no duplicate and no gap; the three patch types; server-side apply, its dry run and its
 * conflicts; delete; the cluster's refusals typed; its Warning headers returned. What the gateway
 * did is checked with a direct client of the cluster.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '#shared/domain/errors.ts';
import { checkKubeconfig, readClusterConnection, type KubeconfigPolicy } from '#shared/domain/clusters/kubeconfig-policy.ts';
import { parseNetworkPolicy } from '#shared/domain/clusters/network-policy.ts';
import { ClusterApiError, type ApiResource, type ClusterGateway, type KubernetesObject } from '#shared/ports/cluster-gateway.ts';
import { discoverApiResources } from '#shared/adapters/kubernetes/api-discovery.ts';
import { GuardedTransport } from '#shared/adapters/kubernetes/guarded-transport.ts';
import { createKubernetesGatewayFactory } from '#shared/adapters/kubernetes/kubernetes-gateway.ts';
import { ResourceApi } from '#shared/adapters/kubernetes/resource-api.ts';
import { loadTestbedEnv } from '#test/testbed/env.ts';

const { clusters } = loadTestbedEnv();
const alpha = clusters[0]!;
// The test bed's API servers listen on 127.0.0.1, so loopback is allowed, as an operator would for a lab.
const policy: KubeconfigPolicy = { networks: parseNetworkPolicy('127.0.0.0/8,::1/128'), allowInsecureTls: false };
const adminCredentials = checkKubeconfig({ text: readFileSync(alpha.kubeconfig, 'utf8') }, policy);
const gateways: ClusterGateway[] = [];
const gatewayFor = (credentials = adminCredentials) => {
  const gateway = createKubernetesGatewayFactory({ policy, timeoutMs: 15_000 })(credentials);
  gateways.push(gateway);
  return gateway;
};
const gateway = gatewayFor();

const kc = new k8s.KubeConfig();
kc.loadFromFile(alpha.kubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const extensions = kc.makeApiClient(k8s.ApiextensionsV1Api);

const suffix = () => `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const configMaps = (namespace: string) => ({ group: '', version: 'v1', plural: 'configmaps', namespace });
const deployments = (namespace: string) => ({ group: 'apps', version: 'v1', plural: 'deployments', namespace });

/** The ClusterApiError a call fails with. */
async function refusalOf(call: Promise<unknown>): Promise<ClusterApiError> {
  try {
    await call;
  } catch (err) {
    expect(err).toBeInstanceOf(ClusterApiError);
    return err as ClusterApiError;
  }
  throw new Error('the call succeeded');
}

let ns = '';
beforeAll(async () => {
  ns = `gw-kinds-${suffix()}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(async () => {
  for (const g of gateways) g.close();
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
});

const find = (resources: ApiResource[], test: (r: ApiResource) => boolean) => resources.filter(test);

describe('discovery', () => {
  it('lists built-in kinds with their names, scope and verbs, from aggregated discovery and from the legacy walk alike', async () => {
    const discovery = await gateway.discover();
    expect(discovery.source).toBe('aggregated'); // the test bed's API servers are 1.33
    const [deploy] = find(discovery.resources, (r) => r.shortNames.includes('deploy'));
    expect(deploy).toEqual({
      kind: 'Deployment',
      plural: 'deployments',
      singular: 'deployment',
      shortNames: ['deploy'],
      group: 'apps',
      version: 'v1',
      preferred: true,
      namespaced: true,
      verbs: expect.arrayContaining(['get', 'list', 'patch', 'create', 'delete']),
      categories: ['all'],
    });
    expect(find(discovery.resources, (r) => r.plural === 'nodes')[0]).toMatchObject({
      kind: 'Node',
      group: '',
      version: 'v1',
      namespaced: false,
      shortNames: ['no'],
    });
    expect(discovery.resources.some((r) => r.plural.includes('/'))).toBe(false); // subresources left out

    // A server without aggregated discovery is walked group version by group version: the same resources.
    const connection = readClusterConnection(adminCredentials.kubeconfig, policy);
    const transport = new GuardedTransport(connection, { networks: policy.networks });
    try {
      const legacy = await discoverApiResources(new ResourceApi((req) => transport.request(req), '', []), { aggregated: false });
      expect(legacy.source).toBe('legacy');
      const key = (r: ApiResource) => `${r.group}/${r.version}/${r.plural}`;
      // Built-in groups only: other tests sharing the test bed create and delete CRDs meanwhile.
      const builtIn = (r: ApiResource) => !r.group.includes('.') || r.group.endsWith('.k8s.io');
      expect(legacy.resources.filter(builtIn).map(key).sort()).toEqual(discovery.resources.filter(builtIn).map(key).sort());
      expect(find(legacy.resources, (r) => r.plural === 'deployments')[0]).toEqual(deploy);
    } finally {
      transport.close();
    }
  });

  it('finds a CRD created meanwhile by its plural, kind and short name, and serves its objects', async () => {
    const id = suffix();
    const group = 'gateway-kinds.example.com';
    const plural = `gadgets${id}`;
    const kind = `Gadget${id}`;
    const shortName = `gd${id}`;
    await extensions.createCustomResourceDefinition({
      body: {
        metadata: { name: `${plural}.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural, singular: `gadget${id}`, kind, shortNames: [shortName] },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
            },
          ],
        },
      },
    });
    try {
      let found: ApiResource[] = [];
      for (let i = 0; i < 60 && found.length === 0; i++) {
        found = find((await gateway.discover()).resources, (r) => r.group === group && r.plural === plural);
        if (found.length === 0) await sleep(500);
      }
      expect(found).toEqual([
        {
          kind,
          plural,
          singular: `gadget${id}`,
          shortNames: [shortName],
          group,
          version: 'v1',
          preferred: true,
          namespaced: true,
          verbs: expect.arrayContaining(['list', 'patch']),
          categories: [],
        },
      ]);
      const discovered = (await gateway.discover()).resources;
      expect(find(discovered, (r) => r.kind === kind).map((r) => r.plural)).toEqual([plural]);
      expect(find(discovered, (r) => r.shortNames.includes(shortName)).map((r) => r.plural)).toEqual([plural]);

      // Its objects are read and written like any other kind's, with no code for it.
      const type = { group, version: 'v1', plural, namespace: ns };
      const applied = await gateway.apply(
        { ...type, name: 'one' },
        { apiVersion: `${group}/v1`, kind, metadata: { name: 'one' }, spec: { size: 3 } },
        { fieldManager: 'clusterhub-test' },
      );
      expect(applied).toMatchObject({ created: true, object: { spec: { size: 3 } } });
      expect((await gateway.list(type)).items.map((o) => o.metadata?.name)).toEqual(['one']);
    } finally {
      await extensions.deleteCustomResourceDefinition({ name: `${plural}.${group}` });
    }
  });
});

describe('objects of any kind', () => {
  it('lists page by page with no duplicate and no gap, filtered by label and field selectors', async () => {
    const names = Array.from({ length: 11 }, (_, i) => `cm-${String(i).padStart(2, '0')}`);
    for (const name of names) await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels: { set: 'paged' } } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'other', labels: { set: 'other' } } } });

    const seen: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const page = await gateway.list(configMaps(ns), { labelSelector: 'set=paged', limit: 4, ...(next ? { continue: next } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.items.map((o) => o.metadata!.name!));
      next = page.continue;
      pages++;
    } while (next);
    expect(pages).toBe(3);
    expect(seen).toEqual(names); // in order, each once, none missing

    const one = await gateway.list(configMaps(ns), { fieldSelector: 'metadata.name=other' });
    expect(one.items.map((o) => o.metadata?.name)).toEqual(['other']);
    expect(one.continue).toBeUndefined();
  });

  it('patches with a JSON merge patch, a JSON patch and a strategic merge patch, each with its own semantics', async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'patched' }, data: { a: '1', b: '2' } } });
    const ref = { ...configMaps(ns), name: 'patched' };
    // Merge patch: null removes a key, the rest merges.
    const merged = await gateway.patch(ref, 'merge', { data: { a: '10', b: null, c: '3' } });
    expect(merged.object.data).toEqual({ a: '10', c: '3' });
    // JSON patch: operations, with a test that must hold.
    const patched = await gateway.patch(ref, 'json', [
      { op: 'test', path: '/data/a', value: '10' },
      { op: 'add', path: '/data/d', value: '4' },
      { op: 'remove', path: '/data/c' },
    ]);
    expect(patched.object.data).toEqual({ a: '10', d: '4' });
    expect((await core.readNamespacedConfigMap({ name: 'patched', namespace: ns })).data).toEqual({ a: '10', d: '4' });

    // Strategic merge: containers are merged by name, where a merge patch would replace the list.
    const labels = { app: 'two' };
    const containers = [
      { name: 'app', image: 'registry.k8s.io/pause:3.9' },
      { name: 'sidecar', image: 'registry.k8s.io/pause:3.9' },
    ];
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: { metadata: { name: 'two' }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers } } } },
    });
    const deployment = { ...deployments(ns), name: 'two' };
    const strategic = await gateway.patch(deployment, 'strategic-merge', {
      spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] } } },
    });
    const images = (o: KubernetesObject) =>
      (o as { spec: { template: { spec: { containers: Array<{ name: string; image: string }> } } } }).spec.template.spec.containers.map(
        (c) => `${c.name}=${c.image}`,
      );
    expect(images(strategic.object)).toEqual(['app=registry.k8s.io/pause:3.10', 'sidecar=registry.k8s.io/pause:3.9']);
    const live = await apps.readNamespacedDeployment({ name: 'two', namespace: ns });
    expect(live.spec!.template.spec!.containers.map((c) => c.image)).toEqual(['registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.9']);
    // A failed JSON patch test is the cluster's refusal, typed.
    const failed = await refusalOf(gateway.patch(ref, 'json', [{ op: 'test', path: '/data/a', value: 'nope' }]));
    expect(failed.kind).toBe('unprocessable');
  });

  it("applies server-side: created, then unchanged; a dry run changes nothing; another manager's field conflicts unless forced", async () => {
    const ref = { ...configMaps(ns), name: 'applied' };
    const desired = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: ns }, data: { mode: 'a' } };
    const first = await gateway.apply(ref, desired, { fieldManager: 'clusterhub-test' });
    expect(first).toMatchObject({ created: true, object: { data: { mode: 'a' } } });
    const again = await gateway.apply(ref, desired, { fieldManager: 'clusterhub-test' });
    expect(again.created).toBe(false);
    expect(again.object.metadata?.resourceVersion).toBe(first.object.metadata?.resourceVersion); // nothing was written

    const dry = await gateway.apply(ref, { ...desired, data: { mode: 'b' } }, { fieldManager: 'clusterhub-test', dryRun: true });
    expect(dry.object.data).toEqual({ mode: 'b' });
    expect((await core.readNamespacedConfigMap({ name: 'applied', namespace: ns })).data).toEqual({ mode: 'a' });
    const dryCreate = await gateway.apply(
      { ...ref, name: 'never' },
      { ...desired, metadata: { name: 'never' } },
      { fieldManager: 'clusterhub-test', dryRun: true },
    );
    expect(dryCreate.created).toBe(true);
    expect((await refusalOf(gateway.get({ ...ref, name: 'never' }))).kind).toBe('not_found');

    // 409: the field belongs to another manager.
    const conflict = await refusalOf(gateway.apply(ref, { ...desired, data: { mode: 'c' } }, { fieldManager: 'someone-else' }));
    expect(conflict).toMatchObject({
      kind: 'conflict',
      details: { status: 409, reason: 'Conflict', verb: 'patch', resource: { group: '', version: 'v1', plural: 'configmaps', namespace: ns, name: 'applied' } },
    });
    expect(conflict.details.causes.length).toBeGreaterThan(0);
    expect(conflict.details.causes[0]).toMatchObject({ field: '.data.mode' });
    const forced = await gateway.apply(ref, { ...desired, data: { mode: 'c' } }, { fieldManager: 'someone-else', force: true });
    expect(forced.object.data).toEqual({ mode: 'c' });
  });

  it('deletes with a propagation policy and a grace period, a dry run leaving the object; then the object is not found', async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'doomed' } } });
    const ref = { ...configMaps(ns), name: 'doomed' };
    await gateway.delete(ref, { dryRun: true });
    expect((await gateway.get(ref)).object.metadata?.name).toBe('doomed');
    const deleted = await gateway.delete(ref, { propagationPolicy: 'Foreground', gracePeriodSeconds: 0 });
    expect(deleted.warnings).toEqual([]);
    await expect(core.readNamespacedConfigMap({ name: 'doomed', namespace: ns })).rejects.toMatchObject({ code: 404 });

    const missing = await refusalOf(gateway.get(ref));
    expect(missing).toMatchObject({
      kind: 'not_found',
      details: { status: 404, reason: 'NotFound', verb: 'get', resource: { plural: 'configmaps', namespace: ns, name: 'doomed' } },
    });
    expect(missing.message).toMatch(/"doomed" not found/);
    expect((await refusalOf(gateway.delete(ref))).kind).toBe('not_found');
  });

  it("answers the cluster's refusals typed: 409, 422 with its causes, 403 with the verb and resource", async () => {
    // 409 outside apply: a patch that names a resourceVersion the object no longer has.
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'versioned' }, data: { v: '1' } } });
    const ref = { ...configMaps(ns), name: 'versioned' };
    const stale = await refusalOf(gateway.patch(ref, 'merge', { metadata: { resourceVersion: '1' }, data: { v: '2' } }));
    expect(stale).toMatchObject({ kind: 'conflict', details: { status: 409, reason: 'Conflict' } });

    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'scaled' },
        spec: {
          selector: { matchLabels: { app: 's' } },
          template: { metadata: { labels: { app: 's' } }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } },
        },
      },
    });
    const invalid = await refusalOf(gateway.patch({ ...deployments(ns), name: 'scaled' }, 'merge', { spec: { replicas: -1 } }));
    expect(invalid).toMatchObject({ kind: 'unprocessable', details: { status: 422, reason: 'Invalid', verb: 'patch' } });
    expect(invalid.details.causes).toContainEqual(expect.objectContaining({ field: 'spec.replicas', reason: 'FieldValueInvalid' }));

    // The restricted user of the test bed may read in team-a only.
    const restricted = gatewayFor(checkKubeconfig({ text: readFileSync(alpha.restrictedKubeconfig!, 'utf8') }, policy));
    const forbidden = await refusalOf(restricted.get({ ...configMaps('kube-system'), name: 'kube-root-ca.crt' }));
    expect(forbidden).toMatchObject({
      kind: 'forbidden',
      details: {
        status: 403,
        reason: 'Forbidden',
        verb: 'get',
        resource: { group: '', version: 'v1', plural: 'configmaps', namespace: 'kube-system', name: 'kube-root-ca.crt' },
      },
    });
    expect(forbidden.message).toMatch(/cannot get resource "configmaps"/);
    expect((await refusalOf(restricted.list({ group: 'apps', version: 'v1', plural: 'deployments' }))).details).toMatchObject({ verb: 'list', status: 403 });
    expect((await restricted.list(configMaps('team-a'))).items).toBeInstanceOf(Array);
  });

  it("returns the cluster's Warning headers with the answer (v1 Endpoints is deprecated in 1.33)", async () => {
    const endpoints = await gateway.list({ group: '', version: 'v1', plural: 'endpoints', namespace: 'default' });
    expect(endpoints.warnings).toEqual([expect.stringMatching(/^v1 Endpoints is deprecated in v1\.33\+; use discovery\.k8s\.io\/v1 EndpointSlice$/)]);
    const direct = await core.listNamespacedEndpoints({ namespace: 'default' });
    expect(endpoints.items.map((e) => e.metadata?.name)).toEqual(direct.items.map((e) => e.metadata?.name));
    expect((await gateway.list(configMaps(ns), { limit: 1 })).warnings).toEqual([]);
  });

  it('refuses a resource named with path tricks before anything is sent', async () => {
    await expect(gateway.get({ ...configMaps(ns), name: '..' })).rejects.toBeInstanceOf(InputError);
    await expect(gateway.list({ group: '', version: 'v1', plural: '../secrets' })).rejects.toBeInstanceOf(InputError);
    await expect(gateway.list({ group: 'apps/v1/../..', version: 'v1', plural: 'x' })).rejects.toBeInstanceOf(InputError);
    // A name with a slash is one encoded segment: not found, not another path.
    expect((await refusalOf(gateway.get({ ...configMaps(ns), name: 'a/b' }))).kind).toBe('not_found');
  });
});
