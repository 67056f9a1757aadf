/** How kinds and relationships look in the pictures: a colour per family of kinds, a shape for pods and cluster objects, a line per relationship. */
import type { Health, Relationship } from './model.ts';

export interface KindStyle {
  family: string;
  fill: string;
  stroke: string;
  /** Corner radius: pods are pills, cluster-wide objects square. */
  radius: number;
}

const FAMILIES: Array<[KindStyle, string[]]> = [
  [
    { family: 'network', fill: '#dbeafe', stroke: '#2563eb', radius: 8 },
    [
      'Ingress',
      'IngressClass',
      'Gateway',
      'GatewayClass',
      'HTTPRoute',
      'GRPCRoute',
      'TCPRoute',
      'TLSRoute',
      'UDPRoute',
      'Service',
      'EndpointSlice',
      'Endpoints',
      'NetworkPolicy',
    ],
  ],
  [
    { family: 'workload', fill: '#dcfce7', stroke: '#16a34a', radius: 8 },
    ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'HorizontalPodAutoscaler', 'PodDisruptionBudget'],
  ],
  [{ family: 'pod', fill: '#fef9c3', stroke: '#ca8a04', radius: 24 }, ['Pod']],
  [{ family: 'config', fill: '#f3e8ff', stroke: '#9333ea', radius: 8 }, ['ConfigMap', 'Secret', 'ServiceAccount']],
  [{ family: 'storage', fill: '#ffedd5', stroke: '#ea580c', radius: 8 }, ['PersistentVolumeClaim', 'PersistentVolume', 'StorageClass']],
  [{ family: 'access', fill: '#fce7f3', stroke: '#db2777', radius: 8 }, ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']],
  [{ family: 'cluster', fill: '#f1f5f9', stroke: '#475569', radius: 0 }, ['Namespace', 'Node']],
];
const OTHER: KindStyle = { family: 'other', fill: '#ffffff', stroke: '#64748b', radius: 8 };
const BY_KIND = new Map(FAMILIES.flatMap(([style, kinds]) => kinds.map((k) => [k, style] as const)));

export const kindStyle = (kind: string): KindStyle => BY_KIND.get(kind) ?? OTHER;
export const LEGEND_FAMILIES: KindStyle[] = [...FAMILIES.map(([style]) => style), OTHER];

export const HEALTH_COLOUR: Record<Health, string> = { healthy: '#16a34a', warning: '#d97706', critical: '#dc2626', unknown: '#94a3b8' };

export const RELATIONSHIP_LINE: Record<Relationship, { colour: string; dash?: string }> = {
  contains: { colour: '#cbd5e1', dash: '2 4' },
  owns: { colour: '#16a34a' },
  selects: { colour: '#2563eb' },
  routes: { colour: '#1d4ed8' },
  exposes: { colour: '#60a5fa', dash: '6 3' },
  configures: { colour: '#9333ea', dash: '6 3' },
  mounts: { colour: '#ea580c' },
  stores: { colour: '#c2410c', dash: '6 3' },
  schedules: { colour: '#475569', dash: '2 3' },
  uses: { colour: '#7c3aed', dash: '2 3' },
  permits: { colour: '#db2777' },
  manages: { colour: '#15803d', dash: '6 3' },
  protects: { colour: '#0f766e', dash: '2 3' },
};

// Characters XML 1.0 does not allow at all (escaping cannot help): dropped.
// eslint-disable-next-line no-control-regex
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Text safe inside XML character data and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!).replace(XML_FORBIDDEN, '');
}

/** At most `max` characters, an ellipsis marking what was cut. */
export const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
