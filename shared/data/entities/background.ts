/** The background backbone's items (docs/data-model.md): operations, their Idempotency-Key claims, job leases, the job workers' idempotency records. */
import { CLUSTER_PROGRESS_STATES, type ClusterProgress, type ClusterProgressState, type Operation } from '#shared/domain/operations/operation.ts';
import { defineEntity, fields, KeyTemplate, type Field } from '../entity.ts';

/** The attribute that counts an operation's clusters in `state`, kept in step with the clusters' map (the list filters on them). */
export const progressCounter = (state: ClusterProgressState) => `n_${state}`;

/** A cluster's progress as the `clusters` map stores it. */
export const storedProgress = (p: ClusterProgress) => ({ state: p.state, detail: p.detail, data: p.data, updated_at: p.updatedAt });

type StoredProgress = ReturnType<typeof storedProgress>;

/** Each cluster's progress in one map, with the per-state counters and their total beside it. */
const progressByCluster: Field<Record<string, ClusterProgress>> = {
  names: ['clusters', 'n_total', ...CLUSTER_PROGRESS_STATES.map(progressCounter)],
  write: (clusters) => {
    const all = Object.values(clusters);
    return {
      clusters: Object.fromEntries(Object.entries(clusters).map(([id, p]) => [id, storedProgress(p)])),
      n_total: all.length,
      ...Object.fromEntries(CLUSTER_PROGRESS_STATES.map((s) => [progressCounter(s), all.filter((p) => p.state === s).length])),
    };
  },
  read: (item) =>
    Object.fromEntries(
      Object.entries((item.clusters ?? {}) as Record<string, StoredProgress>).map(([id, p]) => [
        id,
        { state: p.state, updatedAt: p.updated_at, ...(p.detail !== undefined && { detail: p.detail }), ...(p.data !== undefined && { data: p.data }) },
      ]),
    ),
};

export const operation = defineEntity(
  { entity: 'operation', pk: 'OPERATION#<id>', sk: 'OPERATION', indexes: { gsi1: { pk: 'OPERATIONS', sk: '<createdAt>#<id>' } } },
  fields<Operation>({ id: 'id', kind: 'kind', requestedBy: 'requested_by', createdAt: 'created_at', clusters: progressByCluster }),
);

/** An operation's claim on an Idempotency-Key, by a digest of it: the key is the client's text, kept out of the table's keys. */
export const operationKeyClaim = defineEntity(
  { entity: 'operation-key', pk: 'OPKEY#<requestedBy>#<keyDigest>', sk: 'OPKEY' },
  fields<{ operationId: string; expiresAt: number }>({
    operationId: 'operation_id',
    // Epoch seconds, checked by the claim's condition (TTL deletes late) and its TTL.
    expiresAt: { names: ['expires_at', 'ttl'], write: (at) => ({ expires_at: at, ttl: at }), read: (item) => item.expires_at as number },
  }),
);

/** One run of a job per cluster at a time: the holder is the run id, `expires_at` epoch ms; TTL removes it an hour after. */
export const jobLease = defineEntity(
  { entity: 'lease', pk: 'LEASE#<clusterId>', sk: 'JOB#<kind>' },
  fields<{ holder: string; expiresAt: number }>({
    holder: 'holder',
    expiresAt: {
      names: ['expires_at', 'ttl'],
      write: (at) => ({ expires_at: at, ttl: Math.ceil(at / 1000) + 3600 }),
      read: (item) => item.expires_at as number,
    },
  }),
);

const JOB_IDEMPOTENCY_PREFIX = 'job:<kind>';
/** The key prefix the job worker gives Powertools; Powertools puts `<prefix>#<hash>` in the sort key. */
export const jobIdempotencyPrefix = new KeyTemplate(JOB_IDEMPOTENCY_PREFIX);

/**
 * Powertools' idempotency records (shared/workers/job-worker.ts), in Powertools' own layout: a static
 * partition, the sort key its prefix and a hash of run_id, cluster_id and job, its own attributes
 * (`status`, `data`, `in_progress_expiration`, `ttl`) and no `entity` attribute: never written here,
 * declared so the docs and IAM know its keys.
 */
export const jobIdempotencyRecord = defineEntity({ entity: 'idempotency', pk: 'IDEMPOTENCY', sk: `${JOB_IDEMPOTENCY_PREFIX}#<hash>` });
