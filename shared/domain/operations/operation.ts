import type { Page } from '#shared/ports/page.ts';

/** Where one cluster of an operation stands. */
export const CLUSTER_PROGRESS_STATES = ['queued', 'running', 'succeeded', 'failed', 'skipped'] as const;
export type ClusterProgressState = (typeof CLUSTER_PROGRESS_STATES)[number];

export const OPERATION_STATES = ['queued', 'running', 'succeeded', 'failed', 'partially_failed'] as const;
export type OperationState = (typeof OPERATION_STATES)[number];

export interface ClusterProgress {
  state: ClusterProgressState;
  /** One sentence from the job (never a credential). */
  detail?: string;
  /** The job's small summary for this cluster. */
  data?: Record<string, unknown>;
  updatedAt: string;
}

/** Long work a user started: one job on some clusters, polled at /api/v1/operations/{id}. */
export interface Operation {
  id: string;
  /** The job kind it runs (`health-sweep`, `inventory`). */
  kind: string;
  /** Who started it (a user id, or `anonymous` when auth is off). */
  requestedBy: string;
  createdAt: string;
  /** Progress by cluster id; every cluster of the operation is here from the start (queued). */
  clusters: Record<string, ClusterProgress>;
}

/**
 * The state of an operation follows from its clusters', so that workers on many clusters never
 * have to agree on it: queued until one starts, running until all are done, then succeeded,
 * failed (every cluster failed) or partially_failed. A skipped cluster (its previous run was still
 * going) counts as done, not failed.
 */
export function operationState(op: Pick<Operation, 'clusters'>): OperationState {
  const states = Object.values(op.clusters).map((p) => p.state);
  if (states.every((s) => s === 'queued')) return 'queued';
  if (states.some((s) => s === 'queued' || s === 'running')) return 'running';
  const failed = states.filter((s) => s === 'failed').length;
  if (failed === 0) return 'succeeded';
  return failed === states.length ? 'failed' : 'partially_failed';
}

export interface OperationFilter {
  kind?: string;
  state?: OperationState;
  /** Only operations this caller started. */
  requestedBy?: string;
}

/** Who may see an operation: whoever started it, and admins. */
export function canSeeOperation(principal: { userId: string; role: string }, op: Pick<Operation, 'requestedBy'>): boolean {
  return principal.role === 'admin' || op.requestedBy === principal.userId;
}

export interface OperationStore {
  /**
   * Stores a new operation, or, when `idempotencyKey` was already used by the same caller within
   * 24 hours, returns that earlier operation instead (`created: false`).
   */
  create(op: Operation, idempotencyKey?: string): Promise<{ operation: Operation; created: boolean }>;
  get(id: string): Promise<Operation | undefined>;
  /** Newest first. */
  list(filter: OperationFilter, limit: number, cursor?: string): Promise<Page<Operation>>;
  /** Sets one cluster's progress; never moves a finished cluster back to running. */
  recordProgress(id: string, clusterId: string, progress: ClusterProgress): Promise<void>;
  /**
   * Gives up an operation whose work could not be queued: each cluster still queued is failed with
   * `detail`, and the caller's `idempotencyKey`, if it names this operation, is freed, so the same
   * request sent again starts the work instead of answering this failure.
   */
  abandon(op: Operation, detail: string, updatedAt: string, idempotencyKey?: string): Promise<void>;
}
