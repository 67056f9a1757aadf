/**
 * The subgraph around one object. `dependents` is the blast radius: everything affected if the
 * object went away, following the way trouble travels along each edge (model.ts impactOf);
 * `dependencies` is what it needs; `both` is every neighbour. A namespace is walked through only
 * when it is the object asked about: otherwise every pod's neighbourhood would be its namespace.
 */
import { impactOf, type TopologyEdge, type TopologyGraph } from './model.ts';

export const DIRECTIONS = ['both', 'dependents', 'dependencies'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export interface Neighbourhood extends TopologyGraph {
  root: string;
  /** Hops from the root, per node id. */
  distance: Record<string, number>;
}

/** Where an edge leads from `from`, walking in `direction`; undefined when it does not. */
function step(edge: TopologyEdge, from: string, direction: Direction): string | undefined {
  const other = edge.source === from ? edge.target : edge.target === from ? edge.source : undefined;
  if (other === undefined || direction === 'both') return other;
  const impact = impactOf(edge);
  // Trouble at `from` reaches the other end when the edge carries it that way.
  const outward = impact === 'both' || (impact === 'to-target' ? edge.source === from : edge.target === from);
  const inward = impact === 'both' || (impact === 'to-target' ? edge.target === from : edge.source === from);
  return (direction === 'dependents' ? outward : inward) ? other : undefined;
}

export function neighbourhood(graph: TopologyGraph, root: string, depth: number, direction: Direction): Neighbourhood {
  const incident = new Map<string, TopologyEdge[]>();
  for (const edge of graph.edges) {
    for (const end of [edge.source, edge.target]) {
      const list = incident.get(end);
      if (list) list.push(edge);
      else incident.set(end, [edge]);
    }
  }
  const distance: Record<string, number> = { [root]: 0 };
  const kept = new Set<string>();
  let frontier = [root];
  for (let hop = 1; hop <= depth && frontier.length; hop++) {
    const next: string[] = [];
    for (const from of frontier) {
      if (from !== root && from.startsWith('Namespace/')) continue;
      for (const edge of incident.get(from) ?? []) {
        const to = step(edge, from, direction);
        if (to === undefined) continue;
        kept.add(edge.id);
        if (distance[to] !== undefined) continue;
        distance[to] = hop;
        next.push(to);
      }
    }
    frontier = next;
  }
  return {
    root,
    distance,
    nodes: graph.nodes.filter((n) => distance[n.id] !== undefined),
    edges: graph.edges.filter((e) => kept.has(e.id)),
    warnings: graph.warnings,
  };
}
