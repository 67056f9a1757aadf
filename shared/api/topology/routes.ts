/**
 * The topology group (issue 16): the graph of what depends on what on a cluster, the subgraph
 * around one object (its blast radius), and both as pictures (SVG, PNG, draw.io) or JSON files.
 * Reads for viewers of the cluster, read live as the caller (when the cluster impersonates).
 */
import type { Context } from 'hono';
import { svgToPng } from '#shared/adapters/raster/svg-to-png.ts';
import { renderDrawio } from '#shared/domain/topology/render-drawio.ts';
import { renderSvg } from '#shared/domain/topology/render-svg.ts';
import { topologyKind } from '#shared/domain/topology/topology-kinds.ts';
import { clusterTopology, resourceTopology, SCHEMA_VERSION, type TopologyAnswer } from '#shared/domain/topology/topology-views.ts';
import { createRouter, type EndpointGroup } from '#shared/http/app.ts';
import { errorResponses, jsonBody, jsonContent } from '#shared/http/openapi.ts';
import { clusterIdParam } from '#shared/http/path-params.ts';
import { guardedRoutes, type ClusterRouteEnv } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { MAX_DEPTH, EXPORT_FORMATS, exportBody, graphQuery, resourceParams, resourceQuery, topology } from './schemas.ts';

/** The largest PNG drawn, in pixels a side: a bigger picture is scaled down to fit (4096² RGBA is 64 MiB; the memory grows with the square). */
const PNG_MAX_SIDE = 4096;

type Format = (typeof EXPORT_FORMATS)[number];
const CONTENT_TYPE: Record<Format, string> = {
  json: 'application/json',
  svg: 'image/svg+xml',
  png: 'image/png',
  drawio: 'application/vnd.jgraph.mxfile+xml',
};
const EXTENSION: Record<Format, string> = { json: 'json', svg: 'svg', png: 'png', drawio: 'drawio' };

const readFailures = () => {
  const failures = errorResponses(404, 422, 502, 503);
  failures[404]!.description = 'The cluster, or (for a resource) the object, is not there or not visible to the caller.';
  failures[422]!.description =
    'TOPOLOGY_TOO_LARGE: more objects than HUB_TOPOLOGY_MAX_OBJECTS (ask for one namespace or fewer kinds); or the cluster refused the hub.';
  return failures;
};

/** The answer as the wire has it. */
function wire(answer: TopologyAnswer) {
  return {
    schema_version: SCHEMA_VERSION,
    nodes: answer.nodes,
    edges: answer.edges,
    metadata: { ...answer.metadata, warnings: answer.warnings, collapsed: answer.collapsed, truncated: answer.truncated },
    ...(answer.distance ? { distance: answer.distance } : {}),
  } as const;
}

const fileSafe = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 100);

export function topologyGroup(deps: Dependencies): EndpointGroup {
  const api = createRouter();
  const route = guardedRoutes(api, deps);
  const topologyDeps = () => deps.topology;
  const caller = (c: Context<ClusterRouteEnv>) => ({ principal: c.get('principal')!, cluster: c.var.cluster });
  const tags = ['topology'];

  const picture = async (c: Context<ClusterRouteEnv>, format: Format, answer: TopologyAnswer, scope: string) => {
    const title = `${c.var.cluster.name}: ${scope}`;
    const filename = `topology-${fileSafe(c.var.cluster.name)}${scope === 'whole cluster' ? '' : `-${fileSafe(scope)}`}.${EXTENSION[format]}`;
    c.header('Content-Disposition', `attachment; filename="${filename}"`);
    c.header('Content-Type', CONTENT_TYPE[format]);
    c.header('X-Content-Type-Options', 'nosniff');
    if (format === 'json') return c.body(JSON.stringify(wire(answer)), 200);
    if (format === 'drawio') return c.body(renderDrawio(answer, title), 200);
    const svg = renderSvg(answer, title);
    if (format === 'svg') {
      // An SVG opened from the hub's origin must not run anything: it has no script, and this says so.
      c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
      return c.body(svg, 200);
    }
    const [width, height] = [/ width="(\d+)"/, / height="(\d+)"/].map((re) => Number(re.exec(svg)![1]));
    const { png } = await svgToPng(svg, width!, Math.floor(PNG_MAX_SIDE * Math.min(1, width! / height!)));
    return c.body(png as Uint8Array<ArrayBuffer>, 200);
  };

  const scopeOf = (q: { namespace?: string; kinds?: string[] }) =>
    [q.namespace ? `namespace ${q.namespace}` : undefined, q.kinds?.length ? q.kinds.join(',') : undefined].filter(Boolean).join(' ') || 'whole cluster';

  route(
    {
      method: 'get',
      path: '/clusters/{clusterId}/topology',
      tags,
      summary: 'The graph of what depends on what on the cluster',
      description:
        'Nodes are objects (`Kind/namespace/name`), edges typed relations (contains, owns, selects, routes, exposes, configures, mounts, stores, schedules, uses, permits, manages, protects), each naming the field it was read from. A workload (Deployment, StatefulSet, DaemonSet, Job, CronJob) has the ConfigMaps, Secrets (names only), claims and account as its own edges (`spec.template.spec...`), that its pod template names, besides those of its pods. Read live a page at a time; above max_nodes pods and ReplicaSets fold into their workloads (`metadata.collapsed`), and past that the first max_nodes are kept (`metadata.truncated`). A kind the credential may not list is a warning and makes `is_complete` false. Secret and ConfigMap nodes carry names and labels only. A graph built within HUB_TOPOLOGY_CACHE_SECONDS is served from the cache (`metadata.cached`, `built_at`; per caller when the cluster impersonates) unless force_refresh=true; source=inventory draws it from the latest inventory snapshot without contacting the cluster.',
      cluster: 'viewer',
      request: { params: clusterIdParam, query: graphQuery },
      responses: { 200: jsonContent(topology, 'The graph.'), ...readFailures() },
    },
    async (c) => {
      const q = c.req.valid('query');
      const answer = await clusterTopology(
        topologyDeps(),
        caller(c),
        { namespace: q.namespace, kinds: q.kinds, maxNodes: q.max_nodes, collapse: q.collapse, source: q.source, forceRefresh: q.force_refresh },
        deps.clock.now(),
      );
      return c.json(wire(answer), 200);
    },
  );

  route(
    {
      method: 'get',
      path: '/clusters/{clusterId}/topology/resource/{kind}/{namespace}/{name}',
      tags,
      summary: 'The subgraph around one object; direction=dependents is its blast radius',
      description: `Everything within \`depth\` hops. With \`dependents\`, what would be affected if the object went away (its pods, what runs and fronts them); with \`dependencies\`, what it needs. A namespaced object is looked at within its namespace (and the cluster-scoped objects it names). Depth 1-${MAX_DEPTH}.`,
      cluster: 'viewer',
      request: { params: resourceParams, query: resourceQuery },
      responses: { 200: jsonContent(topology, 'The subgraph, with each node’s distance from the object.'), ...readFailures() },
    },
    async (c) => {
      const p = c.req.valid('param');
      const q = c.req.valid('query');
      const answer = await resourceTopology(
        topologyDeps(),
        caller(c),
        { ...resourceRequest(p.kind, p.namespace, p.name, q.depth, q.direction, q.max_nodes), forceRefresh: q.force_refresh },
        deps.clock.now(),
      );
      return c.json(wire(answer), 200);
    },
  );

  route(
    {
      method: 'post',
      path: '/clusters/{clusterId}/topology/export',
      tags,
      summary: 'The graph (or the subgraph around a resource) as a file: JSON, SVG, PNG or draw.io',
      description:
        'Answered as an attachment (`Content-Disposition`) with its content type. The layout is deterministic: the same cluster state gives the same bytes for svg, png and drawio. The PNG is the SVG rasterised by resvg (scaled down to at most 4096 pixels a side); the draw.io file opens in diagrams.net as editable shapes.',
      cluster: 'viewer',
      tier: 'read',
      action: 'topology.export',
      request: { params: clusterIdParam, body: jsonBody(exportBody) },
      responses: {
        200: {
          description: 'The file.',
          headers: { 'Content-Disposition': { schema: { type: 'string', example: 'attachment; filename="topology-prod-namespace-shop.svg"' } } },
          content: Object.fromEntries(Object.values(CONTENT_TYPE).map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
        },
        ...errorResponses(400),
        ...readFailures(),
      },
    },
    async (c) => {
      const body = c.req.valid('json');
      c.set('audit', { ...c.get('audit'), clusterId: c.var.cluster.id, details: { format: body.format, namespace: body.namespace, resource: body.resource } });
      if (body.resource) {
        const r = body.resource;
        const answer = await resourceTopology(
          topologyDeps(),
          caller(c),
          resourceRequest(r.kind, r.namespace ?? '-', r.name, r.depth, r.direction ?? 'both', body.max_nodes),
          deps.clock.now(),
        );
        return picture(c, body.format, answer, `${answer.metadata.root}`);
      }
      const query = { namespace: body.namespace, kinds: body.kinds?.map((k) => topologyKind(k)!.kind), maxNodes: body.max_nodes, collapse: body.collapse };
      return picture(c, body.format, await clusterTopology(topologyDeps(), caller(c), query, deps.clock.now()), scopeOf(query));
    },
  );

  route(
    {
      method: 'get',
      path: '/clusters/{clusterId}/topology/export/drawio',
      tags,
      summary: 'The graph as a draw.io (diagrams.net) file',
      description: 'The same graph as GET /topology, as an attachment that diagrams.net opens as editable shapes: one cell per node and per edge.',
      cluster: 'viewer',
      request: { params: clusterIdParam, query: graphQuery },
      responses: {
        200: {
          description: 'The draw.io file.',
          headers: { 'Content-Disposition': { schema: { type: 'string', example: 'attachment; filename="topology-prod.drawio"' } } },
          content: { [CONTENT_TYPE.drawio]: { schema: { type: 'string', format: 'binary' } } },
        },
        ...readFailures(),
      },
    },
    async (c) => {
      const q = c.req.valid('query');
      const query = { namespace: q.namespace, kinds: q.kinds, maxNodes: q.max_nodes, collapse: q.collapse, source: q.source, forceRefresh: q.force_refresh };
      return picture(c, 'drawio', await clusterTopology(topologyDeps(), caller(c), query, deps.clock.now()), scopeOf(query));
    },
  );

  return { name: 'topology', api };
}

function resourceRequest(
  kind: string,
  namespace: string,
  name: string,
  depth: number | undefined,
  direction: 'both' | 'dependents' | 'dependencies',
  maxNodes?: number,
) {
  return {
    kind,
    namespace: namespace === '-' ? undefined : namespace,
    name,
    depth: depth ?? (direction === 'dependents' ? MAX_DEPTH : 2),
    direction,
    maxNodes,
  };
}
