/** The wire shapes of the topology group, validated and documented from the same zod schemas. */
import { z } from '@hono/zod-openapi';
import { HEALTHS, RELATIONSHIPS } from '#shared/domain/topology/model.ts';
import { DIRECTIONS } from '#shared/domain/topology/neighbourhood.ts';
import { TOPOLOGY_KIND_NAMES, topologyKind } from '#shared/domain/topology/topology-kinds.ts';

/** The most nodes one answer may be asked for: beyond it no picture is readable and no function should hold it. */
export const MAX_NODES_LIMIT = 5000;
export const MAX_DEPTH = 10;

const namespaceName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name');
const objectName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.:]*[a-z0-9])?$/, 'a Kubernetes object name');
const kindName = z
  .string()
  .min(1)
  .max(100)
  .refine((k) => topologyKind(k) !== undefined, { message: `one of ${TOPOLOGY_KIND_NAMES.join(', ')}` });

const kindList = z
  .string()
  .max(1000)
  .transform((text, ctx) => {
    const kinds: string[] = [];
    for (const name of text
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean)) {
      const kind = topologyKind(name);
      if (!kind) {
        ctx.addIssue({ code: 'custom', message: `unknown kind ${name.slice(0, 60)}: one of ${TOPOLOGY_KIND_NAMES.join(', ')}` });
        return z.NEVER;
      }
      if (!kinds.includes(kind.kind)) kinds.push(kind.kind);
    }
    return kinds;
  })
  .openapi({
    type: 'string',
    description: 'Comma-separated kinds to show (`Pod,Service` or plurals); all when absent.',
    example: 'Ingress,Service,Deployment,Pod',
  });

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const maxNodes = z.coerce
  .number()
  .int()
  .min(1)
  .max(MAX_NODES_LIMIT)
  .openapi({
    description: `Nodes above which pods and ReplicaSets fold into their workloads (default HUB_TOPOLOGY_MAX_NODES, 1,000); at most ${MAX_NODES_LIMIT}.`,
  });
const depth = z.coerce.number().int().min(1).max(MAX_DEPTH);
const direction = z
  .enum(DIRECTIONS)
  .openapi({ description: '`dependents`: the blast radius (what is affected if it went away); `dependencies`: what it needs; `both`.' });

export const graphQuery = z.object({
  namespace: namespaceName.optional().openapi({ description: 'One namespace (and the cluster-scoped objects it names).' }),
  kinds: kindList.optional(),
  max_nodes: maxNodes.optional(),
  collapse: bool.optional().openapi({
    type: 'string',
    enum: ['true', 'false'],
    description: '`false` shows every pod and ReplicaSet however large the graph (up to max_nodes, then truncated).',
  }),
  source: z.enum(['live', 'inventory']).optional().openapi({
    description:
      '`live` (default) reads the cluster; `inventory` draws the graph from its latest inventory snapshot without contacting it: only contains and owns relations (a snapshot keeps no specs), `is_complete` false. 404 NO_INVENTORY_SNAPSHOT when there is none.',
  }),
  force_refresh: bool
    .optional()
    .openapi({ type: 'string', enum: ['true', 'false'], description: 'Read the cluster even when a graph built within HUB_TOPOLOGY_CACHE_SECONDS is cached.' }),
});

export const resourceParams = z.object({
  clusterId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a cluster id'),
  kind: kindName.openapi({ description: 'The kind (`Secret`, `secrets`).' }),
  namespace: z
    .string()
    .max(63)
    .regex(/^(-|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/, 'a namespace name, or - for a cluster-scoped object')
    .openapi({ description: 'The namespace; `-` for a cluster-scoped object.' }),
  name: objectName.openapi({ description: 'The object name.' }),
});

export const resourceQuery = z.object({
  depth: depth
    .optional()
    .openapi({ description: `Hops from the object (1-${MAX_DEPTH}); default 2, and ${MAX_DEPTH} for dependents (the whole blast radius).` }),
  direction: direction.optional().default('both'),
  max_nodes: maxNodes.optional(),
  force_refresh: bool.optional().openapi({ type: 'string', enum: ['true', 'false'], description: 'Read the cluster even when a fresh graph is cached.' }),
});

export const EXPORT_FORMATS = ['json', 'svg', 'png', 'drawio'] as const;
export const exportBody = z
  .object({
    format: z.enum(EXPORT_FORMATS),
    namespace: namespaceName.optional(),
    kinds: z.array(kindName).max(40).optional(),
    resource: z
      .object({
        kind: kindName,
        namespace: namespaceName.optional().openapi({ description: 'Absent for a cluster-scoped object.' }),
        name: objectName,
        depth: depth.optional(),
        direction: direction.optional(),
      })
      .strict()
      .optional()
      .openapi({ description: 'Export the subgraph around this object instead of the whole graph.' }),
    max_nodes: z.number().int().min(1).max(MAX_NODES_LIMIT).optional(),
    collapse: z.boolean().optional(),
  })
  .strict()
  .openapi('TopologyExportRequest');

const node = z
  .object({
    id: z.string().openapi({ example: 'Pod/shop/web-5d8f-a1' }),
    kind: z.string(),
    namespace: z.string().nullable(),
    name: z.string(),
    api_version: z.string(),
    uid: z.string().nullable(),
    status: z.string().nullable().openapi({ example: 'Running' }),
    health: z.enum(HEALTHS),
    labels: z.record(z.string(), z.string()),
    position: z.object({ x: z.number(), y: z.number() }).openapi({ description: 'Top-left corner of its box in the layered layout (200×48).' }),
    replicas: z.object({ desired: z.number().int(), ready: z.number().int(), available: z.number().int() }).optional(),
    pod_ip: z.string().optional(),
    node_name: z.string().optional(),
    service_type: z.string().optional(),
    cluster_ip: z.string().optional(),
    collapsed: z
      .object({ pods: z.number().int(), replicasets: z.number().int(), jobs: z.number().int() })
      .optional()
      .openapi({ description: 'What was folded into this workload node of a large graph.' }),
  })
  .openapi('TopologyNode');

const edge = z
  .object({
    id: z.string(),
    source: z.string(),
    target: z.string(),
    relationship: z.enum(RELATIONSHIPS),
    label: z.string().openapi({ example: 'reads env from' }),
    derivation: z.string().openapi({ description: 'The field the edge was read from.', example: 'spec.containers[web].env[PASSWORD].secretKeyRef' }),
  })
  .openapi('TopologyEdge');

export const topology = z
  .object({
    schema_version: z.literal('1.0'),
    nodes: z.array(node),
    edges: z.array(edge),
    metadata: z.object({
      cluster_id: z.string(),
      namespace: z.string().nullable(),
      generated_at: z.string(),
      layout_seed: z.string().openapi({ description: 'A digest of the nodes and edges: the same state gives the same seed and layout.' }),
      node_count: z.number().int(),
      edge_count: z.number().int(),
      is_complete: z.boolean().openapi({ description: 'False when nodes were left out (truncated) or a kind could not be listed.' }),
      source: z.enum(['live', 'inventory']).openapi({ description: '`inventory`: drawn from the latest inventory snapshot, the cluster not contacted.' }),
      snapshot_taken_at: z.string().optional().openapi({ description: 'source=inventory: when the inventory last looked at the cluster.' }),
      snapshot_age_seconds: z.number().int().optional(),
      cached: z
        .boolean()
        .openapi({ description: 'True when the graph came from the short-lived cache (HUB_TOPOLOGY_CACHE_SECONDS); force_refresh=true reads the cluster.' }),
      built_at: z.string().openapi({ description: 'When the graph was read from the cluster (or, source=inventory, when the snapshot looked).' }),
      warnings: z.array(z.object({ code: z.string(), message: z.string() })),
      collapsed: z
        .object({ pods: z.number().int(), replicasets: z.number().int(), jobs: z.number().int(), into: z.number().int() })
        .nullable()
        .openapi({ description: 'Pods, ReplicaSets and Jobs folded into `into` workload nodes because the graph had more than max_nodes.' }),
      truncated: z.object({ omitted_nodes: z.number().int() }).nullable(),
      root: z.string().optional(),
      direction: direction.optional(),
      depth: z.number().int().optional(),
    }),
    distance: z.record(z.string(), z.number().int()).optional().openapi({ description: 'Hops from the object, per node id (resource subgraphs only).' }),
  })
  .openapi('Topology');
