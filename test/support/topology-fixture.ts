/**
 * The fixture application of issue 16: an Ingress to a Service to a Deployment whose pods have an
 * initContainer, a projected volume, env from a ConfigMap and a Secret, an imagePullSecret and a
 * claim bound to a volume of a StorageClass; an HPA, a NetworkPolicy with an empty selector, a
 * PodDisruptionBudget, a RoleBinding of a Role to the pods' ServiceAccount. Cluster-scoped names
 * carry the namespace, so tests running side by side do not meet.
 */
import type { KubernetesObject } from '#shared/ports/cluster-gateway.ts';

export interface FixtureNames {
  namespace: string;
  storageClass: string;
  volume: string;
}

export const fixtureNames = (namespace: string): FixtureNames => ({ namespace, storageClass: `${namespace}-sc`, volume: `${namespace}-pv` });

/** The manifests to apply, cluster-scoped ones first. */
export function fixtureManifests({ namespace, storageClass, volume }: FixtureNames): KubernetesObject[] {
  const meta = (name: string, labels?: Record<string, string>) => ({ name, namespace, ...(labels ? { labels } : {}) });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: storageClass },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'Immediate',
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: volume },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: storageClass,
        hostPath: { path: '/tmp/clusterhub-topology' },
        claimRef: { namespace, name: 'data' },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta('data'),
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: storageClass, volumeName: volume, resources: { requests: { storage: '1Gi' } } },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('app-config'), data: { MODE: 'fixture' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('bundle-config'), data: { 'app.yaml': 'a: 1' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('unused-config'), data: { x: 'y' } },
    { apiVersion: 'v1', kind: 'Secret', metadata: meta('app-secret'), type: 'Opaque', stringData: { password: 'fixture-secret-value-do-not-leak' } },
    { apiVersion: 'v1', kind: 'Secret', metadata: meta('bundle-secret'), type: 'Opaque', stringData: { token: 'fixture-bundle-token-do-not-leak' } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta('regcred'),
      type: 'kubernetes.io/dockerconfigjson',
      stringData: { '.dockerconfigjson': '{"auths":{"registry.example":{"auth":"Zml4dHVyZTpsZWFr"}}}' },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('app-sa') },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('web', { app: 'web' }),
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            serviceAccountName: 'app-sa',
            imagePullSecrets: [{ name: 'regcred' }],
            initContainers: [{ name: 'init', image: 'busybox:1.36', envFrom: [{ configMapRef: { name: 'app-config' } }] }],
            containers: [
              {
                name: 'web',
                image: 'nginx:1.25',
                env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } }],
                volumeMounts: [
                  { name: 'data', mountPath: '/data' },
                  { name: 'bundle', mountPath: '/bundle' },
                ],
              },
            ],
            volumes: [
              { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
              { name: 'bundle', projected: { sources: [{ configMap: { name: 'bundle-config' } }, { secret: { name: 'bundle-secret' } }] } },
            ],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80 }] } },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta('web'),
      spec: {
        rules: [{ host: 'web.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta('web'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 4,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
      },
    },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('default-deny'), spec: { podSelector: {}, policyTypes: ['Ingress'] } },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta('web'), spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta('app-reader'),
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('app-reader'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'app-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'app-sa', namespace }],
    },
  ];
}

/** Secret values of the fixture: none may appear in any answer or picture. */
export const FIXTURE_SECRET_VALUES = ['fixture-secret-value-do-not-leak', 'fixture-bundle-token-do-not-leak', 'Zml4dHVyZTpsZWFr'];

/**
 * The edges the fixture must have once its pods run, as `source relationship target` with ids
 * relative to the namespace (`Pod:*` stands for each pod of the Deployment, `ReplicaSet:*` for its
 * ReplicaSet, `EndpointSlice:*` for the Service's slice, `Node:*` for the pod's node).
 */
export function expectedEdges({ namespace: ns, storageClass, volume }: FixtureNames, live = false): string[] {
  // A live namespace also has the objects the control plane makes in each: the default account and
  // the root CA ConfigMap, which every pod's projected token volume reads.
  const made = live ? ['ConfigMap/kube-root-ca.crt', 'ServiceAccount/default'] : [];
  const contained = ['PersistentVolumeClaim/data', 'ConfigMap/app-config', 'ConfigMap/bundle-config', 'ConfigMap/unused-config']
    .concat(['Secret/app-secret', 'Secret/bundle-secret', 'Secret/regcred', 'ServiceAccount/app-sa', 'Deployment/web'])
    .concat(['Service/web', 'Ingress/web', 'HorizontalPodAutoscaler/web', 'NetworkPolicy/default-deny', 'PodDisruptionBudget/web'])
    .concat(['Role/app-reader', 'RoleBinding/app-reader', 'ReplicaSet:*', 'Pod:*', 'EndpointSlice:*'], made);
  const at = (ref: string) => (ref.includes('*') ? ref : `${ref.split('/')[0]}/${ns}/${ref.split('/')[1]}`);
  return [
    ...contained.map((ref) => `Namespace/${ns} contains ${at(ref)}`),
    `Deployment/${ns}/web owns ReplicaSet:*`,
    'ReplicaSet:* owns Pod:*',
    `Service/${ns}/web selects Pod:*`,
    `Service/${ns}/web exposes EndpointSlice:*`,
    `Service/${ns}/web owns EndpointSlice:*`,
    `Ingress/${ns}/web routes Service/${ns}/web`,
    `HorizontalPodAutoscaler/${ns}/web manages Deployment/${ns}/web`,
    `NetworkPolicy/${ns}/default-deny selects Pod:*`,
    `PodDisruptionBudget/${ns}/web protects Pod:*`,
    `RoleBinding/${ns}/app-reader permits Role/${ns}/app-reader`,
    `RoleBinding/${ns}/app-reader permits ServiceAccount/${ns}/app-sa`,
    `Pod:* configures ConfigMap/${ns}/app-config`,
    `Pod:* configures ConfigMap/${ns}/bundle-config`,
    `Pod:* configures Secret/${ns}/app-secret`,
    `Pod:* configures Secret/${ns}/bundle-secret`,
    `Pod:* configures Secret/${ns}/regcred`,
    ...(live ? [`Pod:* configures ConfigMap/${ns}/kube-root-ca.crt`] : []),
    `Pod:* mounts PersistentVolumeClaim/${ns}/data`,
    `Pod:* uses ServiceAccount/${ns}/app-sa`,
    // The Deployment's pod template names the same objects: drawn on the Deployment too.
    ...['ConfigMap/app-config', 'ConfigMap/bundle-config', 'Secret/app-secret', 'Secret/bundle-secret', 'Secret/regcred'].map(
      (ref) => `Deployment/${ns}/web configures ${at(ref)}`,
    ),
    `Deployment/${ns}/web mounts PersistentVolumeClaim/${ns}/data`,
    `Deployment/${ns}/web uses ServiceAccount/${ns}/app-sa`,
    'Pod:* schedules Node:*',
    `PersistentVolumeClaim/${ns}/data stores PersistentVolume/${volume}`,
    `PersistentVolumeClaim/${ns}/data stores StorageClass/${storageClass}`,
    `PersistentVolume/${volume} stores StorageClass/${storageClass}`,
  ];
}
