/**
 * The fixture application as a cluster would list it once running: uids, the Deployment's
 * ReplicaSet and two pods on a node, the Service's EndpointSlice, and one pod of another app
 * (selected by the empty NetworkPolicy only). For tests of the graph that need no cluster.
 */
import type { KubernetesObject } from '#shared/ports/cluster-gateway.ts';
import { fixtureManifests, type FixtureNames } from './topology-fixture.ts';

const uid = (kind: string, name: string) => `uid-${kind}-${name}`;

export function observedFixture(names: FixtureNames): KubernetesObject[] {
  const { namespace } = names;
  const manifests = fixtureManifests(names).map((m) => {
    const { stringData, ...rest } = m as KubernetesObject & { stringData?: Record<string, string> };
    const data = stringData ? { data: Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) } : {};
    return { ...rest, ...data, metadata: { ...m.metadata, uid: uid(m.kind!, m.metadata!.name!) } } as KubernetesObject;
  });
  // What the controllers report once it runs.
  const status: Record<string, unknown> = {
    Deployment: { readyReplicas: 2, availableReplicas: 2 },
    PersistentVolumeClaim: { phase: 'Bound' },
    PersistentVolume: { phase: 'Bound' },
    Namespace: { phase: 'Active' },
  };
  for (const m of manifests) if (status[m.kind!]) m.status = status[m.kind!];
  const deployment = manifests.find((m) => m.kind === 'Deployment')!;
  const template = (deployment.spec as { template: { spec: Record<string, unknown> } }).template.spec;
  const controller = (kind: string, name: string) => [{ apiVersion: 'v1', kind, name, uid: uid(kind, name), controller: true }];
  const running = { phase: 'Running', podIP: '10.0.0.7', containerStatuses: [{ name: 'web', ready: true }] };
  const pods = ['web-5d8f-a1', 'web-5d8f-b2'].map((name) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: uid('Pod', name),
      labels: { app: 'web', 'pod-template-hash': '5d8f' },
      ownerReferences: controller('ReplicaSet', 'web-5d8f'),
    },
    spec: { ...template, nodeName: 'kwok-node-0' },
    status: running,
  }));
  return [
    ...manifests,
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-5d8f', namespace, uid: uid('ReplicaSet', 'web-5d8f'), labels: { app: 'web' }, ownerReferences: controller('Deployment', 'web') },
      spec: { replicas: 2 },
      status: { readyReplicas: 2, availableReplicas: 2 },
    },
    ...pods,
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'other', namespace, uid: uid('Pod', 'other'), labels: { app: 'other' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }], serviceAccountName: 'app-sa-missing' },
      status: { phase: 'Pending' },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'web-x7k2p',
        namespace,
        uid: uid('EndpointSlice', 'web-x7k2p'),
        labels: { 'kubernetes.io/service-name': 'web' },
        ownerReferences: controller('Service', 'web'),
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'kwok-node-0', uid: uid('Node', 'kwok-node-0') },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    },
  ];
}

/** An edge as `source relationship target`, the web pods, their ReplicaSet, the slice and the node written as patterns. */
export function edgeText(edge: { source: string; relationship: string; target: string }): string {
  const pattern = (id: string) =>
    id
      .replace(/^Pod\/[^/]+\/web-[^/]+$/, 'Pod:*')
      .replace(/^ReplicaSet\/[^/]+\/web-[^/]+$/, 'ReplicaSet:*')
      .replace(/^EndpointSlice\/[^/]+\/web-[^/]+$/, 'EndpointSlice:*')
      .replace(/^Node\/.+$/, 'Node:*');
  return `${pattern(edge.source)} ${edge.relationship} ${pattern(edge.target)}`;
}
