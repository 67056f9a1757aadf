import { z } from '@hono/zod-openapi';
import { NotFoundError } from '#shared/domain/errors.ts';
import { canSeeOperation, OPERATION_STATES } from '#shared/domain/operations/operation.ts';
import { createRouter, type EndpointGroup } from '#shared/http/app.ts';
import { guardedRoutes } from '#shared/http/route.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { listOf, pageQuery, toListResponse } from '#shared/http/pagination.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { dropDeadLetters, redrive } from '#shared/workers/dead-letters.ts';
import { JOB_KIND_PATTERN } from '#shared/workers/messages.ts';
import { operationSchema, toOperationView } from '#shared/http/operation-view.ts';

/** A job kind, which names its queue too (the same rule as the messages'). */
const jobKindName = z.string().max(40).regex(JOB_KIND_PATTERN, 'lower-case words joined by hyphens');

const operationId = z.object({
  operationId: z.uuid().openapi({ param: { name: 'operationId', in: 'path' }, example: '7d3f0b8e-4a51-4c1e-a6c2-3e9b2d0f5a17' }),
});

const queueName = z.object({
  name: jobKindName.openapi({ param: { name: 'name', in: 'path' }, example: 'health-sweep' }),
});

const queueSchema = z
  .object({
    name: z.string().openapi({ example: 'health-sweep' }),
    depth: z.number().int().openapi({ description: 'Messages waiting to be taken (approximate, as SQS counts).' }),
    in_flight: z.number().int().openapi({ description: 'Messages a worker holds right now (approximate).' }),
    dead_lettered: z.number().int().openapi({ description: 'Messages in the dead-letter queue, after failing every receive allowed.' }),
    paused: z.boolean().openapi({ description: 'Whether the worker stopped taking messages; they wait in the queue.' }),
  })
  .openapi('Queue');

const deadLetterOutcome = (verb: string) =>
  z.object({
    name: z.string(),
    [verb]: z.number().int(),
    more: z.boolean().openapi({ description: 'Whether messages are left past the most one request handles (1,000): send it again.' }),
  });

/** Operations (long work started from the API) and the job queues behind them. */
export function operationsGroup(deps: Dependencies): EndpointGroup {
  const api = createRouter();
  const route = guardedRoutes(api, deps);

  route(
    {
      method: 'get',
      path: '/operations',
      tags: ['operations'],
      summary: 'Operations newest first, filtered by kind and state: yours, or everyone’s for an admin',
      access: 'viewer',
      request: {
        query: pageQuery.extend({
          kind: jobKindName.optional().openapi({ example: 'health-sweep' }),
          state: z.enum(OPERATION_STATES).optional(),
        }),
      },
      responses: { 200: jsonContent(listOf(operationSchema, 'OperationList'), 'Operations.'), ...errorResponses(400) },
    },
    async (c) => {
      const q = c.req.valid('query');
      const principal = c.get('principal')!;
      const requestedBy = principal.role === 'admin' ? undefined : principal.userId;
      const page = await deps.background.operations.list({ kind: q.kind, state: q.state, requestedBy }, q.limit, q.continue);
      return c.json(toListResponse(page, toOperationView), 200);
    },
  );

  route(
    {
      method: 'get',
      path: '/operations/{operationId}',
      tags: ['operations'],
      summary: 'An operation’s state, progress per cluster and results',
      description:
        'State: queued until a cluster starts, running until every cluster is done, then succeeded, failed (every cluster failed) or ' +
        'partially_failed. A cluster `skipped` had its previous run of the same job still going. Operations are kept 30 days.',
      access: 'viewer',
      request: { params: operationId },
      responses: { 200: jsonContent(operationSchema, 'The operation.'), ...errorResponses(400, 404) },
    },
    async (c) => {
      const op = await deps.background.operations.get(c.req.valid('param').operationId);
      if (!op || !canSeeOperation(c.get('principal')!, op)) throw new NotFoundError('No such operation.');
      return c.json(toOperationView(op), 200);
    },
  );

  route(
    {
      method: 'get',
      path: '/queues',
      tags: ['queues'],
      summary: 'Each job queue: depth, in flight, dead-lettered, paused (admin)',
      access: 'admin',
      responses: { 200: jsonContent(z.object({ items: z.array(queueSchema) }).openapi('QueueList'), 'Queues.') },
    },
    async (c) => {
      const items = await Promise.all(
        deps.background.queues().map(async (q) => {
          const s = await q.stats();
          return { name: q.kind, depth: s.depth, in_flight: s.inFlight, dead_lettered: s.deadLettered, paused: s.paused };
        }),
      );
      return c.json({ items }, 200);
    },
  );

  const switchRoute = (verb: 'pause' | 'resume', summary: string) =>
    route(
      {
        method: 'post',
        path: `/queues/{name}/${verb}`,
        tags: ['queues'],
        summary,
        access: 'admin',
        action: `queue.${verb}`,
        request: { params: queueName },
        responses: { 200: jsonContent(queueSchema, 'The queue, after the change.'), ...errorResponses(400, 404) },
      },
      async (c) => {
        const { name } = c.req.valid('param');
        c.set('audit', { resourceKind: 'queue', resourceId: name });
        const queue = deps.background.queue(name);
        await (verb === 'pause' ? queue.pause() : queue.resume());
        const s = await queue.stats();
        return c.json({ name, depth: s.depth, in_flight: s.inFlight, dead_lettered: s.deadLettered, paused: s.paused }, 200);
      },
    );
  switchRoute('pause', 'Stop the queue’s worker from taking messages; they wait (admin)');
  switchRoute('resume', 'Let the queue’s worker take messages again (admin)');

  route(
    {
      method: 'post',
      path: '/queues/{name}/redrive',
      tags: ['queues'],
      summary: 'Send the dead letters back to the queue, up to 1,000 a request (admin)',
      access: 'admin',
      action: 'queue.redrive',
      request: { params: queueName },
      responses: { 200: jsonContent(deadLetterOutcome('redriven').openapi('QueueRedrive'), 'Moved back.'), ...errorResponses(400, 404) },
    },
    async (c) => {
      const { name } = c.req.valid('param');
      const queue = deps.background.queue(name);
      const outcome = await redrive(queue.deadLetters, queue.work);
      c.set('audit', { resourceKind: 'queue', resourceId: name, details: { redriven: outcome.count } });
      return c.json({ name, redriven: outcome.count, more: outcome.more }, 200);
    },
  );

  route(
    {
      method: 'delete',
      path: '/queues/{name}/failed',
      tags: ['queues'],
      summary: 'Drop the dead letters, up to 1,000 a request; the audit entry counts them (admin)',
      access: 'admin',
      action: 'queue.drop_failed',
      request: { params: queueName },
      responses: { 200: jsonContent(deadLetterOutcome('dropped').openapi('QueueDropFailed'), 'Dropped.'), ...errorResponses(400, 404) },
    },
    async (c) => {
      const { name } = c.req.valid('param');
      const queue = deps.background.queue(name);
      const outcome = await dropDeadLetters(queue.deadLetters);
      c.set('audit', { resourceKind: 'queue', resourceId: name, details: { dropped: outcome.count } });
      return c.json({ name, dropped: outcome.count, more: outcome.more }, 200);
    },
  );

  return { name: 'operations', api };
}
