/**
 * The topology graph: objects of a cluster as nodes, and typed edges saying which depends on
 * which and which field says so. Pure data, built by build-graph.ts from objects the caller
 * read (live from a cluster, or from an inventory snapshot): no port is needed to build one.
 */

/** What an edge means. `source → target` reads as the relationship's label says (a Service selects a Pod). */
export const RELATIONSHIPS = [
  'contains',
  'owns',
  'selects',
  'routes',
  'exposes',
  'configures',
  'mounts',
  'stores',
  'schedules',
  'uses',
  'permits',
  'manages',
  'protects',
] as const;
export type Relationship = (typeof RELATIONSHIPS)[number];

export const HEALTHS = ['healthy', 'warning', 'critical', 'unknown'] as const;
export type Health = (typeof HEALTHS)[number];

export interface Replicas {
  desired: number;
  ready: number;
  available: number;
}

/** The pods and ReplicaSets folded into a workload node of a graph too large to show them all. */
export interface Collapsed {
  pods: number;
  replicasets: number;
  jobs: number;
}

export interface TopologyNode {
  /** `Kind/namespace/name`, or `Kind/name` for a cluster-scoped object. */
  id: string;
  kind: string;
  namespace: string | null;
  name: string;
  api_version: string;
  uid: string | null;
  status: string | null;
  health: Health;
  labels: Record<string, string>;
  position?: { x: number; y: number };
  replicas?: Replicas;
  pod_ip?: string;
  node_name?: string;
  service_type?: string;
  cluster_ip?: string;
  collapsed?: Collapsed;
}

export interface TopologyEdge {
  id: string;
  source: string;
  target: string;
  relationship: Relationship;
  label: string;
  /** The field of the source (or, for back references, the target) the edge was read from. */
  derivation: string;
}

export interface TopologyWarning {
  code: string;
  message: string;
}

export interface TopologyGraph {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
  warnings: TopologyWarning[];
}

/** The id of a node: stable across reads, so the same cluster state gives the same graph. */
export function nodeId(kind: string, namespace: string | null | undefined, name: string): string {
  return namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
}

/** Which way trouble travels along an edge: from the source to the target, the other way, or both. */
export type Impact = 'to-target' | 'to-source' | 'both';

/**
 * If one end of an edge goes away or breaks, which end is affected: a Pod without its Secret
 * breaks (to-source), a namespace's deletion takes its objects (to-target), an owner takes its
 * objects and a broken object degrades its owner (both). Blast radius follows these.
 */
export function impactOf(edge: Pick<TopologyEdge, 'relationship' | 'source' | 'derivation'>): Impact {
  switch (edge.relationship) {
    case 'contains':
      return 'to-target';
    case 'owns':
    case 'exposes':
      return 'both';
    case 'permits':
      // A binding gone takes the subject's permissions; a role gone empties the binding.
      return edge.derivation.startsWith('subjects') ? 'to-target' : 'to-source';
    case 'protects':
      return 'to-target';
    case 'selects':
      // A NetworkPolicy gone changes what its pods may reach; a Service loses its backends when pods go.
      return edge.source.startsWith('NetworkPolicy/') ? 'to-target' : 'to-source';
    default:
      return 'to-source';
  }
}
