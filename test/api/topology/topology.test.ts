/**
 * The topology group over real HTTP against a test bed cluster (issue 16): the fixture
 * application is applied, the controllers and kwok run its pods, and the graph, the blast radius
 * of its Secret and every export format are checked against it. A second registration of the
 * same cluster acts as the caller, so the cluster's RBAC decides what the graph may show.
 */
import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';
import { expectedEdges, FIXTURE_SECRET_VALUES, fixtureManifests, fixtureNames } from '#test/support/topology-fixture.ts';
import { edgeText } from '#test/support/topology-observed.ts';

let hub: TestHub;
let admin: Record<string, string>;
let viewer: Record<string, string>;
let clusterId: string;
let asCallerId: string;
const [alpha] = testClusters();
const direct = directClient(alpha!.adminKubeconfig);
const objects = k8s.KubernetesObjectApi.makeApiClient(direct.kc);
const names = fixtureNames(`topology-test-${randomBytes(3).toString('hex')}`);
const ns = names.namespace;
const manifests = fixtureManifests(names);

interface Graph {
  nodes: Array<{ id: string; kind: string; name: string; namespace: string | null; position: { x: number; y: number }; health: string }>;
  edges: Array<{ id: string; source: string; target: string; relationship: string; derivation: string }>;
  metadata: Record<string, unknown> & { warnings: Array<{ code: string; message: string }> };
  distance?: Record<string, number>;
}

async function getGraph(path: string, headers = viewer, id = clusterId): Promise<{ status: number; body: Graph & Record<string, unknown> }> {
  const res = await hub.fetch(`/api/v1/clusters/${id}${path}`, { headers });
  return { status: res.status, body: await json(res) };
}

const exportAs = (body: unknown, headers = viewer) => hub.fetch(`/api/v1/clusters/${clusterId}/topology/export`, jsonPost(body, headers));

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  hub = await startTestHub();
  for (const value of FIXTURE_SECRET_VALUES) hub.rememberSecret(value, 'fixture Secret value');
  const adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  admin = bearer(adminToken);
  const { password } = await createUser(hub, adminToken, 'tina', 'viewer');
  viewer = bearer((await login(hub, 'tina', password)).access_token);
  clusterId = (await json(await hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha', kubeconfig: alpha!.adminKubeconfig }, admin)))).id;
  asCallerId = (await json(await hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha-as-caller', kubeconfig: alpha!.adminKubeconfig }, admin)))).id;
  const patched = await hub.fetch(`/api/v1/clusters/${asCallerId}`, {
    method: 'PATCH',
    headers: { ...admin, 'Content-Type': 'application/json' },
    body: JSON.stringify({ impersonate: true }),
  });
  expect(patched.status).toBe(200);

  for (const manifest of manifests) await objects.create(manifest as k8s.KubernetesObject);
  // The cluster lets the hub's viewers read the namespace (view: no Secrets), and nothing elsewhere.
  await direct.rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: 'clusterhub-viewers' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'clusterhub:viewer' }],
    },
  });
  // The controllers make the ReplicaSet, the pods and the slice; kwok runs the pods; the claim binds.
  await eventually(
    async () => ({
      pods: (await direct.core.listNamespacedPod({ namespace: ns })).items.filter((p) => p.status?.phase === 'Running' && p.spec?.nodeName).length,
      slices: (await direct.kc.makeApiClient(k8s.DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: ns })).items.length,
      claim: (await direct.core.readNamespacedPersistentVolumeClaim({ namespace: ns, name: 'data' })).status?.phase,
    }),
    (s) => s.pods === 2 && s.slices === 1 && s.claim === 'Bound',
    'the fixture application to run',
  );
}, 120_000);

afterAll(async () => {
  await direct.core.deleteNamespace({ name: ns }).catch(() => undefined);
  await direct.core.deletePersistentVolume({ name: names.volume }).catch(() => undefined);
  await direct.kc
    .makeApiClient(k8s.StorageV1Api)
    .deleteStorageClass({ name: names.storageClass })
    .catch(() => undefined);
  await hub?.stop();
});

describe('GET /topology', () => {
  it('has every edge the fixture application implies, each with its relationship, and none that is not there', async () => {
    const { status, body } = await getGraph(`/topology?namespace=${ns}`);
    expect(status).toBe(200);
    const roleBinding = `RoleBinding/${ns}/clusterhub-viewers`;
    const actual = new Set(body.edges.filter((e) => e.source !== roleBinding && e.target !== roleBinding).map(edgeText));
    const expected = new Set(expectedEdges(names, true));
    expect([...actual].filter((t) => !expected.has(t)).sort()).toEqual([]);
    expect([...expected].filter((t) => !actual.has(t)).sort()).toEqual([]);
    // The binding the test made names a group, which is no object: it grants the ClusterRole, nothing else.
    expect(body.edges.filter((e) => e.source === roleBinding).map((e) => `${e.relationship} ${e.target}`)).toEqual(['permits ClusterRole/view']);
    expect(body).toMatchObject({
      schema_version: '1.0',
      metadata: { cluster_id: clusterId, namespace: ns, is_complete: true, source: 'live', collapsed: null },
    });
    expect(body.metadata.node_count).toBe(body.nodes.length);
  });

  it('keeps to the namespace: cluster-scoped objects only as its objects name them, and no Secret value anywhere', async () => {
    const res = await hub.fetch(`/api/v1/clusters/${clusterId}/topology?namespace=${ns}`, { headers: viewer });
    const text = await res.text();
    for (const value of FIXTURE_SECRET_VALUES) expect(text).not.toContain(value);
    const body = JSON.parse(text) as Graph;
    expect(body.nodes.every((n) => n.namespace === ns || n.namespace === null)).toBe(true);
    // Its two pods may run on two nodes: kinds counted once.
    const clusterScoped = [...new Set(body.nodes.filter((n) => n.namespace === null).map((n) => n.kind))].sort();
    expect(clusterScoped).toEqual(['ClusterRole', 'Namespace', 'Node', 'PersistentVolume', 'StorageClass']);
    const secret = body.nodes.find((n) => n.id === `Secret/${ns}/app-secret`)!;
    expect(Object.keys(secret).sort()).toEqual(['api_version', 'health', 'id', 'kind', 'labels', 'name', 'namespace', 'position', 'status', 'uid']);
  });

  it('shows only the kinds asked for, and answers 400 naming an unknown kind', async () => {
    const { body } = await getGraph(`/topology?namespace=${ns}&kinds=Ingress,services,Pod`);
    expect([...new Set(body.nodes.map((n) => n.kind))].sort()).toEqual(['Ingress', 'Pod', 'Service']);
    expect([...new Set(body.edges.map(edgeText))].sort()).toEqual([`Ingress/${ns}/web routes Service/${ns}/web`, `Service/${ns}/web selects Pod:*`]);
    const bad = await getGraph(`/topology?kinds=Pod,Gizmo`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('unknown kind Gizmo');
  });

  it('folds pods and ReplicaSets into the Deployment above max_nodes, and truncates (is_complete false) when that is not enough', async () => {
    const full = (await getGraph(`/topology?namespace=${ns}`)).body;
    const folded = (await getGraph(`/topology?namespace=${ns}&max_nodes=${full.nodes.length - 1}`)).body;
    expect(folded.metadata.collapsed).toEqual({ pods: 2, replicasets: 1, jobs: 0, into: 1 });
    expect(folded.nodes.find((n) => n.id === `Deployment/${ns}/web`)).toMatchObject({ collapsed: { pods: 2, replicasets: 1 } });
    expect(folded.edges.some((e) => e.source === `Deployment/${ns}/web` && e.target === `Secret/${ns}/app-secret`)).toBe(true);
    const cut = (await getGraph(`/topology?namespace=${ns}&max_nodes=5&collapse=false`)).body;
    expect(cut.nodes).toHaveLength(5);
    expect(cut.metadata).toMatchObject({ is_complete: false, collapsed: null, truncated: { omitted_nodes: full.nodes.length - 5 } });
    expect((await getGraph(`/topology?max_nodes=${5001}`)).status).toBe(400);
  });

  it('answers 422 TOPOLOGY_TOO_LARGE past HUB_TOPOLOGY_MAX_OBJECTS rather than holding a huge cluster', async () => {
    const small = await startTestHub({ HUB_TOPOLOGY_MAX_OBJECTS: '100' }, { instanceOf: hub });
    try {
      const res = await small.fetch(`/api/v1/clusters/${clusterId}/topology`, { headers: viewer });
      expect(res.status).toBe(422);
      expect(await json(res)).toMatchObject({ code: 'TOPOLOGY_TOO_LARGE', max_objects: 100 });
      const one = await small.fetch(`/api/v1/clusters/${clusterId}/topology?namespace=${ns}`, { headers: viewer });
      expect(one.status).toBe(200);
    } finally {
      await small.stop();
    }
  });
});

describe('GET /topology/resource', () => {
  it('the blast radius of the Secret lists its pods, their ReplicaSet and Deployment, and what fronts them', async () => {
    const { status, body } = await getGraph(`/topology/resource/Secret/${ns}/app-secret?direction=dependents`);
    expect(status).toBe(200);
    const ids = body.nodes.map((n) => n.id.replace(/\/web-[a-z0-9-]+$/, '/web-*'));
    expect([...new Set(ids)].sort()).toEqual(
      [
        `Deployment/${ns}/web`,
        `EndpointSlice/${ns}/web-*`,
        `HorizontalPodAutoscaler/${ns}/web`,
        `Ingress/${ns}/web`,
        `Pod/${ns}/web-*`,
        `ReplicaSet/${ns}/web-*`,
        `Secret/${ns}/app-secret`,
        `Service/${ns}/web`,
      ].sort(),
    );
    expect(body.nodes.filter((n) => n.kind === 'Pod')).toHaveLength(2);
    expect(body.metadata).toMatchObject({ root: `Secret/${ns}/app-secret`, direction: 'dependents', depth: 10 });
    // One hop, not three through its pods: the Deployment's pod template names the Secret itself.
    expect(body.distance![`Deployment/${ns}/web`]).toBe(1);
    expect(body.edges.find((e) => e.source === `Deployment/${ns}/web` && e.target === `Secret/${ns}/app-secret`)?.derivation).toBe(
      'spec.template.spec.containers[web].env[PASSWORD].secretKeyRef',
    );
  });

  it('what a claim needs is its volume and class; a cluster-scoped root uses -; wrong scopes and unknown objects are refused', async () => {
    const needs = (await getGraph(`/topology/resource/persistentvolumeclaims/${ns}/data?direction=dependencies&depth=3`)).body;
    expect(needs.nodes.map((n) => n.id).sort()).toEqual([
      `Namespace/${ns}`,
      `PersistentVolume/${names.volume}`,
      `PersistentVolumeClaim/${ns}/data`,
      `StorageClass/${names.storageClass}`,
    ]);
    // A class gone strands its volumes and claims, and (one hop further) the pods that mount them.
    const storageClass = await getGraph(`/topology/resource/StorageClass/-/${names.storageClass}?direction=dependents&depth=1`);
    expect(storageClass.status).toBe(200);
    expect(storageClass.body.nodes.map((n) => n.kind).sort()).toEqual(['PersistentVolume', 'PersistentVolumeClaim', 'StorageClass']);
    const further = (await getGraph(`/topology/resource/StorageClass/-/${names.storageClass}?direction=dependents&depth=2`)).body;
    expect(further.nodes.filter((n) => n.kind === 'Pod')).toHaveLength(2);
    // A namespace's blast radius is everything in it, read from that namespace alone.
    const all = (await getGraph(`/topology?namespace=${ns}`)).body;
    const gone = (await getGraph(`/topology/resource/Namespace/-/${ns}?direction=dependents&depth=1`)).body;
    expect(gone.nodes.map((n) => n.id).sort()).toEqual(
      all.nodes
        .filter((n) => n.namespace === ns || n.id === `Namespace/${ns}`)
        .map((n) => n.id)
        .sort(),
    );
    expect((await getGraph(`/topology/resource/Secret/-/app-secret`)).status).toBe(400);
    expect((await getGraph(`/topology/resource/StorageClass/${ns}/${names.storageClass}`)).status).toBe(400);
    expect((await getGraph(`/topology/resource/Secret/${ns}/no-such-secret`)).status).toBe(404);
    expect((await getGraph(`/topology/resource/Gizmo/${ns}/x`)).status).toBe(400);
  });
});

describe('exports', () => {
  const attachment = (res: Response, extension: string) => {
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="topology-alpha-namespace-${ns}\\.${extension}"$`));
  };

  it('SVG: parses, one box per node of the graph, no Secret value, byte-identical when exported twice', async () => {
    const graph = (await getGraph(`/topology?namespace=${ns}`)).body;
    const first = await exportAs({ format: 'svg', namespace: ns });
    attachment(first, 'svg');
    expect(first.headers.get('content-type')).toBe('image/svg+xml');
    const svg = await first.text();
    expect(XMLValidator.validate(svg)).toBe(true);
    const titles = (new XMLParser().parse(svg).svg.g as Array<{ title?: unknown }>).map((g) => g.title).filter((t) => typeof t === 'string');
    expect(titles.sort()).toEqual(graph.nodes.map((n) => n.id).sort());
    for (const value of FIXTURE_SECRET_VALUES) expect(svg).not.toContain(value);
    expect(await (await exportAs({ format: 'svg', namespace: ns })).text()).toBe(svg);
  });

  it('PNG: the PNG signature, decoded to the size the SVG states, and byte-identical when exported twice', async () => {
    const svg = await (await exportAs({ format: 'svg', namespace: ns })).text();
    const [width, height] = [/ width="(\d+)"/, / height="(\d+)"/].map((re) => Number(re.exec(svg)![1]));
    const res = await exportAs({ format: 'png', namespace: ns });
    attachment(res, 'png');
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = Buffer.from(await res.arrayBuffer());
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([width, height]);
    expect(Buffer.from(await (await exportAs({ format: 'png', namespace: ns })).arrayBuffer()).equals(png)).toBe(true);
  });

  it('draw.io: parses with one cell per node and per edge, the same by POST and by GET, byte-identical twice', async () => {
    const graph = (await getGraph(`/topology?namespace=${ns}`)).body;
    const res = await exportAs({ format: 'drawio', namespace: ns });
    attachment(res, 'drawio');
    const xml = await res.text();
    expect(XMLValidator.validate(xml)).toBe(true);
    const cells = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml).mxfile.diagram.mxGraphModel.root.mxCell as Array<
      Record<string, string>
    >;
    expect(cells.filter((c) => c.vertex === '1')).toHaveLength(graph.nodes.length);
    expect(cells.filter((c) => c.edge === '1')).toHaveLength(graph.edges.length);
    const byGet = await hub.fetch(`/api/v1/clusters/${clusterId}/topology/export/drawio?namespace=${ns}`, { headers: viewer });
    attachment(byGet, 'drawio');
    expect(await byGet.text()).toBe(xml);
  });

  it('JSON of a resource subgraph; an unknown format answers 400; the export is audited', async () => {
    const res = await exportAs({ format: 'json', resource: { kind: 'Secret', namespace: ns, name: 'app-secret', direction: 'dependents' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="topology-alpha-Secret-.+\.json"$/);
    const body = JSON.parse(await res.text()) as Graph;
    expect(body.metadata.root).toBe(`Secret/${ns}/app-secret`);
    expect((await exportAs({ format: 'pdf' })).status).toBe(400);
    const audit = await json(await hub.fetch(`/api/v1/audit-log?action=topology.export`, { headers: admin }));
    expect(audit.items.length).toBeGreaterThanOrEqual(1);
    expect(audit.items[0]).toMatchObject({ action: 'topology.export', username: 'tina' });
  });
});

describe('as the caller (impersonate)', () => {
  it("shows what the cluster lets the caller see: the namespace's objects but not its Secrets, with a warning", async () => {
    const { status, body } = await getGraph(`/topology?namespace=${ns}`, viewer, asCallerId);
    expect(status).toBe(200);
    expect(body.nodes.some((n) => n.kind === 'Pod')).toBe(true);
    expect(body.nodes.some((n) => n.kind === 'Secret')).toBe(false);
    expect(body.metadata.is_complete).toBe(false);
    expect(body.metadata.warnings.map((w) => w.code)).toContain('KIND_FORBIDDEN');
    expect(body.metadata.warnings.find((w) => w.message.startsWith('Secret'))).toBeDefined();
  });

  it('across the cluster the caller may list nothing namespaced, and the graph says so instead of failing', async () => {
    const { status, body } = await getGraph('/topology', viewer, asCallerId);
    expect(status).toBe(200);
    expect(body.nodes.some((n) => n.kind === 'Pod')).toBe(false);
    expect(body.metadata.warnings.some((w) => w.message.startsWith('Pod'))).toBe(true);
  });
});
