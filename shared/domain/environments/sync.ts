/**
 * Sync from one app instance to others: a workload's image tags (services), or chosen keys of a
 * ConfigMap or a Secret. A dry run answers the exact changes and makes none. A sync into an
 * environment that requires approval is refused (409 PROMOTION_REQUIRED). Secret values move from
 * cluster to cluster inside this process only: history, answers and logs hold their digests.
 */
import { createHash, randomUUID } from 'node:crypto';
import { AppError, ConflictError, InputError, NotFoundError } from '#shared/domain/errors.ts';
import { authorizeCluster, canSeeCluster, type Principal } from '#shared/domain/identity/access.ts';
import { FIELD_MANAGER } from '#shared/domain/resources/cluster-session.ts';
import { timeRange } from '#shared/domain/time-range.ts';
import type { KubernetesObject, ResourceType } from '#shared/ports/cluster-gateway.ts';
import { getAppInstance, getEnvironment } from './catalog.ts';
import { onInstance, podSpecPath, readWorkloads, WORKLOAD_TYPES, type WorkloadInfo, type WorkloadKind } from './instance-objects.ts';
import type { EnvironmentDeps } from './ports.ts';
import type { AppInstanceRecord, SyncChange, SyncKind, SyncRecord, SyncTargetResult } from './records.ts';

/** ConfigMap values up to this size are kept in history (so a rollback can put them back); larger ones as digests only. */
export const MAX_KEPT_VALUE_BYTES = 1024;

export class PromotionRequiredError extends AppError {
  constructor(environmentName: string) {
    super(
      'conflict',
      'PROMOTION_REQUIRED',
      `Environment ${environmentName} requires approval: request the change with POST /api/v1/promotions instead of a direct sync.`,
      { promotion_route: '/api/v1/promotions' },
    );
  }
}

export interface SyncAnswer {
  /** The sync's id in history; null for a dry run. */
  id: string | null;
  dry_run: boolean;
  state: SyncRecord['state'] | 'planned';
  results: SyncTargetResult[];
}

const failureText = (err: unknown) => (err instanceof AppError ? err.message : 'The cluster could not be changed.');
const digestOf = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A target the caller may change: operator on its cluster, its environment taking direct syncs. */
async function writableTarget(deps: EnvironmentDeps, principal: Principal, id: string, approved = false) {
  const instance = await getAppInstance(deps, principal, id);
  authorizeCluster(principal, instance.clusterId, 'operator');
  const environment = await getEnvironment(deps, instance.environmentId);
  if (environment.requireApproval && !approved) throw new PromotionRequiredError(environment.name);
  return instance;
}

function overall(results: SyncTargetResult[]): SyncRecord['state'] {
  const failed = results.filter((r) => r.state === 'failed').length;
  return failed === 0 ? 'applied' : failed === results.length ? 'failed' : 'partially_failed';
}

async function remember(
  deps: EnvironmentDeps,
  principal: Principal,
  kind: SyncKind,
  source: AppInstanceRecord,
  targets: AppInstanceRecord[],
  objects: string[],
  results: SyncTargetResult[],
  rollbackOf?: string,
): Promise<SyncAnswer> {
  const record: SyncRecord = {
    id: randomUUID(),
    kind,
    sourceAppInstanceId: source.id,
    targetAppInstanceIds: targets.map((t) => t.id),
    environmentIds: [...new Set([source.environmentId, ...targets.map((t) => t.environmentId)])],
    clusterIds: [...new Set([source.clusterId, ...targets.map((t) => t.clusterId)])],
    objects,
    requestedBy: principal.userId,
    username: principal.username,
    at: deps.clock.now().toISOString(),
    state: overall(results),
    results,
    ...(rollbackOf ? { rollbackOf } : {}),
  };
  await deps.history.record({ ...record, results: withinItemBudget(results) });
  return { id: record.id, dry_run: false, state: record.state, results };
}

/** What history keeps of a sync's results: at most about 300 KB of changes, the first ones of each target. */
const HISTORY_BUDGET_BYTES = 300_000;
function withinItemBudget(results: SyncTargetResult[]): SyncTargetResult[] {
  if (Buffer.byteLength(JSON.stringify(results)) <= HISTORY_BUDGET_BYTES) return results;
  let kept = Math.max(...results.map((r) => r.changes.length));
  let trimmed = results;
  while (kept > 0 && Buffer.byteLength(JSON.stringify(trimmed)) > HISTORY_BUDGET_BYTES) {
    kept = Math.floor(kept / 2);
    trimmed = results.map((r) => (r.changes.length > kept ? { ...r, changes: r.changes.slice(0, kept), changes_truncated: true } : r));
  }
  return trimmed;
}

/** The strategic merge patch that sets containers' images, at the pod spec of the kind. */
function imagePatch(kind: WorkloadKind, images: { name: string; image: string }[]): unknown {
  return podSpecPath(kind)
    .slice()
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), { containers: images });
}

async function setImages(deps: EnvironmentDeps, principal: Principal, target: AppInstanceRecord, changes: SyncChange[]): Promise<void> {
  const byObject = new Map<string, SyncChange[]>();
  for (const change of changes) byObject.set(change.object, [...(byObject.get(change.object) ?? []), change]);
  await onInstance(deps, { principal, instance: target }, 'operator', async (session) => {
    for (const [object, list] of byObject) {
      const [kind, name] = object.split('/') as [WorkloadKind, string];
      const ref = { ...WORKLOAD_TYPES[kind], namespace: target.namespace, name };
      await session.gateway.patch(
        ref,
        'strategic-merge',
        imagePatch(
          kind,
          list.map((c) => ({ name: c.field, image: c.after! })),
        ),
        {
          fieldManager: FIELD_MANAGER,
        },
      );
    }
  });
}

/** The image changes that make `target`'s named workloads run what `source`'s run. */
function imageChanges(source: WorkloadInfo[], target: WorkloadInfo[], services: string[]) {
  const changes: SyncChange[] = [];
  const missing: string[] = [];
  for (const s of source.filter((w) => services.includes(w.name))) {
    const t = target.find((w) => w.kind === s.kind && w.name === s.name);
    if (!t) {
      missing.push(`${s.kind}/${s.name}`);
      continue;
    }
    for (const container of s.containers) {
      const current = t.containers.find((c) => c.name === container.name);
      if (current && current.image !== container.image)
        changes.push({ object: `${s.kind}/${s.name}`, field: container.name, before: current.image, after: container.image });
    }
  }
  return { changes, missing };
}

export interface ServiceSyncRequest {
  source: string;
  targets: string[];
  services: string[];
  dryRun: boolean;
  /** Run by an approved promotion: an environment that requires approval has it. */
  approved?: boolean;
}

/** POST /services/sync: the source's image tags onto the same workloads of each target, target by target. */
export async function syncServices(deps: EnvironmentDeps, principal: Principal, request: ServiceSyncRequest): Promise<SyncAnswer> {
  if (request.targets.includes(request.source))
    throw new InputError('The source cannot be one of its targets.', [{ field: 'target_app_instance_ids', location: 'body', message: 'holds the source' }]);
  const source = await getAppInstance(deps, principal, request.source);
  const targets = await Promise.all(request.targets.map((id) => writableTarget(deps, principal, id, request.approved)));
  const sourceWorkloads = await readWorkloads(deps, { principal, instance: source });
  const unknown = request.services.filter((name) => !sourceWorkloads.some((w) => w.name === name));
  if (unknown.length)
    throw new InputError(`The source runs no workload named ${unknown.join(', ')}.`, [
      { field: 'services', location: 'body', message: `not in the source: ${unknown.join(', ')}` },
    ]);
  const results: SyncTargetResult[] = [];
  for (const target of targets) {
    const base = { app_instance_id: target.id, environment_id: target.environmentId };
    try {
      const { changes, missing } = imageChanges(sourceWorkloads, await readWorkloads(deps, { principal, instance: target }), request.services);
      if (!request.dryRun && changes.length) await setImages(deps, principal, target, changes);
      results.push({ ...base, state: changes.length ? 'applied' : 'unchanged', changes, ...(missing.length ? { missing } : {}) });
    } catch (err) {
      if (request.dryRun) throw err;
      results.push({ ...base, state: 'failed', error: failureText(err), changes: [] });
    }
  }
  if (request.dryRun) return { id: null, dry_run: true, state: 'planned', results };
  return remember(deps, principal, 'services', source, targets, request.services, results);
}

const KEYED_TYPES: Record<'configmaps' | 'secrets', ResourceType> = {
  configmaps: { group: '', version: 'v1', plural: 'configmaps' },
  secrets: { group: '', version: 'v1', plural: 'secrets' },
};

export interface KeySyncRequest {
  source: string;
  target: string;
  name: string;
  keys: string[];
  dryRun: boolean;
  approved?: boolean;
}

type Values = Record<string, { field: 'data' | 'binaryData'; text: string; bytes: Buffer }>;

/** An object's values by key, as the cluster stores them (`text`) and as bytes. */
function valuesOf(object: KubernetesObject | undefined, secret: boolean): Values {
  const out: Values = {};
  if (!object) return out;
  for (const [k, v] of Object.entries((object.data as Record<string, string> | undefined) ?? {}))
    out[k] = { field: 'data', text: v, bytes: secret ? Buffer.from(v, 'base64') : Buffer.from(v, 'utf8') };
  for (const [k, v] of Object.entries((object.binaryData as Record<string, string> | undefined) ?? {}))
    out[k] = { field: 'binaryData', text: v, bytes: Buffer.from(v, 'base64') };
  return out;
}

const shownValue = (secret: boolean, value: Values[string] | undefined) =>
  secret || !value || value.field !== 'data' || value.bytes.length > MAX_KEPT_VALUE_BYTES ? null : value.text;

async function readObject(
  deps: EnvironmentDeps,
  principal: Principal,
  instance: AppInstanceRecord,
  kind: 'configmaps' | 'secrets',
  name: string,
  needed: 'viewer' | 'operator',
) {
  return onInstance(deps, { principal, instance }, needed, async (session) => {
    try {
      return (await session.gateway.get({ ...KEYED_TYPES[kind], namespace: instance.namespace, name })).object;
    } catch (err) {
      if ((err as { kind?: string }).kind === 'not_found') return undefined;
      throw err;
    }
  });
}

/** Writes `values` (key: stored text, or null to remove) into the target object, creating it when absent. */
async function writeKeys(
  deps: EnvironmentDeps,
  principal: Principal,
  target: AppInstanceRecord,
  kind: 'configmaps' | 'secrets',
  name: string,
  exists: boolean,
  values: Record<string, { field: 'data' | 'binaryData'; text: string | null }>,
) {
  const byField = (field: 'data' | 'binaryData') =>
    Object.fromEntries(
      Object.entries(values)
        .filter(([, v]) => v.field === field)
        .map(([k, v]) => [k, v.text]),
    );
  const data = byField('data');
  const binaryData = byField('binaryData');
  const body = { ...(Object.keys(data).length ? { data } : {}), ...(Object.keys(binaryData).length ? { binaryData } : {}) };
  await onInstance(deps, { principal, instance: target }, 'operator', async (session) => {
    const ref = { ...KEYED_TYPES[kind], namespace: target.namespace, name };
    if (exists) await session.gateway.patch(ref, 'merge', body, { fieldManager: FIELD_MANAGER });
    else
      await session.gateway.create(
        { ...KEYED_TYPES[kind], namespace: target.namespace },
        { apiVersion: 'v1', kind: kind === 'secrets' ? 'Secret' : 'ConfigMap', metadata: { name, namespace: target.namespace }, ...body },
        { fieldManager: FIELD_MANAGER },
      );
  });
}

/** POST /configmaps/sync and /secrets/sync: chosen keys of one object, source to target. */
export async function syncKeys(deps: EnvironmentDeps, principal: Principal, kind: 'configmaps' | 'secrets', request: KeySyncRequest): Promise<SyncAnswer> {
  if (request.target === request.source)
    throw new InputError('The source cannot be its own target.', [{ field: 'target_app_instance_id', location: 'body', message: 'is the source' }]);
  const secret = kind === 'secrets';
  const source = await getAppInstance(deps, principal, request.source);
  const target = await writableTarget(deps, principal, request.target, request.approved);
  // A Secret's values go where the caller can mount them: that takes operator on the source as well,
  // where they could mount them already; a viewer there may compare digests, never move values.
  const from = await readObject(deps, principal, source, kind, request.name, secret ? 'operator' : 'viewer');
  if (!from) throw new NotFoundError(`The source has no ${secret ? 'Secret' : 'ConfigMap'} named ${request.name}.`);
  const sourceValues = valuesOf(from, secret);
  const unknown = request.keys.filter((k) => !(k in sourceValues));
  if (unknown.length)
    throw new InputError(`${request.name} in the source has no key ${unknown.join(', ')}.`, [
      { field: 'keys', location: 'body', message: `not in the source: ${unknown.join(', ')}` },
    ]);
  const to = await readObject(deps, principal, target, kind, request.name, 'operator');
  const targetValues = valuesOf(to, secret);
  const changes: SyncChange[] = request.keys
    .filter((k) => targetValues[k]?.bytes.equals(sourceValues[k]!.bytes) !== true)
    .map((k) => ({
      object: request.name,
      field: k,
      before: shownValue(secret, targetValues[k]),
      after: shownValue(secret, sourceValues[k]),
      before_digest: targetValues[k] ? digestOf(targetValues[k].bytes) : null,
      after_digest: digestOf(sourceValues[k]!.bytes),
    }));
  const base = { app_instance_id: target.id, environment_id: target.environmentId };
  if (request.dryRun) return { id: null, dry_run: true, state: 'planned', results: [{ ...base, state: changes.length ? 'applied' : 'unchanged', changes }] };
  let result: SyncTargetResult;
  try {
    if (changes.length)
      await writeKeys(deps, principal, target, kind, request.name, to !== undefined, Object.fromEntries(changes.map((c) => [c.field, sourceValues[c.field]!])));
    result = { ...base, state: changes.length ? 'applied' : 'unchanged', changes };
  } catch (err) {
    result = { ...base, state: 'failed', error: failureText(err), changes: [] };
  }
  return remember(deps, principal, kind, source, [target], [request.name], [result]);
}

/**
 * POST /sync-operations/{id}/rollback: puts back what the sync replaced, target by target, as a
 * sync of its own in history. Secrets cannot be rolled back (their old values were never kept),
 * nor ConfigMap values too large to keep: 422 ROLLBACK_UNAVAILABLE.
 */
export async function rollbackSync(deps: EnvironmentDeps, principal: Principal, id: string): Promise<SyncAnswer> {
  const sync = await deps.history.get(id);
  if (!sync) throw new NotFoundError(`Sync ${id} does not exist.`);
  const source = await getAppInstance(deps, principal, sync.sourceAppInstanceId).catch(() => undefined);
  if (sync.state === 'rolled_back') throw new ConflictError(`Sync ${id} was already rolled back.`, 'ALREADY_ROLLED_BACK');
  if (sync.kind === 'secrets')
    throw new AppError(
      'unprocessable',
      'ROLLBACK_UNAVAILABLE',
      'A Secret sync cannot be rolled back: the hub never keeps Secret values. Sync the keys back from where they are.',
    );
  const applied = sync.results.filter((r) => r.state === 'applied');
  if (!applied.length) throw new ConflictError(`Sync ${id} changed nothing: there is nothing to put back.`, 'NOTHING_TO_ROLL_BACK');
  if (applied.some((r) => r.changes_truncated))
    throw new AppError('unprocessable', 'ROLLBACK_UNAVAILABLE', 'This sync was too large for history to keep all its changes: sync back from where they are.');
  if (sync.kind === 'configmaps' && applied.some((r) => r.changes.some((c) => c.before === null && c.before_digest)))
    throw new AppError('unprocessable', 'ROLLBACK_UNAVAILABLE', `A value this sync replaced was larger than ${MAX_KEPT_VALUE_BYTES} bytes and was not kept.`);
  const targets = await Promise.all(applied.map((r) => writableTarget(deps, principal, r.app_instance_id)));
  const results: SyncTargetResult[] = [];
  for (const [i, target] of targets.entries()) {
    const base = { app_instance_id: target.id, environment_id: target.environmentId };
    const back = applied[i]!.changes.map((c) => ({
      ...c,
      before: c.after,
      after: c.before,
      before_digest: c.after_digest ?? null,
      after_digest: c.before_digest ?? undefined,
    }));
    try {
      if (sync.kind === 'services') await setImages(deps, principal, target, back);
      else
        await writeKeys(
          deps,
          principal,
          target,
          'configmaps',
          sync.objects[0]!,
          true,
          Object.fromEntries(back.map((c) => [c.field, { field: 'data' as const, text: c.after }])),
        );
      results.push({ ...base, state: 'applied', changes: back });
    } catch (err) {
      results.push({ ...base, state: 'failed', error: failureText(err), changes: [] });
    }
  }
  await deps.history.markRolledBack(id);
  const from = source ?? ({ id: sync.sourceAppInstanceId, environmentId: sync.environmentIds[0]!, clusterId: sync.clusterIds[0]! } as AppInstanceRecord);
  return remember(deps, principal, sync.kind, from, targets, sync.objects, results, id);
}

export interface HistoryQuery {
  environmentId?: string;
  appInstanceId?: string;
  /** A workload (services) or object (ConfigMap, Secret) name. */
  object?: string;
  userId?: string;
  since?: string;
  until?: string;
}

/**
 * GET /<kind>/sync/history: newest first, within the time range; the other filters and the
 * clusters the caller may not see drop entries from the page (which may then hold fewer than
 * `limit` while `continue` says more follow).
 */
export async function syncHistory(deps: EnvironmentDeps, principal: Principal, kind: SyncKind, query: HistoryQuery, limit: number, cursor?: string) {
  // Refuses a range that ends before it starts (400), which the table would refuse as a malformed key condition.
  const [since, until] = timeRange(query.since, query.until);
  const page = await deps.history.list(kind, { since, until }, limit, cursor);
  const items = page.items.filter(
    (s) =>
      s.clusterIds.every((c) => canSeeCluster(principal, c)) &&
      (!query.environmentId || s.environmentIds.includes(query.environmentId)) &&
      (!query.appInstanceId || s.sourceAppInstanceId === query.appInstanceId || s.targetAppInstanceIds.includes(query.appInstanceId)) &&
      (!query.object || s.objects.includes(query.object)) &&
      (!query.userId || s.requestedBy === query.userId),
  );
  return { ...page, items };
}
