/**
 * Promotions: a change of a target instance that waits for a second person. The requester names
 * what to copy and why; another user with operator on the target's cluster approves (the requester
 * never may) or rejects it. Approval runs it as syncs (applied); the target's rollouts are then
 * looked at on each read until they complete (verified) or stall (failed).
 */
import { randomUUID } from 'node:crypto';
import { AppError, ConflictError, ForbiddenError, NotFoundError } from '#shared/domain/errors.ts';
import { authorizeCluster, canSeeCluster, type Principal } from '#shared/domain/identity/access.ts';
import type { KubernetesObject } from '#shared/ports/cluster-gateway.ts';
import type { Page } from '#shared/ports/page.ts';
import { getAppInstance } from './catalog.ts';
import { onInstance, WORKLOAD_TYPES } from './instance-objects.ts';
import type { EnvironmentDeps } from './ports.ts';
import type { PromotedKeys, PromotionRecord, PromotionState } from './records.ts';
import { syncKeys, syncServices } from './sync.ts';

export interface PromotionRequest {
  source: string;
  target: string;
  services: string[];
  configmaps: PromotedKeys[];
  secrets: PromotedKeys[];
  reason: string;
}

export async function requestPromotion(deps: EnvironmentDeps, principal: Principal, request: PromotionRequest): Promise<PromotionRecord> {
  if (request.source === request.target) throw new AppError('invalid', 'VALIDATION_ERROR', 'The source cannot be its own target.');
  if (!request.services.length && !request.configmaps.length && !request.secrets.length)
    throw new AppError('invalid', 'VALIDATION_ERROR', 'Name at least one service, ConfigMap or Secret to promote.');
  const [, target] = await Promise.all([getAppInstance(deps, principal, request.source), getAppInstance(deps, principal, request.target)]);
  const now = deps.clock.now().toISOString();
  return deps.promotions.create({
    id: randomUUID(),
    sourceAppInstanceId: request.source,
    targetAppInstanceId: request.target,
    clusterId: target.clusterId,
    environmentId: target.environmentId,
    services: request.services,
    configmaps: request.configmaps,
    secrets: request.secrets,
    reason: request.reason,
    state: 'pending',
    requestedBy: principal.userId,
    requesterName: principal.username,
    syncIds: [],
    createdAt: now,
    updatedAt: now,
  });
}

/** A promotion the caller may see: its target's cluster visible to them. */
async function visible(deps: EnvironmentDeps, principal: Principal, id: string): Promise<PromotionRecord> {
  const found = await deps.promotions.get(id);
  if (!found || !canSeeCluster(principal, found.clusterId)) throw new NotFoundError(`Promotion ${id} does not exist.`);
  return found;
}

/** Who may decide: operator on the target's cluster, and not the one who asked. */
async function decidable(deps: EnvironmentDeps, principal: Principal, id: string): Promise<PromotionRecord> {
  const found = await visible(deps, principal, id);
  authorizeCluster(principal, found.clusterId, 'operator');
  if (found.requestedBy === principal.userId) throw new ForbiddenError('You requested this promotion: another user must approve or reject it.');
  if (found.state !== 'pending') throw new ConflictError(`Promotion ${id} is ${found.state}, no longer pending.`, 'PROMOTION_DECIDED');
  return found;
}

export async function rejectPromotion(deps: EnvironmentDeps, principal: Principal, id: string): Promise<PromotionRecord> {
  const found = await decidable(deps, principal, id);
  const now = deps.clock.now().toISOString();
  return deps.promotions.update(found, { state: 'rejected', decidedBy: principal.userId, deciderName: principal.username, decidedAt: now, updatedAt: now });
}

/** Approves (claiming the decision first, so two approvers cannot both run it), then runs the syncs as the approver. */
export async function approvePromotion(deps: EnvironmentDeps, principal: Principal, id: string): Promise<PromotionRecord> {
  const found = await decidable(deps, principal, id);
  const now = deps.clock.now().toISOString();
  let current = await deps.promotions.update(found, {
    state: 'approved',
    decidedBy: principal.userId,
    deciderName: principal.username,
    decidedAt: now,
    updatedAt: now,
  });
  const syncIds: string[] = [];
  const failures: string[] = [];
  const run = async (work: () => Promise<{ id: string | null; state: string; results: { error?: string }[] }>) => {
    try {
      const answer = await work();
      if (answer.id) syncIds.push(answer.id);
      if (answer.state !== 'applied') failures.push(...answer.results.flatMap((r) => (r.error ? [r.error] : [])));
    } catch (err) {
      failures.push(err instanceof AppError ? err.message : 'The sync failed.');
    }
  };
  const common = { source: current.sourceAppInstanceId, dryRun: false, approved: true };
  if (current.services.length)
    await run(() => syncServices(deps, principal, { ...common, targets: [current.targetAppInstanceId], services: current.services }));
  for (const [kind, list] of [
    ['configmaps', current.configmaps],
    ['secrets', current.secrets],
  ] as const) {
    for (const item of list)
      await run(() => syncKeys(deps, principal, kind, { ...common, target: current.targetAppInstanceId, name: item.name, keys: item.keys }));
  }
  current = await deps.promotions.update(current, {
    state: failures.length ? 'failed' : 'applied',
    syncIds,
    ...(failures.length ? { detail: failures.join(' ').slice(0, 1000) } : {}),
    updatedAt: deps.clock.now().toISOString(),
  });
  return current;
}

/** Where the rollout of a Deployment or StatefulSet stands: done, still going, or stalled (progress deadline passed). */
function rolloutOf(object: KubernetesObject): 'done' | 'progressing' | 'stalled' {
  const spec = (object.spec ?? {}) as { replicas?: number };
  const status = (object.status ?? {}) as {
    observedGeneration?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    readyReplicas?: number;
    replicas?: number;
    conditions?: { type: string; reason?: string }[];
  };
  if (status.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded')) return 'stalled';
  const wanted = spec.replicas ?? 1;
  const observed = (status.observedGeneration ?? 0) >= (object.metadata?.generation ?? 1);
  const settled =
    (status.updatedReplicas ?? 0) >= wanted && (status.availableReplicas ?? status.readyReplicas ?? 0) >= wanted && (status.replicas ?? 0) <= wanted;
  return observed && settled ? 'done' : 'progressing';
}

/** An applied promotion's rollouts, looked at now: verified when all are done, failed when one stalled. */
async function watched(deps: EnvironmentDeps, principal: Principal, record: PromotionRecord): Promise<PromotionRecord> {
  if (record.state !== 'applied' || !record.services.length) {
    if (record.state === 'applied') return deps.promotions.update(record, { state: 'verified', updatedAt: deps.clock.now().toISOString() });
    return record;
  }
  const target = await getAppInstance(deps, principal, record.targetAppInstanceId);
  const states = await onInstance(deps, { principal, instance: target }, 'viewer', async (session) => {
    const found: ('done' | 'progressing' | 'stalled')[] = [];
    for (const kind of ['deployments', 'statefulsets'] as const) {
      const list = await session.gateway.list({ ...WORKLOAD_TYPES[kind], namespace: target.namespace }, { limit: 500 });
      for (const object of list.items) if (record.services.includes(object.metadata?.name ?? '')) found.push(rolloutOf(object));
    }
    return found;
  });
  if (states.includes('stalled'))
    return deps.promotions.update(record, {
      state: 'failed',
      detail: 'A rollout of the target passed its progress deadline.',
      updatedAt: deps.clock.now().toISOString(),
    });
  if (states.every((s) => s === 'done')) return deps.promotions.update(record, { state: 'verified', updatedAt: deps.clock.now().toISOString() });
  return record;
}

export async function getPromotion(deps: EnvironmentDeps, principal: Principal, id: string): Promise<PromotionRecord> {
  return watched(deps, principal, await visible(deps, principal, id));
}

export async function listPromotions(
  deps: EnvironmentDeps,
  principal: Principal,
  filter: { state?: PromotionState },
  limit: number,
  cursor?: string,
): Promise<Page<PromotionRecord>> {
  const page = await deps.promotions.list(limit, cursor);
  return { ...page, items: page.items.filter((p) => canSeeCluster(principal, p.clusterId) && (!filter.state || p.state === filter.state)) };
}
