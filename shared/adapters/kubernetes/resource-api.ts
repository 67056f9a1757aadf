/**
 * Reads and changes objects of any kind over the guarded transport, with plain JSON: the paths
 * are built from the kind named as data ({group, version, plural, namespace?, name?}), so a CRD
 * needs no code and @kubernetes/client-node is not even loaded. Refusals of the cluster come back
 * as ClusterApiError; answers that mean it cannot serve (401, 429, 5xx) as ClusterHttpFailure,
 * which the gateway classifies like any other failure to reach it. `Warning` headers come back
 * with every answer.
 */
import { shownFailureText } from '#shared/domain/clusters/failure-text.ts';
import { InputError } from '#shared/domain/errors.ts';
import {
  ClusterApiError,
  type ApplyAnswer,
  type ApplyOptions,
  type ClusterApiCause,
  type ClusterApiErrorKind,
  type DeleteAnswer,
  type DeleteOptions,
  type KubernetesObject,
  type ListQuery,
  type ObjectAnswer,
  type ObjectList,
  type PatchOptions,
  type PatchType,
  type ResourceCollection,
  type ResourceObjectRef,
} from '#shared/ports/cluster-gateway.ts';
import { redact } from './connection-failure.ts';
import { ResponseTooLargeError, type TransportRequest, type TransportResponse } from './guarded-transport.ts';

/** Sends one request to the cluster (the guarded transport, bound to the call's deadline). */
export type Send = (request: Omit<TransportRequest, 'signal'>) => Promise<TransportResponse>;

/** Pages are asked for with this limit when the caller names none. */
export const DEFAULT_LIST_LIMIT = 500;

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  'strategic-merge': 'application/strategic-merge-patch+json',
};

/**
 * The cluster answered with a status that says it cannot serve now (401, 429, 5xx): shaped like
 * the client's ApiException (`code`, `body`), so connection-failure.ts classifies it the same way.
 */
export class ClusterHttpFailure extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
  ) {
    super(`HTTP ${code}`);
    this.name = 'ClusterHttpFailure';
  }
}

const GROUP = /^$|^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const VERSION = /^v[0-9]+[a-z0-9]*$/;
const PLURAL = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** One path segment from a name the caller gave: never empty, never `.` or `..`, always encoded. */
function segment(field: string, value: string): string {
  if (value === '' || value === '.' || value === '..' || value.length > 253) {
    throw new InputError(`${field} is not a valid Kubernetes name.`, [{ field, message: `${field} must be a Kubernetes name.` }]);
  }
  return encodeURIComponent(value);
}

/** The URL path of a collection or object, under the server's own path prefix. */
export function resourcePath(prefix: string, ref: ResourceCollection & { name?: string; subresource?: ResourceObjectRef['subresource'] }): string {
  const errors = [];
  if (!GROUP.test(ref.group)) errors.push({ field: 'group', message: 'group must be empty (the core API) or a DNS subdomain.' });
  if (!VERSION.test(ref.version)) errors.push({ field: 'version', message: 'version must look like v1, v1beta1, v2alpha1.' });
  if (!PLURAL.test(ref.plural)) errors.push({ field: 'plural', message: 'plural must be the lower-case plural name of a resource.' });
  if (errors.length) throw new InputError(`The resource is not named correctly: ${errors.map((e) => e.field).join(', ')}.`, errors);
  const root = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  const namespace = ref.namespace !== undefined ? `/namespaces/${segment('namespace', ref.namespace)}` : '';
  const name = ref.name !== undefined ? `/${segment('name', ref.name)}` : '';
  const subresource = ref.name !== undefined && ref.subresource ? `/${ref.subresource}` : '';
  return `${prefix}${root}${namespace}/${ref.plural}${name}${subresource}`;
}

/**
 * The texts of `Warning: 299 - "text"` headers (RFC 7234 form, as the API server sends them). The
 * transport joins repeated headers with ", ", so the texts are found by their quotes, not by commas.
 */
export function warningTexts(headers: Record<string, string>): string[] {
  const value = headers.warning;
  if (!value) return [];
  const texts: string[] = [];
  for (const match of value.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"(?: "[^"]*")?/g)) {
    texts.push(shownFailureText(match[1]!.replace(/\\(.)/g, '$1')));
  }
  return texts;
}

function kindOf(status: number): ClusterApiErrorKind {
  switch (status) {
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 410:
      return 'gone';
    case 422:
      return 'unprocessable';
    default:
      return 'invalid';
  }
}

interface StatusBody {
  message?: unknown;
  reason?: unknown;
  details?: { causes?: unknown };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Talks to one cluster; built per call, so it shares nothing between clusters or calls. */
export class ResourceApi {
  constructor(
    private readonly send: Send,
    /** The path of the server URL (a proxy's prefix), without the trailing slash. */
    private readonly prefix: string,
    /** Credential values that must never appear in a message taken from the cluster. */
    private readonly secrets: string[],
  ) {}

  /**
   * GET of any path under the server, for discovery; answers the parsed body, its content type and
   * warnings. A refusal names the path in its resource's `plural` (discovery documents are no kind).
   */
  async getPath(path: string, accept = 'application/json'): Promise<{ body: unknown; contentType: string; warnings: string[] }> {
    const res = await this.send({ method: 'GET', path: `${this.prefix}${path}`, headers: { accept } });
    if (res.status >= 400) this.refuse(res, 'get', { group: '', version: '', plural: path });
    return { body: parseJson(res.body), contentType: res.headers['content-type'] ?? '', warnings: warningTexts(res.headers) };
  }

  /**
   * One page. A page the transport refuses as too large is asked for again with half the limit
   * (down to one object): the cluster's continue token says where the next page starts either way.
   */
  async list(collection: ResourceCollection, query: ListQuery = {}): Promise<ObjectList> {
    let limit = query.limit === undefined || !Number.isFinite(query.limit) ? DEFAULT_LIST_LIMIT : Math.max(1, Math.floor(query.limit));
    for (;;) {
      const params = new URLSearchParams();
      if (query.labelSelector) params.set('labelSelector', query.labelSelector);
      if (query.fieldSelector) params.set('fieldSelector', query.fieldSelector);
      params.set('limit', String(limit));
      if (query.continue) params.set('continue', query.continue);
      try {
        const { body, warnings } = await this.json('GET', 'list', collection, `?${params}`);
        const list = (body ?? {}) as { items?: KubernetesObject[]; metadata?: { continue?: string; remainingItemCount?: number; resourceVersion?: string } };
        return {
          items: Array.isArray(list.items) ? list.items : [],
          ...(list.metadata?.continue ? { continue: list.metadata.continue } : {}),
          ...(typeof list.metadata?.remainingItemCount === 'number' ? { remainingItemCount: list.metadata.remainingItemCount } : {}),
          ...(list.metadata?.resourceVersion ? { resourceVersion: list.metadata.resourceVersion } : {}),
          warnings,
        };
      } catch (err) {
        if (err instanceof ResponseTooLargeError && limit > 1) {
          limit = Math.ceil(limit / 2);
          continue;
        }
        throw err;
      }
    }
  }

  async get(ref: ResourceObjectRef): Promise<ObjectAnswer> {
    const { body, warnings } = await this.json('GET', 'get', ref, '');
    return { object: body as KubernetesObject, warnings };
  }

  async create(collection: ResourceCollection, object: KubernetesObject, options: PatchOptions = {}): Promise<ObjectAnswer> {
    const params = new URLSearchParams();
    if (options.dryRun) params.set('dryRun', 'All');
    if (options.fieldManager) params.set('fieldManager', options.fieldManager);
    const query = params.size ? `?${params}` : '';
    const { body, warnings } = await this.json('POST', 'create', collection, query, JSON.stringify(object), 'application/json');
    return { object: body as KubernetesObject, warnings };
  }

  async patch(ref: ResourceObjectRef, type: PatchType, patch: unknown, options: PatchOptions = {}): Promise<ObjectAnswer> {
    const params = new URLSearchParams();
    if (options.dryRun) params.set('dryRun', 'All');
    if (options.fieldManager) params.set('fieldManager', options.fieldManager);
    const query = params.size ? `?${params}` : '';
    const { body, warnings } = await this.json('PATCH', 'patch', ref, query, JSON.stringify(patch), PATCH_CONTENT_TYPES[type]);
    return { object: body as KubernetesObject, warnings };
  }

  /** Server-side apply: a PATCH of type apply, whose body is the whole intended object (JSON is YAML). */
  async apply(ref: ResourceObjectRef, object: KubernetesObject, options: ApplyOptions): Promise<ApplyAnswer> {
    const params = new URLSearchParams({ fieldManager: options.fieldManager });
    if (options.force) params.set('force', 'true');
    if (options.dryRun) params.set('dryRun', 'All');
    const { status, body, warnings } = await this.json('PATCH', 'patch', ref, `?${params}`, JSON.stringify(object), 'application/apply-patch+yaml');
    return { object: body as KubernetesObject, created: status === 201, warnings };
  }

  async delete(ref: ResourceObjectRef, options: DeleteOptions = {}): Promise<DeleteAnswer> {
    const deleteOptions = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      ...(options.propagationPolicy ? { propagationPolicy: options.propagationPolicy } : {}),
      ...(options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}),
      ...(options.dryRun ? { dryRun: ['All'] } : {}),
    };
    const { body, warnings } = await this.json('DELETE', 'delete', ref, '', JSON.stringify(deleteOptions), 'application/json');
    const object = body as KubernetesObject | undefined;
    return { ...(object && object.kind !== 'Status' ? { object } : {}), warnings };
  }

  private async json(method: string, verb: string, ref: ResourceCollection & { name?: string }, query: string, body?: string, contentType?: string) {
    const res = await this.send({
      method,
      path: `${resourcePath(this.prefix, ref)}${query}`,
      headers: { accept: 'application/json', ...(contentType ? { 'content-type': contentType } : {}) },
      ...(body !== undefined ? { body } : {}),
    });
    if (res.status >= 400) this.refuse(res, verb, ref);
    return { status: res.status, body: parseJson(res.body), warnings: warningTexts(res.headers) };
  }

  /** Throws what a failed answer means: a refusal of this request, or a cluster that cannot serve. */
  private refuse(res: TransportResponse, verb: string, ref: ResourceCollection & { name?: string }): never {
    if (res.status === 401 || res.status === 429 || res.status >= 500 || res.status < 400) {
      throw new ClusterHttpFailure(res.status, res.body.toString('utf8').slice(0, 64 * 1024));
    }
    const status = (parseJson(res.body) ?? {}) as StatusBody;
    const text = (value: unknown) => (typeof value === 'string' ? shownFailureText(redact(value, this.secrets)) : undefined);
    const causes: ClusterApiCause[] = Array.isArray(status.details?.causes)
      ? (status.details.causes as Array<Record<string, unknown>>).slice(0, 50).map((c) => ({
          message: text(c.message) ?? '',
          ...(typeof c.field === 'string' ? { field: c.field } : {}),
          ...(typeof c.reason === 'string' ? { reason: c.reason } : {}),
        }))
      : [];
    const message = text(status.message) ?? `The cluster answered HTTP ${res.status}.`;
    const resource = {
      group: ref.group,
      version: ref.version,
      plural: ref.plural,
      ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}),
      ...(ref.name !== undefined ? { name: ref.name } : {}),
    };
    throw new ClusterApiError(kindOf(res.status), message, {
      status: res.status,
      reason: typeof status.reason === 'string' ? status.reason : '',
      verb,
      resource,
      causes,
      warnings: warningTexts(res.headers),
    });
  }
}
