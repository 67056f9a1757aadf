import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { buildGraph } from '#shared/domain/topology/build-graph.ts';
import { shapeGraph } from '#shared/domain/topology/collapse.ts';
import { BOX, layoutGraph } from '#shared/domain/topology/layout.ts';
import { neighbourhood } from '#shared/domain/topology/neighbourhood.ts';
import { renderDrawio } from '#shared/domain/topology/render-drawio.ts';
import { renderSvg } from '#shared/domain/topology/render-svg.ts';
import { FIXTURE_SECRET_VALUES, fixtureNames } from '#test/support/topology-fixture.ts';
import { observedFixture } from '#test/support/topology-observed.ts';

const graph = buildGraph(observedFixture(fixtureNames('shop')));
const ids = (nodes: Array<{ id: string }>) => nodes.map((n) => n.id).sort();

describe('neighbourhood and blast radius', () => {
  it('the blast radius of a Secret is its pods, what runs and fronts them, and nothing it does not reach', () => {
    const radius = neighbourhood(graph, 'Secret/shop/app-secret', 10, 'dependents');
    expect(ids(radius.nodes)).toEqual([
      'Deployment/shop/web',
      'EndpointSlice/shop/web-x7k2p',
      'HorizontalPodAutoscaler/shop/web',
      'Ingress/shop/web',
      'Pod/shop/web-5d8f-a1',
      'Pod/shop/web-5d8f-b2',
      'ReplicaSet/shop/web-5d8f',
      'Secret/shop/app-secret',
      'Service/shop/web',
    ]);
    expect(radius.distance['Pod/shop/web-5d8f-a1']).toBe(1);
    expect(radius.distance['Ingress/shop/web']).toBe(3);
  });

  it('depth bounds the walk; dependencies are what it needs', () => {
    // One hop: the pods that read it, and the Deployment whose pod template names it.
    expect(ids(neighbourhood(graph, 'Secret/shop/app-secret', 1, 'dependents').nodes)).toEqual([
      'Deployment/shop/web',
      'Pod/shop/web-5d8f-a1',
      'Pod/shop/web-5d8f-b2',
      'Secret/shop/app-secret',
    ]);
    const needs = ids(neighbourhood(graph, 'PersistentVolumeClaim/shop/data', 5, 'dependencies').nodes);
    expect(needs).toEqual(['Namespace/shop', 'PersistentVolume/shop-pv', 'PersistentVolumeClaim/shop/data', 'StorageClass/shop-sc']);
  });

  it("a pod's neighbourhood does not spill through its namespace", () => {
    expect(ids(neighbourhood(graph, 'Pod/shop/other', 1, 'both').nodes)).toEqual(['Namespace/shop', 'NetworkPolicy/shop/default-deny', 'Pod/shop/other']);
    // Through the policy it reaches the other pods and what they use, but never what only shares the namespace.
    const far = ids(neighbourhood(graph, 'Pod/shop/other', 4, 'both').nodes);
    expect(far).toContain('Secret/shop/app-secret');
    expect(far).not.toContain('ConfigMap/shop/unused-config');
  });
});

describe('large graphs', () => {
  it('folds pods and ReplicaSets into their workload above max_nodes, with counts, worst health and moved edges', () => {
    const shaped = shapeGraph(graph, graph.nodes.length - 3, true);
    expect(shaped.collapsed).toEqual({ pods: 2, replicasets: 1, jobs: 0, into: 1 });
    expect(shaped.nodes.some((n) => n.kind === 'Pod' && n.name.startsWith('web-'))).toBe(false);
    expect(shaped.nodes.find((n) => n.id === 'Pod/shop/other')).toBeDefined();
    const web = shaped.nodes.find((n) => n.id === 'Deployment/shop/web')!;
    expect(web.collapsed).toEqual({ pods: 2, replicasets: 1, jobs: 0 });
    const moved = shaped.edges.filter((e) => e.source === 'Deployment/shop/web').map((e) => `${e.relationship} ${e.target}`);
    expect(moved).toContain('configures Secret/shop/app-secret');
    expect(shaped.edges.some((e) => e.source === e.target)).toBe(false);
    expect(shaped.truncated).toBeNull();
  });

  it('keeps the first max_nodes in layer order and says so when folding is not enough or not wanted', () => {
    const shaped = shapeGraph(graph, 5, false);
    expect(shaped.nodes).toHaveLength(5);
    expect(shaped.truncated).toEqual({ omitted_nodes: graph.nodes.length - 5 });
    expect(shaped.warnings.map((w) => w.code)).toEqual(['TRUNCATED']);
    const kept = new Set(shaped.nodes.map((n) => n.id));
    expect(shaped.edges.every((e) => kept.has(e.source) && kept.has(e.target))).toBe(true);
    expect(shapeGraph(graph, 1000, true)).toMatchObject({ collapsed: null, truncated: null });
  });
});

describe('layout and pictures', () => {
  const { positions } = layoutGraph(graph.nodes, graph.edges);
  const y = (id: string) => positions.get(id)!.y;

  it('flows top to bottom: Ingress, Service, workload, ReplicaSet, Pod, config and storage', () => {
    const order = [
      'Ingress/shop/web',
      'Service/shop/web',
      'Deployment/shop/web',
      'ReplicaSet/shop/web-5d8f',
      'Pod/shop/web-5d8f-a1',
      'Secret/shop/app-secret',
      'PersistentVolume/shop-pv',
    ];
    for (let i = 1; i < order.length; i++) expect(y(order[i]!), order[i]).toBeGreaterThan(y(order[i - 1]!));
  });

  it('never overlaps two boxes, even at a few hundred nodes', () => {
    const many = buildGraph(
      Array.from({ length: 300 }, (_, i) => ({ kind: i % 3 ? 'Pod' : 'ConfigMap', metadata: { name: `o${i}`, namespace: `ns${i % 4}` } })),
    );
    const laid = [...layoutGraph(many.nodes, many.edges).positions.values()];
    for (let i = 0; i < laid.length; i++)
      for (let j = i + 1; j < laid.length; j++) {
        const [a, b] = [laid[i]!, laid[j]!];
        expect(Math.abs(a.x - b.x) >= BOX.width || Math.abs(a.y - b.y) >= BOX.height).toBe(true);
      }
  });

  it('the SVG parses, shows every node once with escaped text, no Secret value, and is the same bytes every time', () => {
    const svg = renderSvg(graph, 'shop <&> "topology"');
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toContain('shop &lt;&amp;&gt; &quot;topology&quot;');
    const doc = new XMLParser({ ignoreAttributes: false }).parse(svg);
    const groups = (doc.svg.g as Array<{ title?: string }>).filter((g) => typeof g.title === 'string');
    expect(groups.map((g) => g.title).sort()).toEqual(ids(graph.nodes));
    for (const value of FIXTURE_SECRET_VALUES) expect(svg).not.toContain(value);
    expect(renderSvg(buildGraph([...observedFixture(fixtureNames('shop'))].reverse()), 'shop <&> "topology"')).toBe(svg);
  });

  it('the draw.io file parses with one vertex cell per node and one edge cell per edge, joined by cell ids', () => {
    const xml = renderDrawio(graph, 'shop');
    expect(XMLValidator.validate(xml)).toBe(true);
    const cells = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml).mxfile.diagram.mxGraphModel.root.mxCell as Array<
      Record<string, string>
    >;
    const vertices = cells.filter((c) => c.vertex === '1');
    const edges = cells.filter((c) => c.edge === '1');
    expect(vertices).toHaveLength(graph.nodes.length);
    expect(edges).toHaveLength(graph.edges.length);
    const vertexIds = new Set(vertices.map((v) => v.id));
    expect(edges.every((e) => vertexIds.has(e.source!) && vertexIds.has(e.target!))).toBe(true);
    expect(vertices.map((v) => v.tooltip).sort()).toEqual(ids(graph.nodes));
    expect(renderDrawio(graph, 'shop')).toBe(xml);
  });
});
