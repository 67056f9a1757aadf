/**
 * What compare and sync read from an app instance: its workloads, ConfigMaps and Secrets, live
 * from its cluster through the same session as the resources group (the cluster's breaker, the
 * caller impersonated when the cluster is set so). Reads are paged and capped: an instance with
 * more objects of a kind than the cap answers 422 TOO_MANY_OBJECTS rather than a partial compare.
 */
import { createHash } from 'node:crypto';
import type { ClusterRecord } from '#shared/domain/clusters/cluster.ts';
import { AppError, NotFoundError } from '#shared/domain/errors.ts';
import { authorizeCluster, type Principal, type Role } from '#shared/domain/identity/access.ts';
import { onCluster, type ClusterSession } from '#shared/domain/resources/cluster-session.ts';
import type { KubernetesObject, ResourceType } from '#shared/ports/cluster-gateway.ts';
import type { EnvironmentDeps } from './ports.ts';
import type { AppInstanceRecord } from './records.ts';

export const WORKLOAD_KINDS = ['deployments', 'statefulsets', 'daemonsets', 'cronjobs'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export const WORKLOAD_TYPES: Record<WorkloadKind, ResourceType> = {
  deployments: { group: 'apps', version: 'v1', plural: 'deployments' },
  statefulsets: { group: 'apps', version: 'v1', plural: 'statefulsets' },
  daemonsets: { group: 'apps', version: 'v1', plural: 'daemonsets' },
  cronjobs: { group: 'batch', version: 'v1', plural: 'cronjobs' },
};
const CONFIGMAPS: ResourceType = { group: '', version: 'v1', plural: 'configmaps' };
const SECRETS: ResourceType = { group: '', version: 'v1', plural: 'secrets' };

/** What the cluster puts in every namespace itself: its identity, not the application's configuration. */
const CLUSTER_CONFIGMAPS = new Set(['kube-root-ca.crt']);
const CLUSTER_SECRET_TYPES = new Set(['kubernetes.io/service-account-token']);

const PAGE = 500;

export class TooManyObjectsError extends AppError {
  constructor(instance: AppInstanceRecord, what: string, cap: number) {
    super(
      'unprocessable',
      'TOO_MANY_OBJECTS',
      `App instance ${instance.name} holds more than ${cap} ${what}, the most a compare reads from one instance; narrow it (kind, names).`,
      { app_instance_id: instance.id, kind: what, limit: cap },
    );
  }
}

export interface ContainerInfo {
  name: string;
  image: string;
  tag: string;
  /** Each variable's value as declared (`valueFrom` as its JSON): compared, never shown. */
  env: Record<string, string>;
}

export interface WorkloadInfo {
  kind: WorkloadKind;
  name: string;
  containers: ContainerInfo[];
  /** Desired replicas; null for CronJobs (and DaemonSets before the controller counted). */
  replicas: number | null;
  ready: number | null;
}

/** A ConfigMap's or Secret's keys with a digest of each value (a Secret's digest never leaves the hub). */
export interface KeyedObject {
  name: string;
  type?: string;
  keys: Record<string, { digest: string; bytes: number }>;
}

/** The tag of an image reference: after its last `:` past the last `/`, its digest when pinned, else `latest`. */
export function tagOf(image: string): string {
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(at + 1);
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon >= 0 ? last.slice(colon + 1) : 'latest';
}

type Json = Record<string, unknown>;
const at = (value: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Json)[k] : undefined), value);

/** The pod spec of a workload: a CronJob's sits under its job template. */
export const podSpecPath = (kind: WorkloadKind) => (kind === 'cronjobs' ? ['spec', 'jobTemplate', 'spec', 'template', 'spec'] : ['spec', 'template', 'spec']);

export function workloadOf(kind: WorkloadKind, object: KubernetesObject): WorkloadInfo {
  const containers = (at(object, ...podSpecPath(kind), 'containers') as Json[] | undefined) ?? [];
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  const replicas =
    kind === 'daemonsets' ? num(at(object, 'status', 'desiredNumberScheduled')) : kind === 'cronjobs' ? null : (num(at(object, 'spec', 'replicas')) ?? 1);
  const ready =
    kind === 'daemonsets' ? num(at(object, 'status', 'numberReady')) : kind === 'cronjobs' ? null : (num(at(object, 'status', 'readyReplicas')) ?? 0);
  return {
    kind,
    name: object.metadata?.name ?? '',
    containers: containers.map((c) => {
      const image = typeof c.image === 'string' ? c.image : '';
      const env = Object.fromEntries(
        ((c.env as Json[] | undefined) ?? []).map((e) => [String(e.name), typeof e.value === 'string' ? e.value : JSON.stringify(e.valueFrom ?? null)]),
      );
      return { name: String(c.name), image, tag: tagOf(image), env };
    }),
    replicas,
    ready,
  };
}

const digest = (bytes: Buffer) => ({ digest: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length });

function keyedOf(object: KubernetesObject, secret: boolean): KeyedObject {
  const keys: KeyedObject['keys'] = {};
  for (const [k, v] of Object.entries((object.data as Record<string, string> | undefined) ?? {}))
    keys[k] = digest(secret ? Buffer.from(v, 'base64') : Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries((object.binaryData as Record<string, string> | undefined) ?? {})) keys[k] = digest(Buffer.from(v, 'base64'));
  return { name: object.metadata?.name ?? '', ...(secret ? { type: String(object.type ?? 'Opaque') } : {}), keys };
}

/** The instance's cluster, for a caller with `needed` on it (404 when they may not see it). */
export async function clusterOf(deps: EnvironmentDeps, principal: Principal, instance: AppInstanceRecord, needed: Role): Promise<ClusterRecord> {
  authorizeCluster(principal, instance.clusterId, needed);
  const cluster = await deps.clusters.clusters.get(instance.clusterId);
  if (!cluster) throw new NotFoundError(`The cluster of app instance ${instance.name} is no longer registered.`);
  return cluster;
}

/** Every object of a collection in the instance's namespace, page by page, up to the cap. */
async function readAll(session: ClusterSession, instance: AppInstanceRecord, type: ResourceType, cap: number): Promise<KubernetesObject[]> {
  const items: KubernetesObject[] = [];
  let token: string | undefined;
  do {
    const page = await session.gateway.list({ ...type, namespace: instance.namespace }, { limit: Math.min(PAGE, cap + 1 - items.length), continue: token });
    items.push(...page.items);
    if (items.length > cap) throw new TooManyObjectsError(instance, type.plural, cap);
    token = page.continue;
  } while (token);
  return items;
}

export interface InstanceReader {
  principal: Principal;
  instance: AppInstanceRecord;
}

/** On the instance's cluster, as the caller. */
export async function onInstance<T>(deps: EnvironmentDeps, reader: InstanceReader, needed: Role, work: (session: ClusterSession) => Promise<T>): Promise<T> {
  const cluster = await clusterOf(deps, reader.principal, reader.instance, needed);
  return onCluster(deps.resources, { principal: reader.principal, cluster }, work);
}

export async function readWorkloads(deps: EnvironmentDeps, reader: InstanceReader, kinds: readonly WorkloadKind[] = WORKLOAD_KINDS): Promise<WorkloadInfo[]> {
  const cap = deps.limits.maxCompareObjects;
  return onInstance(deps, reader, 'viewer', async (session) => {
    const lists = await Promise.all(
      kinds.map(async (kind) => (await readAll(session, reader.instance, WORKLOAD_TYPES[kind], cap)).map((o) => workloadOf(kind, o))),
    );
    return lists.flat();
  });
}

export async function readConfigMaps(deps: EnvironmentDeps, reader: InstanceReader): Promise<KeyedObject[]> {
  return onInstance(deps, reader, 'viewer', async (session) =>
    (await readAll(session, reader.instance, CONFIGMAPS, deps.limits.maxCompareObjects))
      .filter((o) => !CLUSTER_CONFIGMAPS.has(o.metadata?.name ?? ''))
      .map((o) => keyedOf(o, false)),
  );
}

/** Secrets as key digests: the values are hashed here, as they arrive, and dropped. */
export async function readSecrets(deps: EnvironmentDeps, reader: InstanceReader): Promise<KeyedObject[]> {
  return onInstance(deps, reader, 'viewer', async (session) =>
    (await readAll(session, reader.instance, SECRETS, deps.limits.maxCompareObjects))
      .filter((o) => !CLUSTER_SECRET_TYPES.has(String(o.type ?? '')))
      .map((o) => keyedOf(o, true)),
  );
}
