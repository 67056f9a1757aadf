/**
 * Environments and their app instances: create, read, change, delete. An instance is one namespace
 * on one cluster, and it is only as visible as its cluster: a caller who may not see the cluster
 * does not see the instance (404, left out of lists); changing one needs operator on its cluster.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError, ForbiddenError, NotFoundError } from '#shared/domain/errors.ts';
import { authorizeCluster, canSeeCluster, roleAllows, type Principal } from '#shared/domain/identity/access.ts';
import type { Page } from '#shared/ports/page.ts';
import type { EnvironmentDeps } from './ports.ts';
import type { AppInstanceChanges, AppInstanceFilter, AppInstanceRecord, EnvironmentChanges, EnvironmentRecord } from './records.ts';

export interface NewEnvironment {
  name: string;
  description?: string;
  color?: string;
  order?: number;
  require_approval?: boolean;
}

export const DEFAULT_COLOR = '#6b7280';

export async function createEnvironment(deps: EnvironmentDeps, principal: Principal, input: NewEnvironment): Promise<EnvironmentRecord> {
  const now = deps.clock.now().toISOString();
  return deps.store.createEnvironment(
    {
      id: randomUUID(),
      name: input.name,
      description: input.description ?? '',
      color: input.color ?? DEFAULT_COLOR,
      order: input.order ?? 0,
      requireApproval: input.require_approval ?? false,
      instanceCount: 0,
      createdBy: principal.userId,
      createdAt: now,
      updatedAt: now,
    },
    deps.limits.maxEnvironments,
  );
}

export async function getEnvironment(deps: EnvironmentDeps, id: string): Promise<EnvironmentRecord> {
  const found = await deps.store.getEnvironment(id);
  if (!found) throw new NotFoundError(`Environment ${id} does not exist.`);
  return found;
}

export const listEnvironments = (deps: EnvironmentDeps, limit: number, cursor?: string) => deps.store.listEnvironments(limit, cursor);

/**
 * Turning `require_approval` off takes an admin: it is what keeps a single operator from changing
 * production alone, so an operator may switch it on but never off.
 */
export async function updateEnvironment(deps: EnvironmentDeps, principal: Principal, id: string, changes: EnvironmentChanges): Promise<EnvironmentRecord> {
  const current = await getEnvironment(deps, id);
  if (changes.requireApproval === false && current.requireApproval && !roleAllows(principal.role, 'admin')) {
    throw new ForbiddenError('Only an admin may turn require_approval off.');
  }
  return deps.store.updateEnvironment(current, changes, deps.clock.now().toISOString());
}

/**
 * An environment that holds instances is kept (409) unless `cascade`: then its instances go first.
 * Only the hub's records go; nothing on any cluster is touched.
 */
export async function deleteEnvironment(deps: EnvironmentDeps, id: string, cascade: boolean): Promise<{ removedInstances: number }> {
  const current = await getEnvironment(deps, id);
  let removed = 0;
  if (current.instanceCount > 0) {
    if (!cascade)
      throw new ConflictError(
        `Environment ${current.name} holds ${current.instanceCount} app instance(s): delete them first, or send cascade=true.`,
        'ENVIRONMENT_NOT_EMPTY',
      );
    let cursor: string | undefined;
    do {
      const page = await deps.store.listInstances({ environmentId: id }, 100, cursor);
      for (const instance of page.items) {
        await deps.store.deleteInstance(instance);
        removed++;
      }
      cursor = page.continue;
    } while (cursor);
  }
  await deps.store.deleteEnvironment(removed ? await getEnvironment(deps, id) : current);
  return { removedInstances: removed };
}

export interface NewAppInstance {
  name: string;
  environment_id: string;
  cluster_id: string;
  namespace: string;
}

/** A cluster the caller may see, or 404 (an unknown one alike). */
async function visibleCluster(deps: EnvironmentDeps, principal: Principal, clusterId: string, needed: 'viewer' | 'operator') {
  authorizeCluster(principal, clusterId, needed);
  const cluster = await deps.clusters.clusters.get(clusterId);
  if (!cluster) throw new NotFoundError(`Cluster ${clusterId} does not exist.`);
  return cluster;
}

export async function createAppInstance(deps: EnvironmentDeps, principal: Principal, input: NewAppInstance): Promise<AppInstanceRecord> {
  await visibleCluster(deps, principal, input.cluster_id, 'operator');
  await getEnvironment(deps, input.environment_id);
  const now = deps.clock.now().toISOString();
  return deps.store.createInstance(
    {
      id: randomUUID(),
      name: input.name,
      environmentId: input.environment_id,
      clusterId: input.cluster_id,
      namespace: input.namespace,
      createdBy: principal.userId,
      createdAt: now,
      updatedAt: now,
    },
    deps.limits.maxInstancesPerEnvironment,
  );
}

/** The instance, if the caller may see its cluster (404 otherwise, as for one that does not exist). */
export async function getAppInstance(deps: EnvironmentDeps, principal: Principal, id: string): Promise<AppInstanceRecord> {
  const found = await deps.store.getInstance(id);
  if (!found || !canSeeCluster(principal, found.clusterId)) throw new NotFoundError(`App instance ${id} does not exist.`);
  return found;
}

/**
 * One page of instances on clusters the caller may see. The page is filtered after the query, so
 * it may hold fewer than `limit` items while a continue token says more follow.
 */
export async function listAppInstances(
  deps: EnvironmentDeps,
  principal: Principal,
  filter: AppInstanceFilter,
  limit: number,
  cursor?: string,
): Promise<Page<AppInstanceRecord>> {
  if (filter.clusterId && !canSeeCluster(principal, filter.clusterId)) return { items: [] };
  const page = await deps.store.listInstances(filter, limit, cursor);
  return { ...page, items: page.items.filter((i) => canSeeCluster(principal, i.clusterId)) };
}

export async function updateAppInstance(deps: EnvironmentDeps, principal: Principal, id: string, changes: AppInstanceChanges): Promise<AppInstanceRecord> {
  const current = await getAppInstance(deps, principal, id);
  authorizeCluster(principal, current.clusterId, 'operator');
  return deps.store.updateInstance(current, changes, deps.clock.now().toISOString());
}

export async function deleteAppInstance(deps: EnvironmentDeps, principal: Principal, id: string): Promise<AppInstanceRecord> {
  const current = await getAppInstance(deps, principal, id);
  authorizeCluster(principal, current.clusterId, 'operator');
  await deps.store.deleteInstance(current);
  return current;
}
