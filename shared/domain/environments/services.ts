/** GET /services: the workloads of one instance, or of every instance of an environment the caller may see. */
import { AppError } from '#shared/domain/errors.ts';
import type { Principal } from '#shared/domain/identity/access.ts';
import { getAppInstance, getEnvironment, listAppInstances } from './catalog.ts';
import { readConfigMaps, readWorkloads, WORKLOAD_KINDS, type WorkloadInfo, type WorkloadKind } from './instance-objects.ts';
import type { EnvironmentDeps } from './ports.ts';
import type { AppInstanceRecord } from './records.ts';

/** The most instances one services view reads live (each a cluster round trip per kind). */
export const MAX_INSTANCES_PER_VIEW = 20;

export interface ServicesQuery {
  appInstanceId?: string;
  environmentId?: string;
  kind?: WorkloadKind;
  search?: string;
}

export interface ServiceView extends WorkloadInfo {
  appInstanceId: string;
}

async function instancesOf(deps: EnvironmentDeps, principal: Principal, query: ServicesQuery): Promise<AppInstanceRecord[]> {
  if (query.appInstanceId) return [await getAppInstance(deps, principal, query.appInstanceId)];
  await getEnvironment(deps, query.environmentId!);
  const page = await listAppInstances(deps, principal, { environmentId: query.environmentId }, MAX_INSTANCES_PER_VIEW + 1);
  if (page.items.length > MAX_INSTANCES_PER_VIEW || page.continue)
    throw new AppError(
      'unprocessable',
      'TOO_MANY_OBJECTS',
      `The environment has more than ${MAX_INSTANCES_PER_VIEW} app instances: ask for one with app_instance_id.`,
      {
        limit: MAX_INSTANCES_PER_VIEW,
      },
    );
  return page.items;
}

export async function listServices(deps: EnvironmentDeps, principal: Principal, query: ServicesQuery): Promise<ServiceView[]> {
  const instances = await instancesOf(deps, principal, query);
  const kinds = query.kind ? [query.kind] : WORKLOAD_KINDS;
  const search = query.search?.toLowerCase();
  const lists = await Promise.all(
    instances.map(async (instance) =>
      (await readWorkloads(deps, { principal, instance }, kinds))
        .filter((w) => !search || w.name.toLowerCase().includes(search))
        .map((w) => ({ ...w, appInstanceId: instance.id })),
    ),
  );
  return lists.flat();
}

/** GET /configmaps/{appInstanceId}: the instance's ConfigMaps with their keys and sizes. */
export async function listConfigMaps(deps: EnvironmentDeps, principal: Principal, appInstanceId: string) {
  const instance = await getAppInstance(deps, principal, appInstanceId);
  const objects = await readConfigMaps(deps, { principal, instance });
  return {
    instance,
    items: objects.map((o) => ({
      name: o.name,
      keys: Object.entries(o.keys)
        .map(([key, v]) => ({ key, bytes: v.bytes }))
        .sort((x, y) => x.key.localeCompare(y.key)),
    })),
  };
}
