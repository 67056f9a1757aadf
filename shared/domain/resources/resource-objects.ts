/**
 * Reading and changing objects of any kind on a cluster: list (paged, the cluster's continue token
 * wrapped), get, patch and delete. Every object answered has its Secret values hidden unless the
 * caller revealed them (secret-values.ts).
 */
import { InputError, PayloadTooLargeError } from '#shared/domain/errors.ts';
import { authorizeCluster } from '#shared/domain/identity/access.ts';
import type { ApiResource, DeleteOptions, KubernetesObject, PatchType } from '#shared/ports/cluster-gateway.ts';
import { FIELD_MANAGER, onCluster, type Caller, type ResourceDeps } from './cluster-session.ts';
import { unwrapContinue, wrapContinue, type ListBinding } from './continue-token.ts';
import { ConfirmationRequiredError } from './errors.ts';
import { isSecret, withSecretValuesHidden } from './secret-values.ts';

export const DEFAULT_RESOURCE_PAGE = 100;
export const MAX_RESOURCE_PAGE = 500;

/** What a kind resolved to, as answers show it. */
export interface ResourceTypeView {
  kind: string;
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export const resourceTypeView = (r: ApiResource): ResourceTypeView => ({
  kind: r.kind,
  group: r.group,
  version: r.version,
  plural: r.plural,
  namespaced: r.namespaced,
});

/** Every answer of the cluster carries its warnings (a deprecated API version), for the Warning headers. */
export interface Answered<T> {
  value: T;
  warnings: string[];
}

export interface ResourceListQuery {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ResourceList {
  resource: ResourceTypeView;
  items: KubernetesObject[];
  metadata: { continue?: string; resourceVersion?: string; total?: number };
}

const apiVersionOf = (r: ApiResource) => (r.group ? `${r.group}/${r.version}` : r.version);

/** A list item as kubectl shows it (with its apiVersion and kind, which the cluster leaves out of list items), values hidden. */
function shown(resource: ApiResource, object: KubernetesObject, reveal = false): KubernetesObject {
  const whole = { apiVersion: apiVersionOf(resource), kind: resource.kind, ...object };
  return reveal ? whole : withSecretValuesHidden(whole, resource);
}

async function list(deps: ResourceDeps, caller: Caller, pick: 'kind' | 'crd', name: string, query: ResourceListQuery): Promise<Answered<ResourceList>> {
  return onCluster(deps, caller, async (session) => {
    const resource = pick === 'kind' ? await session.resolve(name) : await session.resolveCrd(name);
    const collection = session.collection(resource, query.namespace);
    const binding: ListBinding = {
      clusterId: caller.cluster.id,
      group: resource.group,
      version: resource.version,
      plural: resource.plural,
      namespace: collection.namespace,
      labelSelector: query.labelSelector,
      fieldSelector: query.fieldSelector,
    };
    const page = await session.gateway.list(collection, {
      labelSelector: query.labelSelector,
      fieldSelector: query.fieldSelector,
      limit: Math.min(query.limit ?? DEFAULT_RESOURCE_PAGE, MAX_RESOURCE_PAGE),
      ...(query.continue ? { continue: unwrapContinue(binding, query.continue) } : {}),
    });
    const total = page.remainingItemCount !== undefined ? page.items.length + page.remainingItemCount : page.continue ? undefined : page.items.length;
    return {
      value: {
        resource: resourceTypeView(resource),
        items: page.items.map((item) => shown(resource, item)),
        metadata: {
          ...(page.continue ? { continue: wrapContinue(binding, page.continue) } : {}),
          ...(page.resourceVersion ? { resourceVersion: page.resourceVersion } : {}),
          ...(total !== undefined && !query.continue ? { total } : {}),
        },
      },
      warnings: page.warnings,
    };
  });
}

/** GET /resources/{kind}: one page of a kind's objects. */
export const listResources = (deps: ResourceDeps, caller: Caller, kind: string, query: ResourceListQuery) => list(deps, caller, 'kind', kind, query);

/** GET /crd-instances/{crdName}: the same list, by the CRD's name. */
export const listCrdInstances = (deps: ResourceDeps, caller: Caller, crdName: string, query: ResourceListQuery) => list(deps, caller, 'crd', crdName, query);

/** Where an object is, as the path names it. */
export interface ObjectPath {
  kind: string;
  /** `-` or `_` for a cluster-scoped kind. */
  namespace: string;
  name: string;
}

export interface ObjectView {
  resource: ResourceTypeView;
  object: KubernetesObject;
}

/**
 * GET /resources/{kind}/{namespace}/{name}. `reveal` shows a Secret's values, only to a caller who
 * is admin on the cluster (403 otherwise); the route audits that read.
 */
export async function getResource(deps: ResourceDeps, caller: Caller, path: ObjectPath, options: { reveal?: boolean } = {}): Promise<Answered<ObjectView>> {
  if (options.reveal) authorizeCluster(caller.principal, caller.cluster.id, 'admin');
  return onCluster(deps, caller, async (session) => {
    const resource = await session.resolve(path.kind);
    if (options.reveal && !isSecret({}, resource))
      throw new InputError('reveal applies to Secrets only.', [{ field: 'reveal', location: 'query', message: 'not a Secret' }]);
    const { object, warnings } = await session.gateway.get(session.object(resource, path.namespace, path.name));
    return { value: { resource: resourceTypeView(resource), object: shown(resource, object, options.reveal) }, warnings };
  });
}

/** The patch of each content type: a JSON patch is a list of operations, the two merge patches an object. */
function checkPatch(type: PatchType, patch: unknown): void {
  const isObject = patch !== null && typeof patch === 'object' && !Array.isArray(patch);
  const ok =
    type === 'json' ? Array.isArray(patch) && patch.every((op) => op && typeof op === 'object' && typeof (op as { op?: unknown }).op === 'string') : isObject;
  if (!ok) {
    const expected = type === 'json' ? 'a JSON patch: an array of operations ({"op": ..., "path": ...})' : 'a JSON object (a merge patch)';
    throw new InputError(`The body must be ${expected}.`, [{ field: 'body', location: 'body', message: `not ${expected}` }]);
  }
}

/** The JSON patch operations that read the object they change. */
const READING_OPS = new Set(['copy', 'move', 'test']);

/** PATCH /resources/{kind}/{namespace}/{name}: a merge, JSON or strategic merge patch, answered with the object after it. */
export async function patchResource(
  deps: ResourceDeps,
  caller: Caller,
  path: ObjectPath,
  type: PatchType,
  patch: unknown,
  options: { dryRun?: boolean } = {},
): Promise<Answered<ObjectView>> {
  checkPatch(type, patch);
  if (Buffer.byteLength(JSON.stringify(patch)) > deps.maxApplyBytes) throw new PayloadTooLargeError(deps.maxApplyBytes);
  return onCluster(deps, caller, async (session) => {
    const resource = await session.resolve(path.kind);
    // A JSON patch can read a Secret's values, not only write them: `copy` or `move` puts one where the
    // answer shows it (an annotation), `test` confirms a guess. That is a reveal, so it needs what reveal needs.
    if (type === 'json' && isSecret({}, resource) && (patch as { op?: unknown }[]).some((op) => READING_OPS.has(String(op.op)))) {
      authorizeCluster(caller.principal, caller.cluster.id, 'admin');
    }
    const ref = session.object(resource, path.namespace, path.name);
    const { object, warnings } = await session.gateway.patch(ref, type, patch, { fieldManager: FIELD_MANAGER, dryRun: options.dryRun });
    return { value: { resource: resourceTypeView(resource), object: shown(resource, object) }, warnings };
  });
}

export interface DeleteRequest extends DeleteOptions {
  /** `X-Confirm-Destructive: true` was sent. */
  confirmed: boolean;
}

export interface DeleteView {
  resource: ResourceTypeView;
  /** `deleted` when the object is gone; `deleting` when finalizers (or a foreground deletion) keep it a while. */
  status: 'deleted' | 'deleting';
  object: KubernetesObject | null;
}

/** DELETE /resources/{kind}/{namespace}/{name}: 428 unless confirmed. */
export async function deleteResource(deps: ResourceDeps, caller: Caller, path: ObjectPath, request: DeleteRequest): Promise<Answered<DeleteView>> {
  if (!request.confirmed) throw new ConfirmationRequiredError(`Deleting ${path.kind} ${path.namespace}/${path.name}`);
  return onCluster(deps, caller, async (session) => {
    const resource = await session.resolve(path.kind);
    const ref = session.object(resource, path.namespace, path.name);
    const { confirmed: _, ...options } = request;
    const answer = await session.gateway.delete(ref, options);
    const object = answer.object ? shown(resource, answer.object) : null;
    const lingering = object?.metadata && ('deletionTimestamp' in object.metadata || (object.metadata.finalizers as unknown[] | undefined)?.length);
    return { value: { resource: resourceTypeView(resource), status: lingering ? 'deleting' : 'deleted', object }, warnings: answer.warnings };
  });
}
