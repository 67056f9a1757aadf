import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { randomUUID } from 'node:crypto';
import { InputError, UnavailableError } from '#shared/domain/errors.ts';
import type { Operation } from '#shared/domain/operations/operation.ts';
import type { AppEnv } from '#shared/http/env.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import type { JobMessage } from '#shared/workers/messages.ts';
import { operationSchema, toOperationView } from './operation-view.ts';

/** The request header of every POST that starts work; the same key from the same caller within 24 h answers the same operation. */
export const idempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .optional()
    .openapi({
      description: 'Send the same key again (within 24 hours) to get the operation the first request started instead of starting another.',
      example: 'b7f1c1e0-sweep-prod',
    }),
});

/** The 202 answer of a route that starts an operation, for its createRoute `responses`. */
export const operationAccepted = {
  202: {
    description: 'Accepted: the work is queued. Poll the operation at `Location`.',
    headers: z.object({ Location: z.string().openapi({ example: '/api/v1/operations/7d3f0b8e-4a51-4c1e-a6c2-3e9b2d0f5a17' }) }),
    content: { 'application/json': { schema: operationSchema } },
  },
} as const;

export interface StartOperationRequest {
  /** The job kind to run (its queue must exist: JOBS, shared/workers/jobs.ts). */
  job: string;
  /** The clusters to run it on: the route has authorized the caller for each. At least one. */
  clusterIds: string[];
}

/**
 * Starts long work from an API route and answers for it: creates the operation (or finds the one
 * this caller's `Idempotency-Key` started in the last 24 hours), queues one message per cluster on
 * the job's queue, and answers 202 with `Location: /api/v1/operations/{id}` and the operation.
 * When the queue does not take the messages, the operation is failed, its key freed, and the answer
 * is 503 QUEUE_UNAVAILABLE, so a retry with the same key sends the work.
 * A route calls it last: `return startOperation(c, deps, { job: 'health-sweep', clusterIds: [id] })`.
 */
export async function startOperation<E extends AppEnv>(c: Context<E>, deps: Dependencies, request: StartOperationRequest): Promise<Response> {
  if (request.clusterIds.length === 0) throw new InputError('An operation needs at least one cluster.');
  const queue = deps.background.queue(request.job);
  const now = deps.clock.now().toISOString();
  const id = randomUUID();
  const key = c.req.header('Idempotency-Key');
  if (key !== undefined && !idempotencyKeyHeader.shape['idempotency-key'].safeParse(key).success) {
    throw new InputError('Idempotency-Key must be 1 to 128 printable ASCII characters without spaces.', [
      { field: 'Idempotency-Key', location: 'header', message: '1 to 128 printable ASCII characters' },
    ]);
  }
  const requestedBy = c.get('principal')?.userId ?? 'anonymous';
  const draft: Operation = {
    id,
    kind: request.job,
    requestedBy,
    createdAt: now,
    clusters: Object.fromEntries([...new Set(request.clusterIds)].map((clusterId) => [clusterId, { state: 'queued' as const, updatedAt: now }])),
  };
  const { operation, created } = await deps.background.operations.create(draft, key);
  if (created) {
    const messages = Object.keys(operation.clusters).map((clusterId): JobMessage => ({
      version: 1,
      job: request.job,
      run_id: operation.id,
      cluster_id: clusterId,
      trigger: 'operation',
      operation_id: operation.id,
      planned_at: now,
    }));
    try {
      await queue.work.sendBatch(messages.map((m) => JSON.stringify(m)));
    } catch (err) {
      // Left queued, the operation would never move, and its Idempotency-Key would answer it forever without sending again.
      deps.logger.error('the work of an operation could not be queued', {
        operation_id: operation.id,
        job: request.job,
        error: err instanceof Error ? err.message : String(err),
      });
      await deps.background.operations.abandon(operation, 'The work could not be queued, so it never ran; send the request again.', now, key);
      throw new UnavailableError(`The ${request.job} queue cannot take work right now; send the request again in a moment.`, 'QUEUE_UNAVAILABLE', {
        operation_id: operation.id,
      });
    }
  }
  c.set('audit', { ...c.get('audit'), resourceKind: 'operation', resourceId: operation.id, details: { job: request.job, replayed: !created } });
  c.header('Location', `/api/v1/operations/${operation.id}`);
  return c.json(toOperationView(operation), 202);
}
