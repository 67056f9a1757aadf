import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { operation, operationKeyClaim, progressCounter as counter, storedProgress } from '#shared/data/entities/background.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import type { ClusterProgress, ClusterProgressState, Operation, OperationFilter, OperationState, OperationStore } from '#shared/domain/operations/operation.ts';
import type { Page } from '#shared/ports/page.ts';
import type { Table } from '../table.ts';

const operationKey = (id: string) => operation.key({ id });
/** A caller's Idempotency-Key, by a digest: the key is the client's text, kept out of the table's keys. */
const claimOf = (requestedBy: string, key: string) => ({ requestedBy, keyDigest: createHash('sha256').update(key).digest('base64url') });
const LIST_PARTITION = operation.indexPartition('gsi1', {});
/** Operations are kept 30 days; an Idempotency-Key answers the same operation for 24 hours. */
const OPERATION_DAYS = 30;
const KEY_HOURS = 24;
const PROGRESS_ATTEMPTS = 8;
const FINAL: readonly ClusterProgressState[] = ['succeeded', 'failed', 'skipped'];

const toOperation = (item: Record<string, unknown>): Operation => operation.read(item);

/**
 * The filter on an operation's state, from the per-state counters every progress update keeps in
 * step with the clusters' map (the state follows from them as operationState says).
 */
const STATE_FILTERS: Record<OperationState, string> = {
  queued: 'n_queued = n_total',
  running: 'n_queued < n_total AND (n_queued > :zero OR n_running > :zero)',
  succeeded: 'n_queued = :zero AND n_running = :zero AND n_failed = :zero',
  failed: 'n_failed = n_total',
  partially_failed: 'n_queued = :zero AND n_running = :zero AND n_failed > :zero AND n_failed < n_total',
};

/** Operations, newest first through gsi1 (`OPERATIONS`), each cluster's progress in a map on the item. */
export class DynamoOperationStore implements OperationStore {
  constructor(private readonly table: Table) {}

  async create(op: Operation, idempotencyKey?: string): Promise<{ operation: Operation; created: boolean }> {
    const createdAt = Date.parse(op.createdAt);
    const item = { ...operation.item(op), version: 1, ttl: Math.floor(createdAt / 1000) + OPERATION_DAYS * 86_400 };
    if (!idempotencyKey) {
      await this.table.create(item);
      return { operation: op, created: true };
    }
    const claim = claimOf(op.requestedBy, idempotencyKey);
    const keyExpires = Math.floor(createdAt / 1000) + KEY_HOURS * 3600;
    try {
      await this.table.transact(
        [
          { Put: { TableName: this.table.name, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Put: {
              TableName: this.table.name,
              Item: { ...operationKeyClaim.item({ ...claim, operationId: op.id, expiresAt: keyExpires }), version: 1 },
              // TTL deletes late: a claim past its 24 hours is free even while it is still there.
              ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now',
              ExpressionAttributeValues: { ':now': Math.floor(createdAt / 1000) },
            },
          },
        ],
        'That Idempotency-Key is in use.',
      );
      return { operation: op, created: true };
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const held = await this.table.get(operationKeyClaim.key(claim), true);
      const earlier = held && (await this.get(operationKeyClaim.read(held).operationId));
      if (!earlier) throw new ConflictError('A request with that Idempotency-Key is being handled; retry in a moment.', 'IDEMPOTENCY_KEY_IN_USE');
      if (earlier.kind !== op.kind || !sameClusters(earlier, op)) {
        throw new ConflictError('That Idempotency-Key started other work in the last 24 hours; use a new key for new work.', 'IDEMPOTENCY_KEY_REUSED');
      }
      return { operation: earlier, created: false };
    }
  }

  async get(id: string): Promise<Operation | undefined> {
    const item = await this.table.get(operationKey(id), true);
    return item && toOperation(item);
  }

  async list(filter: OperationFilter, limit: number, cursor?: string): Promise<Page<Operation>> {
    const conditions: string[] = [];
    const values: Record<string, unknown> = {};
    if (filter.kind) {
      conditions.push('kind = :kind');
      values[':kind'] = filter.kind;
    }
    if (filter.requestedBy) {
      conditions.push('requested_by = :by');
      values[':by'] = filter.requestedBy;
    }
    if (filter.state) {
      conditions.push(`(${STATE_FILTERS[filter.state]})`);
      if (STATE_FILTERS[filter.state].includes(':zero')) values[':zero'] = 0;
    }
    const page = await this.table.query({
      index: 'gsi1',
      partition: LIST_PARTITION,
      newestFirst: true,
      limit,
      cursor,
      filter: conditions.length ? { expression: conditions.join(' AND '), values } : undefined,
    });
    return { ...page, items: page.items.map(toOperation) };
  }

  async recordProgress(id: string, clusterId: string, progress: ClusterProgress): Promise<void> {
    for (let attempt = 0; attempt < PROGRESS_ATTEMPTS; attempt++) {
      const out = await this.table.doc.send(
        new GetCommand({
          TableName: this.table.name,
          Key: operationKey(id),
          ConsistentRead: true,
          ProjectionExpression: '#clusters.#c',
          ExpressionAttributeNames: { '#clusters': 'clusters', '#c': clusterId },
        }),
      );
      const current = (out.Item && operation.read(out.Item).clusters[clusterId])?.state;
      // Not a cluster of this operation (or the operation expired): nothing to report on.
      if (!current) return;
      // A late "running" never hides a result.
      if (progress.state === 'running' && FINAL.includes(current)) return;
      const moves = current !== progress.state;
      try {
        await this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: operationKey(id),
            UpdateExpression: `SET #clusters.#c = :p${moves ? ' ADD #to :one, #from :minus' : ''}`,
            ConditionExpression: '#clusters.#c.#state = :current',
            ExpressionAttributeNames: {
              '#clusters': 'clusters',
              '#c': clusterId,
              '#state': 'state',
              ...(moves && { '#to': counter(progress.state), '#from': counter(current) }),
            },
            ExpressionAttributeValues: { ':p': storedProgress(progress), ':current': current, ...(moves && { ':one': 1, ':minus': -1 }) },
          }),
        );
        return;
      } catch (err) {
        // Another worker moved this cluster meanwhile (a redelivery): read again.
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      }
    }
    throw new ConflictError(`The progress of operation ${id} kept changing under this update.`);
  }

  async abandon(op: Operation, detail: string, updatedAt: string, idempotencyKey?: string): Promise<void> {
    for (const clusterId of Object.keys(op.clusters)) {
      const current = (await this.get(op.id))?.clusters[clusterId]?.state;
      // A cluster whose message did go out (part of a batch) keeps what its worker reports.
      if (current === 'queued') await this.recordProgress(op.id, clusterId, { state: 'failed', detail, updatedAt });
    }
    if (!idempotencyKey) return;
    try {
      await this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: operationKeyClaim.key(claimOf(op.requestedBy, idempotencyKey)),
          // Only this operation's claim: a key reused meanwhile for other work keeps its own.
          ConditionExpression: 'operation_id = :id',
          ExpressionAttributeValues: { ':id': op.id },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }
}

function sameClusters(a: Operation, b: Operation): boolean {
  const left = Object.keys(a.clusters).sort();
  const right = Object.keys(b.clusters).sort();
  return left.length === right.length && left.every((id, i) => id === right[i]);
}
