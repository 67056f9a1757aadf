/**
 * The topology use cases: the graph of a cluster (or a namespace, or some kinds), the subgraph
 * around one object (its blast radius with direction=dependents), and the same as pictures.
 * Every answer is read live through the caller's session (onCluster), shaped to max_nodes and
 * laid out, so that positions, the layout seed and the pictures depend on the cluster state only.
 */
import { createHash } from 'node:crypto';
import { InputError, NotFoundError } from '#shared/domain/errors.ts';
import { onCluster, type Caller } from '#shared/domain/resources/cluster-session.ts';
import { buildGraph } from './build-graph.ts';
import { inventoryGraph } from './from-inventory.ts';
import { cachedGraph } from './graph-cache.ts';
import { shapeGraph, type Shaped } from './collapse.ts';
import { layoutGraph } from './layout.ts';
import { nodeId, type TopologyGraph, type TopologyNode } from './model.ts';
import { neighbourhood, type Direction } from './neighbourhood.ts';
import type { TopologyDeps } from './ports.ts';
import { readCluster } from './read-cluster.ts';
import { topologyKind } from './topology-kinds.ts';

export const SCHEMA_VERSION = '1.0';

export interface GraphQuery {
  namespace?: string;
  kinds?: string[];
  maxNodes?: number;
  collapse?: boolean;
  /** live: read from the cluster; inventory: from its latest snapshot, the cluster not contacted. */
  source?: 'live' | 'inventory';
  /** Read the cluster even when a fresh graph is cached. */
  forceRefresh?: boolean;
}

export interface ResourceQuery {
  kind: string;
  /** Absent for a cluster-scoped object. */
  namespace?: string;
  name: string;
  depth: number;
  direction: Direction;
  maxNodes?: number;
  forceRefresh?: boolean;
}

export interface TopologyAnswer extends Shaped {
  nodes: Array<TopologyNode & { position: { x: number; y: number } }>;
  metadata: {
    cluster_id: string;
    namespace: string | null;
    generated_at: string;
    layout_seed: string;
    node_count: number;
    edge_count: number;
    is_complete: boolean;
    source: 'live' | 'inventory';
    /** source=inventory: when the snapshot was taken, and how old it is. */
    snapshot_taken_at?: string;
    snapshot_age_seconds?: number;
    /** Whether the graph was served from the short-lived cache, and when it was built (read from the cluster or snapshot). */
    cached: boolean;
    built_at: string;
    root?: string;
    direction?: Direction;
    depth?: number;
  };
  /** Hops from the root, for a resource's subgraph. */
  distance?: Record<string, number>;
}

/** The graph of the cluster, or of one namespace or some kinds. */
export async function clusterTopology(deps: TopologyDeps, caller: Caller, query: GraphQuery, now: Date): Promise<TopologyAnswer> {
  if (query.source === 'inventory') return snapshotTopology(deps, caller, query, now);
  const scope = { namespace: query.namespace, kinds: query.kinds };
  const built = await liveGraph(deps, caller, scope, query.forceRefresh ?? false, now);
  const result = answer(caller, shapeGraph(built.graph, query.maxNodes ?? deps.defaultMaxNodes, query.collapse ?? true), query.namespace ?? null, now);
  result.metadata = { ...result.metadata, cached: built.cached, built_at: built.builtAt };
  return result;
}

/** The built graph of a scope, read live as the caller, or from the cache while fresh. */
function liveGraph(deps: TopologyDeps, caller: Caller, scope: { namespace?: string; kinds?: string[] }, refresh: boolean, now: Date) {
  return cachedGraph(deps, caller, scope, refresh, now, async () => {
    const read = await onCluster(deps.resources, caller, (s) => readCluster(s.gateway, { ...scope, maxObjects: deps.maxObjects }));
    const graph = buildGraph(read.objects);
    graph.warnings.push(...read.warnings);
    return graph;
  });
}

/** The graph from the latest inventory snapshot: only what a snapshot says (contains, owns), never complete. */
async function snapshotTopology(deps: TopologyDeps, caller: Caller, query: GraphQuery, now: Date): Promise<TopologyAnswer> {
  const read = await inventoryGraph(deps.inventory, caller.cluster.id, { ...query, maxObjects: deps.maxObjects });
  const result = answer(caller, shapeGraph(read.graph, query.maxNodes ?? deps.defaultMaxNodes, query.collapse ?? true), query.namespace ?? null, now);
  result.metadata = {
    ...result.metadata,
    is_complete: false,
    source: 'inventory',
    snapshot_taken_at: read.checkedAt,
    built_at: read.checkedAt,
    snapshot_age_seconds: Math.max(0, Math.round((now.getTime() - Date.parse(read.checkedAt)) / 1000)),
  };
  return result;
}

/** The subgraph around one object, `depth` hops in `direction`; 404 when the object is not there. */
export async function resourceTopology(deps: TopologyDeps, caller: Caller, query: ResourceQuery, now: Date): Promise<TopologyAnswer> {
  const kind = topologyKind(query.kind)!;
  if (kind.clusterScoped === (query.namespace !== undefined)) {
    const message = kind.clusterScoped ? `${kind.kind} is cluster-scoped: use - as its namespace.` : `${kind.kind} is namespaced: name its namespace.`;
    throw new InputError(message, [{ field: 'namespace', location: 'param', message }]);
  }
  const namespace = query.namespace;
  // A namespaced object's neighbours are in its namespace (and what it names); a cluster-scoped one may reach any.
  // A Namespace's neighbours are its own objects: only that namespace is read.
  const scope = kind.kind === 'Namespace' ? query.name : namespace;
  const built = await liveGraph(deps, caller, { namespace: scope }, query.forceRefresh ?? false, now);
  const graph = built.graph;
  const root = nodeId(kind.kind, namespace, query.name);
  if (!graph.nodes.some((n) => n.id === root)) throw new NotFoundError(`${root} is not on the cluster (or the cluster does not let you see it).`);
  const around = neighbourhood(graph, root, query.depth, query.direction);
  around.warnings = [...graph.warnings];
  const shaped = shapeGraph(around, query.maxNodes ?? deps.defaultMaxNodes, false);
  const result = answer(caller, shaped, namespace ?? null, now);
  result.metadata = { ...result.metadata, cached: built.cached, built_at: built.builtAt, root, direction: query.direction, depth: query.depth };
  const kept = new Set(shaped.nodes.map((n) => n.id));
  result.distance = Object.fromEntries(Object.entries(around.distance).filter(([id]) => kept.has(id)));
  return result;
}

function answer(caller: Caller, shaped: Shaped, namespace: string | null, now: Date): TopologyAnswer {
  const { positions } = layoutGraph(shaped.nodes, shaped.edges);
  const nodes = shaped.nodes.map((n) => ({ ...n, position: positions.get(n.id)! }));
  return {
    ...shaped,
    nodes,
    metadata: {
      cluster_id: caller.cluster.id,
      namespace,
      generated_at: now.toISOString(),
      layout_seed: layoutSeed(shaped),
      node_count: nodes.length,
      edge_count: shaped.edges.length,
      is_complete: shaped.truncated === null && !shaped.warnings.some((w) => w.code === 'KIND_FORBIDDEN' || w.code === 'KIND_NOT_SERVED'),
      source: 'live',
      cached: false,
      built_at: now.toISOString(),
    },
  };
}

/** The same nodes and edges give the same seed (and the same layout): a digest of their ids. */
function layoutSeed(graph: TopologyGraph): string {
  const hash = createHash('sha256');
  for (const n of graph.nodes) hash.update(`${n.id}\n`);
  for (const e of graph.edges) hash.update(`${e.id}\n`);
  return hash.digest('hex').slice(0, 16);
}
