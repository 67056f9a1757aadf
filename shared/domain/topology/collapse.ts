/**
 * Keeping a large graph usable: above `maxNodes`, pods, ReplicaSets and a CronJob's Jobs fold into
 * the workload that controls them (one node with their counts and the worst health), their edges
 * moved to it. If that is still too many, the graph keeps the first `maxNodes` in layer order and
 * says it is incomplete.
 */
import { compare } from './build-graph.ts';
import { layerOf } from './layers.ts';
import type { TopologyEdge, TopologyGraph, TopologyNode } from './model.ts';
import { worstHealth } from './node-facts.ts';

const FOLDED = new Set(['Pod', 'ReplicaSet', 'Job']);
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'ReplicaSet', 'Job']);

export interface Shaped extends TopologyGraph {
  collapsed: { pods: number; replicasets: number; jobs: number; into: number } | null;
  truncated: { omitted_nodes: number } | null;
}

export function shapeGraph(graph: TopologyGraph, maxNodes: number, collapse: boolean): Shaped {
  let shaped: Shaped = { ...graph, collapsed: null, truncated: null };
  if (graph.nodes.length <= maxNodes) return shaped;
  if (collapse) shaped = collapseIntoWorkloads(graph);
  if (shaped.nodes.length <= maxNodes) return shaped;
  const ordered = [...shaped.nodes].sort((a, b) => layerOf(a.kind) - layerOf(b.kind) || compare(a.id, b.id));
  const kept = new Set(ordered.slice(0, maxNodes).map((n) => n.id));
  return {
    ...shaped,
    nodes: shaped.nodes.filter((n) => kept.has(n.id)),
    edges: shaped.edges.filter((e) => kept.has(e.source) && kept.has(e.target)),
    truncated: { omitted_nodes: shaped.nodes.length - kept.size },
    warnings: [
      ...shaped.warnings,
      { code: 'TRUNCATED', message: `Only the first ${maxNodes} of ${shaped.nodes.length} nodes are shown: filter by namespace or kinds to see the rest.` },
    ],
  };
}

function collapseIntoWorkloads(graph: TopologyGraph): Shaped {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const controller = new Map<string, string>();
  for (const e of graph.edges) if (e.relationship === 'owns' && e.label === 'controls') controller.set(e.target, e.source);
  const topOf = (id: string): string => {
    let at = id;
    for (let hops = 0; hops < 4; hops++) {
      const up = controller.get(at);
      if (!up || !WORKLOADS.has(byId.get(up)?.kind ?? '')) break;
      at = up;
    }
    return at;
  };
  const into = new Map<string, string>();
  for (const node of graph.nodes) {
    if (!FOLDED.has(node.kind)) continue;
    const top = topOf(node.id);
    if (top !== node.id) into.set(node.id, top);
  }
  const folded = new Map<string, TopologyNode>();
  const counts = { pods: 0, replicasets: 0, jobs: 0 };
  for (const [id, top] of into) {
    const node = byId.get(id)!;
    const workload = folded.get(top) ?? { ...byId.get(top)!, collapsed: { pods: 0, replicasets: 0, jobs: 0 } };
    const tally = workload.collapsed!;
    const field = node.kind === 'Pod' ? 'pods' : node.kind === 'ReplicaSet' ? 'replicasets' : 'jobs';
    tally[field] += 1;
    counts[field] += 1;
    workload.health = worstHealth(workload.health, node.health);
    folded.set(top, workload);
  }
  const nodes = graph.nodes.filter((n) => !into.has(n.id)).map((n) => folded.get(n.id) ?? n);
  const edges = new Map<string, TopologyEdge>();
  for (const e of graph.edges) {
    const source = into.get(e.source) ?? e.source;
    const target = into.get(e.target) ?? e.target;
    if (source === target) continue;
    const id = `${source}|${e.relationship}|${target}|${e.derivation}`;
    if (!edges.has(id)) edges.set(id, { ...e, id, source, target });
  }
  return {
    nodes,
    edges: [...edges.values()].sort((a, b) => compare(a.id, b.id)),
    warnings: graph.warnings,
    collapsed: { ...counts, into: folded.size },
    truncated: null,
  };
}
