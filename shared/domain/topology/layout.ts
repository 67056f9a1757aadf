/**
 * A deterministic layered layout: one band of rows per layer (layers.ts), traffic top to bottom;
 * within a band nodes are ordered by the mean place of their neighbours above (one barycentre
 * sweep, ties by id), and a band wider than `columns` wraps onto more rows, so boxes never
 * overlap and a few hundred nodes stay readable. The same graph always gets the same positions.
 */
import { compare } from './build-graph.ts';
import { layerOf } from './layers.ts';
import type { TopologyEdge, TopologyNode } from './model.ts';

export const BOX = { width: 200, height: 48 } as const;
const GAP_X = 24;
const GAP_Y = 28;
const GAP_LAYER = 56;
export const MARGIN = 32;

export interface Layout {
  width: number;
  height: number;
  /** Top-left corner of each node's box, by node id. */
  positions: Map<string, { x: number; y: number }>;
}

export function layoutGraph(nodes: readonly TopologyNode[], edges: readonly TopologyEdge[], top = MARGIN): Layout {
  const bands = new Map<number, TopologyNode[]>();
  for (const node of nodes) {
    const layer = layerOf(node.kind);
    (bands.get(layer) ?? bands.set(layer, []).get(layer)!).push(node);
  }
  const layers = [...bands.keys()].sort((a, b) => a - b);
  const widest = Math.max(1, ...[...bands.values()].map((b) => b.length));
  const columns = Math.min(widest, Math.max(6, Math.ceil(Math.sqrt(nodes.length * 2))));

  const neighbours = new Map<string, string[]>();
  for (const e of edges) {
    if (e.relationship === 'contains') continue;
    (neighbours.get(e.source) ?? neighbours.set(e.source, []).get(e.source)!).push(e.target);
    (neighbours.get(e.target) ?? neighbours.set(e.target, []).get(e.target)!).push(e.source);
  }
  const rank = new Map<string, number>();
  const positions = new Map<string, { x: number; y: number }>();
  const rowWidth = (count: number) => count * BOX.width + (count - 1) * GAP_X;
  const width = MARGIN * 2 + rowWidth(columns);
  let y = top;
  for (const layer of layers) {
    const band = bands.get(layer)!;
    const centre = new Map<string, number>();
    for (const node of band) {
      const placed = (neighbours.get(node.id) ?? []).map((id) => rank.get(id)).filter((r): r is number => r !== undefined);
      centre.set(node.id, placed.length ? placed.reduce((s, r) => s + r, 0) / placed.length : Number.POSITIVE_INFINITY);
    }
    band.sort((a, b) => centre.get(a.id)! - centre.get(b.id)! || compare(a.namespace ?? '', b.namespace ?? '') || compare(a.id, b.id));
    for (let start = 0; start < band.length; start += columns) {
      const row = band.slice(start, start + columns);
      let x = (width - rowWidth(row.length)) / 2;
      for (const node of row) {
        rank.set(node.id, positions.size);
        positions.set(node.id, { x: Math.round(x), y });
        x += BOX.width + GAP_X;
      }
      y += BOX.height + GAP_Y;
    }
    y += GAP_LAYER - GAP_Y;
  }
  return { width, height: y - GAP_LAYER + GAP_Y + MARGIN, positions };
}
