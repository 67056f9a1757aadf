/**
 * The graph as a diagrams.net (draw.io) file: an uncompressed mxfile whose model has one vertex
 * cell per node and one edge cell per edge, placed as the SVG places them, styled as editable
 * shapes. Cell ids are positional (n0, e0) so that no object name has to be a valid cell id.
 */
import { BOX, layoutGraph } from './layout.ts';
import type { TopologyEdge, TopologyNode } from './model.ts';
import { escapeXml, kindStyle, RELATIONSHIP_LINE } from './styles.ts';

export function renderDrawio(graph: { nodes: readonly TopologyNode[]; edges: readonly TopologyEdge[] }, title: string): string {
  const { width, height, positions } = layoutGraph(graph.nodes, graph.edges);
  const cellOf = new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<mxfile host="clusterhub" type="device">',
    `<diagram id="topology" name="${escapeXml(title)}">`,
    `<mxGraphModel dx="${width}" dy="${height}" grid="1" gridSize="10" guides="1" tooltips="1" connect="1" arrows="1" fold="1" page="0" pageScale="1" pageWidth="${width}" pageHeight="${height}" math="0" shadow="0">`,
    '<root>',
    '<mxCell id="0"/>',
    '<mxCell id="1" parent="0"/>',
  ];
  for (const node of graph.nodes) {
    const at = positions.get(node.id)!;
    const style = kindStyle(node.kind);
    const shape = `rounded=${style.radius ? 1 : 0};${style.radius > 12 ? 'arcSize=50;' : ''}whiteSpace=wrap;html=0;fillColor=${style.fill};strokeColor=${style.stroke};fontSize=11;`;
    const label = `${node.kind}\n${node.name}${node.namespace ? `\n(${node.namespace})` : ''}`;
    out.push(
      `<mxCell id="${cellOf.get(node.id)}" value="${escapeXml(label).replace(/\n/g, '&#10;')}" tooltip="${escapeXml(node.id)}" style="${shape}" vertex="1" parent="1">`,
      `<mxGeometry x="${at.x}" y="${at.y}" width="${BOX.width}" height="${BOX.height}" as="geometry"/>`,
      '</mxCell>',
    );
  }
  graph.edges.forEach((edge, i) => {
    const line = RELATIONSHIP_LINE[edge.relationship];
    const style = `edgeStyle=orthogonalEdgeStyle;rounded=1;html=0;strokeColor=${line.colour};${line.dash ? 'dashed=1;' : ''}endArrow=block;fontSize=9;`;
    out.push(
      `<mxCell id="e${i}" value="${escapeXml(edge.relationship)}" tooltip="${escapeXml(`${edge.label} (${edge.derivation})`)}" style="${style}" edge="1" parent="1" source="${cellOf.get(edge.source)}" target="${cellOf.get(edge.target)}">`,
      '<mxGeometry relative="1" as="geometry"/>',
      '</mxCell>',
    );
  });
  out.push('</root>', '</mxGraphModel>', '</diagram>', '</mxfile>');
  return out.join('\n') + '\n';
}
