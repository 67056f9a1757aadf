/** The workloads view: deployments, statefulsets, daemonsets, jobs and cronjobs, each null when the credential may not list it. */
import type { KubernetesObject, WorkloadQuery, Workloads } from '#shared/ports/cluster-gateway.ts';
import { clampLimit, forbiddenAsNull, iso, listerOf, listUpTo, type ListCall } from './list-pages.ts';

const DEFAULT_WORKLOAD_LIMIT = 500;
const MAX_WORKLOAD_LIMIT = 5_000;

/** The fields the view reads, as the cluster sends them (JSON, so times are strings). */
interface Workload extends KubernetesObject {
  spec?: { replicas?: number; completions?: number; suspend?: boolean; schedule?: string };
  status?: {
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    numberReady?: number;
    desiredNumberScheduled?: number;
    succeeded?: number;
    failed?: number;
    active?: number | unknown[];
    conditions?: Array<{ type?: string; status?: string }>;
    lastScheduleTime?: string;
  };
}

const count = (value: unknown) => (typeof value === 'number' ? value : 0);

/** Kinds the credential may not list come back null; the others are still listed. */
export async function clusterWorkloads(list: ListCall, query: WorkloadQuery = {}): Promise<Workloads> {
  const limit = clampLimit(query.limit, DEFAULT_WORKLOAD_LIMIT, MAX_WORKLOAD_LIMIT);
  const kind = (group: string, plural: string) =>
    listUpTo(listerOf(list, { group, version: 'v1', plural, ...(query.namespace !== undefined ? { namespace: query.namespace } : {}) }), limit)
      .then((l) => ({ items: l.items as Workload[], truncated: l.truncated }))
      .catch(forbiddenAsNull);
  const [deployments, statefulsets, daemonsets, jobs, cronjobs] = await Promise.all([
    kind('apps', 'deployments'),
    kind('apps', 'statefulsets'),
    kind('apps', 'daemonsets'),
    kind('batch', 'jobs'),
    kind('batch', 'cronjobs'),
  ]);
  const id = (w: Workload) => ({ name: w.metadata?.name ?? '', namespace: w.metadata?.namespace ?? '' });
  return {
    deployments:
      deployments &&
      deployments.items.map((d) => ({
        ...id(d),
        ready: d.status?.readyReplicas ?? 0,
        desired: d.spec?.replicas ?? 1,
        updated: d.status?.updatedReplicas ?? 0,
        available: d.status?.availableReplicas ?? 0,
      })),
    statefulsets: statefulsets && statefulsets.items.map((s) => ({ ...id(s), ready: s.status?.readyReplicas ?? 0, desired: s.spec?.replicas ?? 1 })),
    daemonsets: daemonsets && daemonsets.items.map((d) => ({ ...id(d), ready: d.status?.numberReady ?? 0, desired: d.status?.desiredNumberScheduled ?? 0 })),
    jobs:
      jobs &&
      jobs.items.map((j) => ({
        ...id(j),
        status: jobStatus(j),
        succeeded: j.status?.succeeded ?? 0,
        failed: j.status?.failed ?? 0,
        active: count(j.status?.active),
        completions: j.spec?.completions ?? null,
      })),
    cronjobs:
      cronjobs &&
      cronjobs.items.map((c) => ({
        ...id(c),
        schedule: c.spec?.schedule ?? '',
        suspended: c.spec?.suspend ?? false,
        active: Array.isArray(c.status?.active) ? c.status.active.length : 0,
        lastSchedule: iso(c.status?.lastScheduleTime),
      })),
    truncated: [deployments, statefulsets, daemonsets, jobs, cronjobs].some((l) => l?.truncated === true),
  };
}

function jobStatus(job: Workload): 'running' | 'complete' | 'failed' | 'suspended' {
  const conditions = job.status?.conditions ?? [];
  if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) return 'complete';
  if (conditions.some((c) => c.type === 'Failed' && c.status === 'True')) return 'failed';
  if (job.spec?.suspend) return 'suspended';
  return 'running';
}
