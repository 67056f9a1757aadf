/**
 * POST /apply: one or many YAML or JSON documents (a List or a JSON array too), each applied with
 * server-side apply (field manager `clusterhub`) and answered on its own: created, configured or
 * unchanged, or its error, going on after a failed document. A dry run stores nothing and answers,
 * per object, what would change against the live object. Deleting (prune) is not offered.
 */
import { parseAllDocuments } from 'yaml';
import { AppError, InputError, PayloadTooLargeError } from '#shared/domain/errors.ts';
import type { ApiResource, KubernetesObject } from '#shared/ports/cluster-gateway.ts';
import { FIELD_MANAGER, onCluster, type Caller, type ClusterSession, type ResourceDeps } from './cluster-session.ts';
import { clusterRefusal, UnknownKindError } from './errors.ts';
import { withSecretValuesHidden } from './secret-values.ts';

/** More documents than a request can apply within its time. */
export const MAX_APPLY_OBJECTS = 200;

export interface ApplyRequest {
  /** The body as sent: YAML (JSON is YAML). */
  manifest: string;
  /** Take over fields another manager owns instead of failing on them. */
  force?: boolean;
  dryRun?: boolean;
  /** The namespace of namespaced objects that name none (kubectl's current namespace); `default` without it. */
  namespace?: string;
}

/** One change a dry run found: a JSON pointer into the object and its value before and after (absent: no such field). */
export interface FieldChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

export interface ApplyResult {
  kind: string;
  apiVersion: string;
  namespace: string | null;
  name: string;
  action: 'created' | 'configured' | 'unchanged' | null;
  /** Dry run only: what would change (a Secret's values as their hashes). */
  diff?: FieldChange[];
  error?: { code: string; message: string };
}

export interface ApplyAnswer {
  dry_run: boolean;
  items: ApplyResult[];
  warnings: string[];
}

/** The objects of a manifest, Lists and arrays unpacked; 400 when it is not YAML or holds no object. */
export function manifestObjects(manifest: string): unknown[] {
  const documents = parseAllDocuments(manifest, { prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [documents];
  const objects: unknown[] = [];
  list.forEach((doc, index) => {
    if (doc.errors.length) {
      throw new InputError(`Document ${index + 1} is not valid YAML or JSON: ${doc.errors[0]!.message.split('\n')[0]}`, [
        { field: `documents[${index}]`, location: 'body', message: 'not YAML' },
      ]);
    }
    // Aliases are counted and capped: a document of nested aliases cannot expand to gigabytes.
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return; // an empty document (`---` at the end)
    const items = Array.isArray(value) ? value : isList(value) ? (value as { items: unknown[] }).items : [value];
    objects.push(...items);
  });
  if (objects.length === 0) throw new InputError('The manifest holds no object.', [{ field: 'body', location: 'body', message: 'empty manifest' }]);
  if (objects.length > MAX_APPLY_OBJECTS)
    throw new InputError(`The manifest holds ${objects.length} objects; apply at most ${MAX_APPLY_OBJECTS} at a time.`, [
      { field: 'body', location: 'body', message: 'too many objects' },
    ]);
  return objects;
}

const isList = (value: unknown) =>
  value !== null &&
  typeof value === 'object' &&
  typeof (value as KubernetesObject).kind === 'string' &&
  /List$/.test((value as KubernetesObject).kind!) &&
  Array.isArray((value as { items?: unknown }).items);

/**
 * Applies every object of the manifest in order, each answered on its own. A refusal (4xx) fails
 * only its document. A cluster that fails (5xx, unreachable, timed out, an answer too large) fails
 * its document as CLUSTER_ERROR, and the documents after it are not sent (NOT_APPLIED): the failed
 * one may or may not have been applied, later documents often depend on earlier ones (a namespace,
 * a CRD), and a failing cluster would make each of them wait out its timeout. The answer then says
 * exactly what was applied, what failed and what was not tried, and the failure still counts
 * towards the cluster's circuit breaker.
 */
export async function applyManifest(deps: ResourceDeps, caller: Caller, request: ApplyRequest): Promise<ApplyAnswer> {
  if (Buffer.byteLength(request.manifest) > deps.maxApplyBytes) throw new PayloadTooLargeError(deps.maxApplyBytes);
  const objects = manifestObjects(request.manifest);
  const warnings: string[] = [];
  const results: ApplyResult[] = [];
  const answer = () => ({ dry_run: request.dryRun === true, items: results, warnings: [...new Set(warnings)] });
  try {
    await onCluster(deps, caller, async (session) => {
      for (const [index, object] of objects.entries()) {
        const { result, failure } = await applyOne(session, object, request, warnings);
        results.push(result);
        if (!failure) continue;
        for (const rest of objects.slice(index + 1)) results.push(notApplied(rest, index + 1));
        throw failure; // through the breaker, which counts a cluster that failed; answered below
      }
    });
  } catch (err) {
    if (results.length === objects.length) return answer();
    throw err;
  }
  return answer();
}

/** A document not sent because an earlier one (`failed`, counted from 1) met a failing cluster. */
function notApplied(raw: unknown, failed: number): ApplyResult {
  const object = (raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as KubernetesObject;
  return {
    kind: str(object.kind),
    apiVersion: str(object.apiVersion),
    namespace: str(object.metadata?.namespace) || null,
    name: str(object.metadata?.name),
    action: null,
    error: { code: 'NOT_APPLIED', message: `Not sent to the cluster: it failed on document ${failed}, so the documents after it were not applied.` },
  };
}

/** Failures of the cluster itself rather than refusals of a document: applying stops after one. */
const clusterFailed = (err: AppError) => err.kind === 'unavailable' || err.kind === 'upstream_too_large';

const str = (value: unknown) => (typeof value === 'string' ? value : '');

/** One document's result; `failure` when the cluster itself failed on it (then nothing after it is sent). */
async function applyOne(
  session: ClusterSession,
  raw: unknown,
  request: ApplyRequest,
  warnings: string[],
): Promise<{ result: ApplyResult; failure?: AppError }> {
  const object = (raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as KubernetesObject;
  const result: ApplyResult = {
    kind: str(object.kind),
    apiVersion: str(object.apiVersion),
    namespace: str(object.metadata?.namespace) || null,
    name: str(object.metadata?.name),
    action: null,
  };
  try {
    if (!result.kind || !result.apiVersion || !result.name)
      throw new InputError('Each object needs apiVersion, kind and metadata.name.', [{ field: 'body', location: 'body', message: 'incomplete object' }]);
    const resource = await resolveApplied(session, result.apiVersion, result.kind);
    const namespace = resource.namespaced ? result.namespace || request.namespace || 'default' : undefined;
    result.namespace = namespace ?? null;
    const ref = { group: resource.group, version: resource.version, plural: resource.plural, name: result.name, ...(namespace ? { namespace } : {}) };
    const intended = { ...object, metadata: { ...object.metadata, ...(namespace ? { namespace } : {}) } };
    const live = await session.gateway.get(ref).then(
      (a) => a.object,
      (err: unknown) => {
        if ((clusterRefusal(err) as AppError).code === 'RESOURCE_NOT_FOUND') return undefined;
        throw err;
      },
    );
    const applied = await session.gateway.apply(ref, intended, { fieldManager: FIELD_MANAGER, force: request.force, dryRun: request.dryRun });
    warnings.push(...applied.warnings);
    result.action = !live ? 'created' : live.metadata?.resourceVersion === applied.object.metadata?.resourceVersion ? 'unchanged' : 'configured';
    if (request.dryRun) {
      const changes = diff(comparable(live, resource), comparable(applied.object, resource));
      result.diff = changes;
      if (live) result.action = changes.length ? 'configured' : 'unchanged';
    }
  } catch (err) {
    const mapped = clusterRefusal(err);
    if (!(mapped instanceof AppError)) throw mapped;
    if (clusterFailed(mapped)) {
      const message = `The cluster failed on this object, which may or may not have been applied: ${mapped.message}`;
      result.error = { code: 'CLUSTER_ERROR', message };
      return { result, failure: mapped };
    }
    result.error = { code: mapped.code, message: mapped.message };
  }
  return { result };
}

/** The served resource of an apiVersion and Kind, read afresh once when unknown (a CRD applied earlier in the same manifest). */
async function resolveApplied(session: ClusterSession, apiVersion: string, kind: string): Promise<ApiResource> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  try {
    return await session.resolveWith(`${kind} ${apiVersion}`, (resources) =>
      resources.find((r) => r.kind === kind && r.group === group && r.version === version),
    );
  } catch (err) {
    if (err instanceof UnknownKindError) throw new AppError('not_found', 'UNKNOWN_KIND', `The cluster serves no ${kind} in ${apiVersion}.`);
    throw err;
  }
}

/** What a dry run compares: the object with its Secret values hidden, without the fields the server keeps for itself. */
function comparable(object: KubernetesObject | undefined, resource: ApiResource): unknown {
  if (!object) return undefined;
  const hidden = withSecretValuesHidden({ ...object }, resource);
  const { managedFields: _m, resourceVersion: _r, generation: _g, uid: _u, creationTimestamp: _c, ...metadata } = hidden.metadata ?? {};
  return { ...hidden, metadata };
}

const pointer = (path: string, key: string) => `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;

/** The changes from `before` to `after`, field by field (arrays compared whole). */
export function diff(before: unknown, after: unknown, path = ''): FieldChange[] {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diff(before[key], after[key], pointer(path, key)));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path: path || '/', ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) }];
}
