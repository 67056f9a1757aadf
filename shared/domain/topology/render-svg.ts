/**
 * The graph as an SVG picture: a legend of kind families and relationships, then the layered
 * layout (layout.ts) with one box per node (kind, name, namespace, a health dot) and one curve
 * per connected pair. Namespace membership is left out of the lines (every object would have
 * one); the legend says so. No timestamp or random id goes in, so the same graph gives the same bytes.
 */
import { BOX, layoutGraph, MARGIN } from './layout.ts';
import { RELATIONSHIPS, type TopologyEdge, type TopologyNode } from './model.ts';
import { clip, escapeXml, HEALTH_COLOUR, kindStyle, LEGEND_FAMILIES, RELATIONSHIP_LINE } from './styles.ts';

const FONT = 'DejaVu Sans, Verdana, Arial, sans-serif';
const LEGEND_HEIGHT = 92;

export function renderSvg(graph: { nodes: readonly TopologyNode[]; edges: readonly TopologyEdge[] }, title: string): string {
  const { width: laidWidth, height, positions } = layoutGraph(graph.nodes, graph.edges, MARGIN + LEGEND_HEIGHT);
  const width = Math.max(laidWidth, 980);
  const shift = (width - laidWidth) / 2;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    '<defs>',
    ...RELATIONSHIPS.map(
      (r) =>
        `<marker id="arrow-${r}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${RELATIONSHIP_LINE[r].colour}"/></marker>`,
    ),
    '</defs>',
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="${MARGIN + 4}" font-size="16" font-weight="bold" fill="#0f172a">${escapeXml(clip(title, 120))}</text>`,
    `<text x="${width - MARGIN}" y="${MARGIN + 4}" font-size="11" fill="#475569" text-anchor="end">${graph.nodes.length} nodes, ${graph.edges.length} edges</text>`,
  );
  legend(out);

  // One curve per connected pair, the first relationship (in id order) naming it.
  const drawn = new Set<string>();
  out.push('<g fill="none" stroke-width="1.4">');
  for (const edge of graph.edges) {
    if (edge.relationship === 'contains') continue;
    const pair = `${edge.source}\u0000${edge.target}`;
    const from = positions.get(edge.source);
    const to = positions.get(edge.target);
    if (drawn.has(pair) || !from || !to) continue;
    drawn.add(pair);
    const downward = to.y >= from.y;
    const x1 = from.x + shift + BOX.width / 2;
    const y1 = from.y + (downward ? BOX.height : 0);
    const x2 = to.x + shift + BOX.width / 2;
    const y2 = to.y + (downward ? 0 : BOX.height);
    const bend = Math.max(24, Math.abs(y2 - y1) / 2) * (downward ? 1 : -1);
    const line = RELATIONSHIP_LINE[edge.relationship];
    out.push(
      `<path d="M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}" stroke="${line.colour}"${line.dash ? ` stroke-dasharray="${line.dash}"` : ''} marker-end="url(#arrow-${edge.relationship})"><title>${escapeXml(`${edge.relationship}: ${edge.label} (${edge.derivation})`)}</title></path>`,
    );
  }
  out.push('</g>');

  for (const node of graph.nodes) {
    const at = positions.get(node.id)!;
    const x = at.x + shift;
    const style = kindStyle(node.kind);
    const counts = node.collapsed ? ` ×${node.collapsed.pods} pods` : '';
    // Text starts clear of a pill's rounded ends.
    const inset = style.radius > 12 ? 20 : 12;
    out.push(
      `<g><title>${escapeXml(node.id)}</title>`,
      `<rect x="${x}" y="${at.y}" width="${BOX.width}" height="${BOX.height}" rx="${style.radius}" fill="${style.fill}" stroke="${style.stroke}" stroke-width="1.5"/>`,
      `<circle cx="${x + inset}" cy="${at.y + 14}" r="5" fill="${HEALTH_COLOUR[node.health]}"/>`,
      `<text x="${x + inset + 10}" y="${at.y + 18}" font-size="10" fill="${style.stroke}">${escapeXml(clip(node.kind + counts, 30))}</text>`,
      `<text x="${x + inset}" y="${at.y + 33}" font-size="12" fill="#0f172a">${escapeXml(clip(node.name, 26))}</text>`,
      node.namespace ? `<text x="${x + inset}" y="${at.y + 43}" font-size="8" fill="#64748b">${escapeXml(clip(node.namespace, 40))}</text>` : '',
      '</g>',
    );
  }
  out.push('</svg>');
  return out.filter(Boolean).join('\n') + '\n';
}

function legend(out: string[]) {
  const y = MARGIN + 22;
  out.push(`<g font-size="10" fill="#334155">`);
  LEGEND_FAMILIES.forEach((style, i) => {
    const x = MARGIN + i * 112;
    out.push(
      `<rect x="${x}" y="${y}" width="18" height="12" rx="${Math.min(style.radius, 6)}" fill="${style.fill}" stroke="${style.stroke}"/>`,
      `<text x="${x + 24}" y="${y + 10}">${style.family}</text>`,
    );
  });
  RELATIONSHIPS.filter((r) => r !== 'contains').forEach((r, i) => {
    const x = MARGIN + (i % 6) * 150;
    const ly = y + 26 + Math.floor(i / 6) * 16;
    const line = RELATIONSHIP_LINE[r];
    out.push(
      `<line x1="${x}" y1="${ly}" x2="${x + 28}" y2="${ly}" stroke="${line.colour}" stroke-width="1.6"${line.dash ? ` stroke-dasharray="${line.dash}"` : ''}/>`,
      `<text x="${x + 34}" y="${ly + 4}">${r}</text>`,
    );
  });
  out.push(
    `<text x="${MARGIN}" y="${y + 76}" fill="#64748b">Dot: health (green healthy, amber warning, red critical, grey unknown). Namespace membership is not drawn.</text>`,
  );
  out.push('</g>');
}
