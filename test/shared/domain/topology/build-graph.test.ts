import { describe, expect, it } from 'vitest';
import { buildGraph } from '#shared/domain/topology/build-graph.ts';
import type { KubernetesObject } from '#shared/ports/cluster-gateway.ts';
import { expectedEdges, FIXTURE_SECRET_VALUES, fixtureNames } from '#test/support/topology-fixture.ts';
import { edgeText, observedFixture } from '#test/support/topology-observed.ts';

const names = fixtureNames('shop');
const graph = buildGraph(observedFixture(names));
const texts = new Set(graph.edges.map(edgeText));

describe('the graph of the fixture application', () => {
  it('has every expected edge, and none that is not there', () => {
    const expected = new Set([...expectedEdges(names), 'Namespace/shop contains Pod/shop/other', 'NetworkPolicy/shop/default-deny selects Pod/shop/other']);
    expect([...texts].filter((t) => !expected.has(t)).sort()).toEqual([]);
    expect([...expected].filter((t) => !texts.has(t)).sort()).toEqual([]);
  });

  it('names the field of each edge, one edge per field', () => {
    const fields = (target: string) =>
      graph.edges
        .filter((e) => e.source === 'Pod/shop/web-5d8f-a1' && e.target === target)
        .map((e) => e.derivation)
        .sort();
    expect(fields('Secret/shop/app-secret')).toEqual(['spec.containers[web].env[PASSWORD].secretKeyRef']);
    expect(fields('Secret/shop/bundle-secret')).toEqual(['spec.volumes[bundle].projected.sources[1].secret']);
    expect(fields('Secret/shop/regcred')).toEqual(['spec.imagePullSecrets[regcred]']);
    expect(fields('ConfigMap/shop/app-config')).toEqual(['spec.initContainers[init].envFrom[0].configMapRef']);
    expect(fields('PersistentVolumeClaim/shop/data')).toEqual(['spec.volumes[data].persistentVolumeClaim']);
    const ingress = graph.edges.find((e) => e.source === 'Ingress/shop/web')!;
    expect(ingress).toMatchObject({ relationship: 'routes', label: 'routes to', derivation: 'spec.rules[0].http.paths[0].backend' });
  });

  it('keeps Secret values out: a Secret node carries its name and labels only', () => {
    const text = JSON.stringify(graph);
    for (const value of FIXTURE_SECRET_VALUES) expect(text).not.toContain(value);
    for (const value of FIXTURE_SECRET_VALUES) expect(text).not.toContain(Buffer.from(value).toString('base64'));
    expect(Object.keys(graph.nodes.find((n) => n.id === 'Secret/shop/app-secret')!).sort()).toEqual(
      ['api_version', 'health', 'id', 'kind', 'labels', 'name', 'namespace', 'status', 'uid'].sort(),
    );
  });

  it('shows the facts of each kind: replicas, pod IP and node, service type, phases', () => {
    const node = (id: string) => graph.nodes.find((n) => n.id === id)!;
    expect(node('Deployment/shop/web')).toMatchObject({ replicas: { desired: 2, ready: 2, available: 2 }, health: 'healthy' });
    expect(node('PersistentVolumeClaim/shop/data')).toMatchObject({ status: 'Bound', health: 'healthy' });
    expect(node('ReplicaSet/shop/web-5d8f')).toMatchObject({ replicas: { desired: 2, ready: 2 }, health: 'healthy' });
    expect(node('Pod/shop/web-5d8f-a1')).toMatchObject({ status: 'Running', health: 'healthy', pod_ip: '10.0.0.7', node_name: 'kwok-node-0' });
    expect(node('Pod/shop/other')).toMatchObject({ status: 'Pending', health: 'warning' });
    expect(node('Service/shop/web')).toMatchObject({ service_type: 'ClusterIP' });
    expect(node('Node/kwok-node-0')).toMatchObject({ namespace: null, status: 'Ready' });
  });

  it('is the same whatever order the objects come in', () => {
    const reversed = buildGraph([...observedFixture(names)].reverse());
    expect(reversed).toEqual(graph);
  });
});

describe('selectors', () => {
  const pod = (name: string, labels: Record<string, string>): KubernetesObject => ({ kind: 'Pod', metadata: { name, namespace: 'n', labels } });
  const pods = [pod('a', { app: 'a', tier: 'web' }), pod('b', { app: 'b', tier: 'web' }), pod('c', { app: 'c' })];
  const selected = (object: KubernetesObject) =>
    buildGraph([...pods, object])
      .edges.filter((e) => e.source.startsWith(`${object.kind}/`))
      .map((e) => e.target)
      .sort();

  it('a Service without a selector, or with an empty one, selects no pod', () => {
    expect(selected({ kind: 'Service', metadata: { name: 's', namespace: 'n' }, spec: {} })).toEqual([]);
    expect(selected({ kind: 'Service', metadata: { name: 's', namespace: 'n' }, spec: { selector: {} } })).toEqual([]);
    expect(selected({ kind: 'Service', metadata: { name: 's', namespace: 'n' }, spec: { selector: { tier: 'web', app: 'b' } } })).toEqual(['Pod/n/b']);
  });

  it('an empty PodDisruptionBudget or NetworkPolicy selector selects every pod of the namespace, a missing one none', () => {
    expect(selected({ kind: 'PodDisruptionBudget', metadata: { name: 'p', namespace: 'n' }, spec: { selector: {} } })).toEqual([
      'Pod/n/a',
      'Pod/n/b',
      'Pod/n/c',
    ]);
    expect(selected({ kind: 'PodDisruptionBudget', metadata: { name: 'p', namespace: 'n' }, spec: {} })).toEqual([]);
    expect(selected({ kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'other' }, spec: { podSelector: {} } })).toEqual([]);
  });

  it('matchExpressions: In, NotIn, Exists, DoesNotExist; an unknown operator selects nothing', () => {
    const np = (matchExpressions: unknown[]) => ({
      kind: 'NetworkPolicy',
      metadata: { name: 'p', namespace: 'n' },
      spec: { podSelector: { matchExpressions } },
    });
    expect(selected(np([{ key: 'app', operator: 'In', values: ['a', 'c'] }]))).toEqual(['Pod/n/a', 'Pod/n/c']);
    expect(selected(np([{ key: 'app', operator: 'NotIn', values: ['a'] }]))).toEqual(['Pod/n/b', 'Pod/n/c']);
    expect(selected(np([{ key: 'tier', operator: 'Exists' }]))).toEqual(['Pod/n/a', 'Pod/n/b']);
    expect(selected(np([{ key: 'tier', operator: 'DoesNotExist' }]))).toEqual(['Pod/n/c']);
    expect(selected(np([{ key: 'tier', operator: 'Near' }]))).toEqual([]);
  });
});

describe('other relations', () => {
  const at = (objects: KubernetesObject[]) => new Set(buildGraph(objects).edges.map((e) => `${e.source} ${e.relationship} ${e.target} ${e.derivation}`));

  it('Gateway API: a Gateway routes to the HTTPRoutes attached to it, which route to Services; the Gateway uses its class', () => {
    const edges = at([
      { kind: 'GatewayClass', metadata: { name: 'gc' } },
      { kind: 'Gateway', metadata: { name: 'gw', namespace: 'infra' }, spec: { gatewayClassName: 'gc' } },
      {
        kind: 'HTTPRoute',
        metadata: { name: 'r', namespace: 'app' },
        spec: {
          parentRefs: [{ name: 'gw', namespace: 'infra' }],
          rules: [
            {
              backendRefs: [
                { name: 'svc', port: 80 },
                { name: 'x', kind: 'ServiceImport', group: 'multicluster.x-k8s.io' },
              ],
            },
          ],
        },
      },
      { kind: 'Service', metadata: { name: 'svc', namespace: 'app' } },
      { kind: 'ServiceImport', metadata: { name: 'x', namespace: 'app' } },
    ]);
    expect(edges).toEqual(
      new Set([
        'Gateway/infra/gw uses GatewayClass/gc spec.gatewayClassName',
        'Gateway/infra/gw routes HTTPRoute/app/r spec.parentRefs[0]',
        'HTTPRoute/app/r routes Service/app/svc spec.rules[0].backendRefs[0]',
      ]),
    );
  });

  it('Ingress default backend and TLS Secret; ClusterRoleBinding to its ClusterRole and namespaced accounts; HPA to a StatefulSet', () => {
    const edges = at([
      { kind: 'Ingress', metadata: { name: 'i', namespace: 'n' }, spec: { defaultBackend: { service: { name: 's' } }, tls: [{ secretName: 'cert' }] } },
      { kind: 'Service', metadata: { name: 's', namespace: 'n' } },
      { kind: 'Secret', metadata: { name: 'cert', namespace: 'n' } },
      {
        kind: 'ClusterRoleBinding',
        metadata: { name: 'b' },
        roleRef: { kind: 'ClusterRole', name: 'view' },
        subjects: [
          { kind: 'ServiceAccount', name: 'sa', namespace: 'n' },
          { kind: 'User', name: 'u' },
        ],
      },
      { kind: 'ClusterRole', metadata: { name: 'view' } },
      { kind: 'ServiceAccount', metadata: { name: 'sa', namespace: 'n' }, imagePullSecrets: [{ name: 'cert' }] },
      { kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: 'n' }, spec: { scaleTargetRef: { kind: 'StatefulSet', name: 'db' } } },
      { kind: 'StatefulSet', metadata: { name: 'db', namespace: 'n' } },
    ]);
    expect(edges).toEqual(
      new Set([
        'Ingress/n/i routes Service/n/s spec.defaultBackend',
        'Ingress/n/i uses Secret/n/cert spec.tls[0].secretName',
        'ClusterRoleBinding/b permits ClusterRole/view roleRef',
        'ClusterRoleBinding/b permits ServiceAccount/n/sa subjects[0]',
        'ServiceAccount/n/sa uses Secret/n/cert imagePullSecrets[cert]',
        'HorizontalPodAutoscaler/n/h manages StatefulSet/n/db spec.scaleTargetRef',
      ]),
    );
  });

  it('draws no edge to an object it did not see, and skips objects without kind or name', () => {
    const graph = buildGraph([
      { kind: 'Pod', metadata: { name: 'p', namespace: 'n' }, spec: { volumes: [{ name: 'v', secret: { secretName: 'gone' } }], nodeName: 'node-x' } },
      { metadata: { name: 'no-kind' } },
      { kind: 'Pod', metadata: {} },
    ]);
    expect(graph.nodes.map((n) => n.id)).toEqual(['Pod/n/p']);
    expect(graph.edges).toEqual([]);
  });
});

describe('pod templates', () => {
  it('a CronJob and a StatefulSet scaled to zero get edges to what their pod templates name, by the template field', () => {
    const template = {
      serviceAccountName: 'runner',
      volumes: [
        { name: 'keys', secret: { secretName: 'keys' } },
        { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
      ],
      containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'settings' } }] }],
    };
    const ns = (kind: string, name: string, extra: Record<string, unknown> = {}): KubernetesObject => ({ kind, metadata: { name, namespace: 'n' }, ...extra });
    const graph = buildGraph([
      ns('CronJob', 'nightly', { spec: { jobTemplate: { spec: { template: { spec: template } } } } }),
      ns('StatefulSet', 'db', { spec: { replicas: 0, template: { spec: { ...template, serviceAccountName: undefined } } } }),
      ns('Secret', 'keys'),
      ns('ConfigMap', 'settings'),
      ns('PersistentVolumeClaim', 'data'),
      ns('ServiceAccount', 'runner'),
      ns('ServiceAccount', 'default'),
    ]);
    const of = (source: string) =>
      graph.edges
        .filter((e) => e.source === source)
        .map((e) => `${e.relationship} ${e.target} ${e.derivation}`)
        .sort();
    expect(of('CronJob/n/nightly')).toEqual([
      'configures ConfigMap/n/settings spec.jobTemplate.spec.template.spec.containers[c].envFrom[0].configMapRef',
      'configures Secret/n/keys spec.jobTemplate.spec.template.spec.volumes[keys].secret',
      'mounts PersistentVolumeClaim/n/data spec.jobTemplate.spec.template.spec.volumes[data].persistentVolumeClaim',
      'uses ServiceAccount/n/runner spec.jobTemplate.spec.template.spec.serviceAccountName',
    ]);
    expect(of('StatefulSet/n/db')).toEqual([
      'configures ConfigMap/n/settings spec.template.spec.containers[c].envFrom[0].configMapRef',
      'configures Secret/n/keys spec.template.spec.volumes[keys].secret',
      'mounts PersistentVolumeClaim/n/data spec.template.spec.volumes[data].persistentVolumeClaim',
      'uses ServiceAccount/n/default spec.template.spec.serviceAccountName',
    ]);
  });
});
