import { z } from '@hono/zod-openapi';
import { CLUSTER_PROGRESS_STATES, OPERATION_STATES, operationState, type Operation } from '#shared/domain/operations/operation.ts';

const clusterProgress = z
  .object({
    cluster_id: z.string(),
    state: z.enum(CLUSTER_PROGRESS_STATES),
    detail: z.string().optional(),
    result: z.record(z.string(), z.unknown()).optional(),
    updated_at: z.string(),
  })
  .openapi('OperationClusterProgress');

export const operationSchema = z
  .object({
    id: z.string(),
    kind: z.string().openapi({ example: 'health-sweep' }),
    state: z.enum(OPERATION_STATES),
    requested_by: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    progress: z.object({
      total: z.number().int(),
      queued: z.number().int(),
      running: z.number().int(),
      succeeded: z.number().int(),
      failed: z.number().int(),
      skipped: z.number().int(),
    }),
    clusters: z.array(clusterProgress),
  })
  .openapi('Operation');

/** An operation as the API shows it: its state, counts and each cluster's progress. */
export function toOperationView(op: Operation): z.infer<typeof operationSchema> {
  const clusters = Object.entries(op.clusters)
    .map(([clusterId, p]) => ({
      cluster_id: clusterId,
      state: p.state,
      ...(p.detail !== undefined && { detail: p.detail }),
      ...(p.data !== undefined && { result: p.data }),
      updated_at: p.updatedAt,
    }))
    .sort((a, b) => a.cluster_id.localeCompare(b.cluster_id));
  const count = (state: (typeof CLUSTER_PROGRESS_STATES)[number]) => clusters.filter((p) => p.state === state).length;
  return {
    id: op.id,
    kind: op.kind,
    state: operationState(op),
    requested_by: op.requestedBy,
    created_at: op.createdAt,
    updated_at: clusters.reduce((latest, p) => (p.updated_at > latest ? p.updated_at : latest), op.createdAt),
    progress: {
      total: clusters.length,
      queued: count('queued'),
      running: count('running'),
      succeeded: count('succeeded'),
      failed: count('failed'),
      skipped: count('skipped'),
    },
    clusters,
  };
}
