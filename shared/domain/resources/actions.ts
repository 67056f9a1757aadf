/**
 * The everyday operations on workloads, done the way kubectl does them so that a cluster cannot
 * tell them apart: rollout history and rollback from a Deployment's ReplicaSets, restart by the
 * `kubectl.kubernetes.io/restartedAt` annotation, scale through the scale subresource, a CronJob
 * triggered by hand and a failed Job run again. Each takes the gateway of one cluster (the caller
 * has authorized and audited the request) and lets the cluster's refusals (ClusterApiError) through.
 */
import { AppError, ConflictError } from '#shared/domain/errors.ts';
import type { ClusterGateway, KubernetesObject, ResourceCollection, ResourceObjectRef } from '#shared/ports/cluster-gateway.ts';
import { collect } from '../list-pages.ts';
import { controlledBy, hasCondition, selectorText, timestamp } from './object-walk.ts';

const apps = (plural: string): ResourceCollection => ({ group: 'apps', version: 'v1', plural });
const batch = (plural: string): ResourceCollection => ({ group: 'batch', version: 'v1', plural });

export const DEPLOYMENTS = apps('deployments');
const REPLICA_SETS = apps('replicasets');
export const CRON_JOBS = batch('cronjobs');
export const JOBS = batch('jobs');

/** The kinds `scale` works on (they have a scale subresource) and those `restart` rolls (their pods follow the template). */
export const SCALABLE_KINDS = { deployments: apps('deployments'), statefulsets: apps('statefulsets'), replicasets: apps('replicasets') } as const;
export const RESTARTABLE_KINDS = { deployments: apps('deployments'), statefulsets: apps('statefulsets'), daemonsets: apps('daemonsets') } as const;
export type ScalableKind = keyof typeof SCALABLE_KINDS;
export type RestartableKind = keyof typeof RESTARTABLE_KINDS;

const REVISION = 'deployment.kubernetes.io/revision';
const CHANGE_CAUSE = 'kubernetes.io/change-cause';
const POD_TEMPLATE_HASH = 'pod-template-hash';
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
/** What kubectl writes on a Job made from a CronJob by hand. */
const INSTANTIATE = 'cronjob.kubernetes.io/instantiate';
export const RETRY_OF = 'clusterhub.io/retry-of';
/** The Job controller's own labels: a copy of a Job must not carry them, or it would claim the old Job's pods. */
export const CONTROLLER_LABELS = ['controller-uid', 'batch.kubernetes.io/controller-uid', 'job-name', 'batch.kubernetes.io/job-name'];
/**
 * Annotations of a ReplicaSet a rollback does not copy back to its Deployment, and the
 * Deployment keeps its own of (kubectl's annotationsToSkip).
 */
const ROLLBACK_SKIPPED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);
/** The longest name the API server keeps of a generateName (it appends five characters, up to 63). */
const MAX_GENERATE_NAME = 58;

const at = (collection: ResourceCollection, namespace: string, name: string): ResourceObjectRef => ({ ...collection, namespace, name });

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [field: string]: unknown };
  spec?: { containers?: Array<{ image?: string }>; [field: string]: unknown };
  [field: string]: unknown;
}

const specOf = (object: KubernetesObject) => (object.spec ?? {}) as Record<string, unknown> & { template?: PodTemplate; replicas?: number; paused?: boolean };
const annotationsOf = (object: KubernetesObject) => object.metadata?.annotations ?? {};

export interface RolloutRevision {
  revision: number;
  replica_set: string;
  created_at: string | null;
  change_cause: string | null;
  images: string[];
  desired: number;
  ready: number;
  available: number;
  /** The revision the Deployment runs now. */
  current: boolean;
}

export interface RolloutHistory {
  namespace: string;
  name: string;
  current_revision: number | null;
  /** Newest first. */
  revisions: RolloutRevision[];
}

/** The ReplicaSets the Deployment controls, each with its revision (those without one are left out). */
async function revisionsOf(gateway: ClusterGateway, deployment: KubernetesObject) {
  const namespace = deployment.metadata?.namespace ?? '';
  const owned = await collect(
    gateway,
    { ...REPLICA_SETS, namespace },
    { labelSelector: selectorText(specOf(deployment).selector) },
    controlledBy(deployment.metadata?.uid),
  );
  return owned
    .map((rs) => ({ rs, revision: Number.parseInt(annotationsOf(rs)[REVISION] ?? '', 10) }))
    .filter((r) => Number.isSafeInteger(r.revision) && r.revision > 0)
    .sort((a, b) => b.revision - a.revision);
}

/** `kubectl rollout history`, with the numbers kubectl leaves out: from the Deployment's ReplicaSets. */
export async function rolloutHistory(gateway: ClusterGateway, namespace: string, name: string): Promise<RolloutHistory> {
  const { object: deployment } = await gateway.get(at(DEPLOYMENTS, namespace, name));
  const current = Number.parseInt(annotationsOf(deployment)[REVISION] ?? '', 10);
  const revisions = (await revisionsOf(gateway, deployment)).map(({ rs, revision }) => {
    const status = (rs.status ?? {}) as { readyReplicas?: number; availableReplicas?: number };
    return {
      revision,
      replica_set: rs.metadata?.name ?? '',
      created_at: timestamp(rs.metadata?.creationTimestamp),
      change_cause: annotationsOf(rs)[CHANGE_CAUSE] ?? null,
      images: (specOf(rs).template?.spec?.containers ?? []).map((c) => c.image ?? ''),
      desired: specOf(rs).replicas ?? 0,
      ready: status.readyReplicas ?? 0,
      available: status.availableReplicas ?? 0,
      current: revision === current,
    };
  });
  return { namespace, name, current_revision: Number.isSafeInteger(current) ? current : null, revisions };
}

/** A pod template without the hash label the Deployment controller adds to its ReplicaSets'. */
function withoutHash(template: PodTemplate | undefined): PodTemplate {
  const copy = structuredClone(template ?? {});
  if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH];
  return copy;
}

/** JSON equality that ignores the order of keys (the cluster's serialisation order is no meaning). */
function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
          )
        : value;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export interface RollbackResult {
  namespace: string;
  name: string;
  /** The revision whose template the Deployment now has. */
  revision: number;
  /** The revision it ran before. */
  from_revision: number | null;
  /** False when the Deployment already had that template (nothing was changed), as kubectl skips it. */
  rolled_back: boolean;
  message: string;
}

/**
 * `kubectl rollout undo --to-revision`: the pod template of that revision's ReplicaSet (0 or
 * absent: the previous one) goes back into the Deployment with the ReplicaSet's annotations (its
 * change-cause), as one JSON patch that also carries the resourceVersion read, so a change made
 * meanwhile answers 409 instead of being overwritten.
 */
export async function rollback(gateway: ClusterGateway, namespace: string, name: string, revision = 0): Promise<RollbackResult> {
  const { object: deployment } = await gateway.get(at(DEPLOYMENTS, namespace, name));
  if (specOf(deployment).paused) {
    throw new ConflictError(`Deployment ${namespace}/${name} is paused: resume it before rolling it back.`, 'DEPLOYMENT_PAUSED');
  }
  const revisions = await revisionsOf(gateway, deployment);
  const target = revision > 0 ? revisions.find((r) => r.revision === revision) : revisions[1];
  if (!target) {
    const known = revisions.map((r) => r.revision).join(', ') || 'none';
    const what = revision > 0 ? `revision ${revision}` : 'a previous revision';
    throw new AppError('not_found', 'REVISION_NOT_FOUND', `Deployment ${namespace}/${name} has no ${what} (revisions kept: ${known}).`);
  }
  const from = Number.parseInt(annotationsOf(deployment)[REVISION] ?? '', 10);
  const result = { namespace, name, revision: target.revision, from_revision: Number.isSafeInteger(from) ? from : null };
  const template = withoutHash(specOf(target.rs).template);
  if (sameJson(template, withoutHash(specOf(deployment).template))) {
    return { ...result, rolled_back: false, message: `Skipped: the current template already matches revision ${target.revision}.` };
  }
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(annotationsOf(deployment))) if (ROLLBACK_SKIPPED.has(key)) annotations[key] = value;
  for (const [key, value] of Object.entries(annotationsOf(target.rs))) if (!ROLLBACK_SKIPPED.has(key)) annotations[key] = value;
  await gateway.patch(at(DEPLOYMENTS, namespace, name), 'json', [
    { op: 'replace', path: '/metadata/resourceVersion', value: deployment.metadata?.resourceVersion },
    { op: 'replace', path: '/spec/template', value: template },
    { op: 'add', path: '/metadata/annotations', value: annotations },
  ]);
  return { ...result, rolled_back: true, message: `Rolled back to revision ${target.revision}.` };
}

export interface RestartResult {
  kind: RestartableKind;
  namespace: string;
  name: string;
  restarted_at: string;
}

/** `kubectl rollout restart`: a new annotation on the pod template, so the controller replaces every pod as in a rollout. */
export async function restart(gateway: ClusterGateway, kind: RestartableKind, namespace: string, name: string, now: Date): Promise<RestartResult> {
  const ref = at(RESTARTABLE_KINDS[kind], namespace, name);
  const { object } = await gateway.get(ref);
  if (specOf(object).paused) {
    throw new ConflictError(`${object.kind ?? kind} ${namespace}/${name} is paused: resume it before restarting it.`, 'DEPLOYMENT_PAUSED');
  }
  const restartedAt = now.toISOString().replace(/\.\d{3}Z$/, 'Z'); // RFC 3339 in seconds, as kubectl writes it
  await gateway.patch(ref, 'strategic-merge', { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: restartedAt } } } } });
  return { kind, namespace, name, restarted_at: restartedAt };
}

export interface ScaleResult {
  kind: ScalableKind;
  namespace: string;
  name: string;
  replicas: number;
  previous_replicas: number;
}

/** `kubectl scale`: through the scale subresource, which an RBAC role may grant without the right to change the rest. */
export async function scale(gateway: ClusterGateway, kind: ScalableKind, namespace: string, name: string, replicas: number): Promise<ScaleResult> {
  const ref: ResourceObjectRef = { ...at(SCALABLE_KINDS[kind], namespace, name), subresource: 'scale' };
  const { object: before } = await gateway.get(ref);
  const { object: after } = await gateway.patch(ref, 'merge', { spec: { replicas } });
  return { kind, namespace, name, replicas: specOf(after).replicas ?? replicas, previous_replicas: specOf(before).replicas ?? 0 };
}

export interface JobSummary {
  name: string;
  namespace: string;
  status: 'running' | 'complete' | 'failed' | 'suspended';
  created_at: string | null;
  start_time: string | null;
  completion_time: string | null;
  active: number;
  succeeded: number;
  failed: number;
  /** Started by hand (trigger), not by the schedule. */
  manual: boolean;
}

function jobSummary(job: KubernetesObject): JobSummary {
  const status = (job.status ?? {}) as { startTime?: string; completionTime?: string; active?: number; succeeded?: number; failed?: number };
  return {
    name: job.metadata?.name ?? '',
    namespace: job.metadata?.namespace ?? '',
    status: hasCondition(job, 'Complete') ? 'complete' : hasCondition(job, 'Failed') ? 'failed' : specOf(job).suspend ? 'suspended' : 'running',
    created_at: timestamp(job.metadata?.creationTimestamp),
    start_time: timestamp(status.startTime),
    completion_time: timestamp(status.completionTime),
    active: status.active ?? 0,
    succeeded: status.succeeded ?? 0,
    failed: status.failed ?? 0,
    manual: annotationsOf(job)[INSTANTIATE] === 'manual',
  };
}

/** `<base><suffix>` cut so that the API server keeps all of it when it appends its five random characters. */
const generateName = (base: string, suffix: string) => `${base.slice(0, MAX_GENERATE_NAME - suffix.length)}${suffix}`;

export interface CreatedJob {
  job: JobSummary;
  message: string;
}

/**
 * `kubectl create job --from=cronjob/<name>`: a Job from the CronJob's template, controlled by the
 * CronJob (so its history limits and deletion cover it), marked as started by hand and named
 * `<cronjob>-manual-<five characters>` by the API server, which never reuses a name.
 */
export async function triggerCronJob(gateway: ClusterGateway, namespace: string, name: string): Promise<CreatedJob> {
  const { object: cronJob } = await gateway.get(at(CRON_JOBS, namespace, name));
  const template = (specOf(cronJob).jobTemplate ?? {}) as {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: unknown;
  };
  const { object: job } = await gateway.create(
    { ...JOBS, namespace },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        generateName: generateName(name, '-manual-'),
        namespace,
        labels: { ...template.metadata?.labels },
        annotations: { ...template.metadata?.annotations, [INSTANTIATE]: 'manual' },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name, uid: cronJob.metadata?.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: template.spec ?? {},
    },
  );
  return { job: jobSummary(job), message: `CronJob ${namespace}/${name} triggered: Job ${job.metadata?.name ?? ''} created.` };
}

/** The Jobs a CronJob controls, newest first, scheduled and triggered alike. */
export async function cronJobJobs(gateway: ClusterGateway, namespace: string, name: string): Promise<JobSummary[]> {
  const { object: cronJob } = await gateway.get(at(CRON_JOBS, namespace, name));
  const jobs = await collect(gateway, { ...JOBS, namespace }, {}, controlledBy(cronJob.metadata?.uid));
  return jobs.map(jobSummary).sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? '') || a.name.localeCompare(b.name));
}

const withoutControllerLabels = (labels: Record<string, string> | undefined) =>
  Object.fromEntries(Object.entries(labels ?? {}).filter(([key]) => !CONTROLLER_LABELS.includes(key)));

/**
 * A fresh run of a failed Job: its spec and pod template again, without what the Job controller
 * generated for the old one (its selector and the controller-uid / job-name labels, which the API
 * server makes anew), the same owners (a CronJob's Job stays the CronJob's), named
 * `<job>-retry-<five characters>` and annotated with the Job it retries.
 */
export async function retryJob(gateway: ClusterGateway, namespace: string, name: string): Promise<CreatedJob> {
  const { object: failed } = await gateway.get(at(JOBS, namespace, name));
  if (!hasCondition(failed, 'Failed')) {
    throw new ConflictError(`Job ${namespace}/${name} has not failed: only a failed Job is retried.`, 'JOB_NOT_FAILED');
  }
  const spec = structuredClone(specOf(failed));
  delete spec.selector;
  delete spec.manualSelector;
  const template = spec.template ?? {};
  template.metadata = { ...template.metadata, labels: withoutControllerLabels(template.metadata?.labels) };
  const original = annotationsOf(failed)[RETRY_OF] ?? name; // a retry of a retry names the first Job
  const annotations = Object.fromEntries(
    Object.entries(annotationsOf(failed)).filter(
      ([key]) => key !== 'kubectl.kubernetes.io/last-applied-configuration' && !key.startsWith('batch.kubernetes.io/'),
    ),
  );
  const { object: job } = await gateway.create(
    { ...JOBS, namespace },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        generateName: generateName(original, '-retry-'),
        namespace,
        labels: withoutControllerLabels(failed.metadata?.labels),
        annotations: { ...annotations, [RETRY_OF]: original },
        ...(Array.isArray(failed.metadata?.ownerReferences) ? { ownerReferences: failed.metadata.ownerReferences } : {}),
      },
      spec: { ...spec, template },
    },
  );
  return { job: jobSummary(job), message: `Job ${namespace}/${name} retried as ${job.metadata?.name ?? ''}.` };
}
