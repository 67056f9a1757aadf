/**
 * What a health sweep reads from one cluster, counted while paging: nodes, pods, the replicated
 * workloads and the TLS Secrets, never a whole kind in one request, never more than a page of it
 * in memory. Only counts, a few examples and certificate dates are kept.
 */
import type { ClusterGateway, KubernetesObject, ResourceCollection } from '#shared/ports/cluster-gateway.ts';
import { walkPagesIfAllowed } from '../list-pages.ts';
import { asArray, asNumber, asString, field } from '../inventory/json-fields.ts';
import { leafCertificate } from './certificates.ts';
import {
  daysLeft,
  EXPIRY_HORIZON_DAYS,
  type ExpiringItem,
  type HealthFacts,
  type NodeHealth,
  type ObjectExample,
  type PodHealth,
  type WorkloadHealth,
} from './health.ts';

const NODES: ResourceCollection = { group: '', version: 'v1', plural: 'nodes' };
const PODS: ResourceCollection = { group: '', version: 'v1', plural: 'pods' };
const SECRETS: ResourceCollection = { group: '', version: 'v1', plural: 'secrets' };
const REPLICATED = [
  { kind: 'Deployment', collection: { group: 'apps', version: 'v1', plural: 'deployments' } },
  { kind: 'StatefulSet', collection: { group: 'apps', version: 'v1', plural: 'statefulsets' } },
  { kind: 'DaemonSet', collection: { group: 'apps', version: 'v1', plural: 'daemonsets' } },
] as const;

/** Examples kept per part: enough to start looking, bounded whatever the cluster holds. */
export const MAX_EXAMPLES = 20;
/** Expiring items kept per cluster, soonest first. */
export const MAX_EXPIRING = 100;
/**
 * Objects asked for per page. The sweep keeps only counts, so a page is garbage once counted: small
 * pages die young (a scavenge frees them) instead of being promoted and piling up until a full
 * collection, which keeps the sweep's peak heap a small share of the cluster's pod list (bench: sweep).
 */
export const SWEEP_PAGE_LIMIT = 100;
const PENDING_TOO_LONG_MS = 5 * 60_000;
const RESTART_WINDOW_MS = 60 * 60_000;

const metaOf = (o: KubernetesObject) => ({ namespace: asString(field(o, 'metadata', 'namespace')) ?? '', name: asString(field(o, 'metadata', 'name')) ?? '' });

/** The expiring items, bounded: sorted soonest first and cut, but counted in full. */
export class ExpiryRadar {
  private items: ExpiringItem[] = [];
  total = 0;

  add(item: ExpiringItem): void {
    this.total++;
    this.items.push(item);
    if (this.items.length > 2 * MAX_EXPIRING) this.trim();
  }

  list(): ExpiringItem[] {
    this.trim();
    return this.items;
  }

  private trim(): void {
    this.items.sort((a, b) => a.not_after.localeCompare(b.not_after));
    this.items.length = Math.min(this.items.length, MAX_EXPIRING);
  }
}

/** Reads the cluster's parts (the gateway throws when it cannot be reached; parts RBAC refuses come back null). */
export async function probeCluster(gateway: ClusterGateway, now: Date, radar: ExpiryRadar): Promise<HealthFacts> {
  const started = performance.now();
  const version = await gateway.version();
  const latency = Math.round(performance.now() - started);
  const unreadable: string[] = [];

  const nodes: NodeHealth = { total: 0, ready: 0, not_ready: 0, not_ready_names: [] };
  const nodesRead = await walkPagesIfAllowed(gateway, NODES, {}, countNodes(nodes), SWEEP_PAGE_LIMIT);
  if (!nodesRead) unreadable.push('nodes');

  const pods: PodHealth = { total: 0, crash_loop_back_off: 0, image_pull_back_off: 0, pending_too_long: 0, restarted_last_hour: 0, examples: [] };
  const podsRead = await walkPagesIfAllowed(
    gateway,
    PODS,
    {},
    (items) => {
      for (const pod of items) countPod(pod, pods, now);
    },
    SWEEP_PAGE_LIMIT,
  );
  if (!podsRead) unreadable.push('pods');

  const workloads: WorkloadHealth = { total: 0, unavailable: 0, examples: [] };
  let workloadsRead = true;
  for (const { kind, collection } of REPLICATED) {
    const read = await walkPagesIfAllowed(
      gateway,
      collection,
      {},
      (items) => {
        for (const object of items) countWorkload(kind, object, workloads);
      },
      SWEEP_PAGE_LIMIT,
    );
    if (!read) {
      unreadable.push(collection.plural);
      workloadsRead = false;
    }
  }

  // Only the certificate of each TLS Secret is read, and only its dates leave this loop: never the key, never a value.
  const secretsRead = await walkPagesIfAllowed(
    gateway,
    SECRETS,
    { fieldSelector: 'type=kubernetes.io/tls' },
    (items) => {
      for (const secret of items) {
        const encoded = asString(field(secret, 'data', 'tls.crt'));
        if (!encoded) continue;
        const cert = leafCertificate(Buffer.from(encoded, 'base64').toString('utf8'));
        if (!cert || daysLeft(cert.notAfter, now) > EXPIRY_HORIZON_DAYS) continue;
        const { namespace, name } = metaOf(secret);
        radar.add({ kind: 'tls_secret', namespace, name, subject: cert.subject, not_after: cert.notAfter });
      }
    },
    SWEEP_PAGE_LIMIT,
  );
  if (!secretsRead) unreadable.push('secrets');

  return {
    reachable: true,
    latency_ms: latency,
    version: version.gitVersion,
    nodes: nodesRead ? nodes : null,
    pods: podsRead ? pods : null,
    workloads: workloadsRead ? workloads : null,
    expiring: [],
    expiring_total: 0,
    unreadable,
  };
}

const countNodes =
  (nodes: NodeHealth) =>
  (items: KubernetesObject[]): void => {
    for (const node of items) {
      nodes.total++;
      const ready = asArray(field(node, 'status', 'conditions')).some((c) => field(c, 'type') === 'Ready' && field(c, 'status') === 'True');
      if (ready) nodes.ready++;
      else {
        nodes.not_ready++;
        if (nodes.not_ready_names.length < MAX_EXAMPLES) nodes.not_ready_names.push(metaOf(node).name);
      }
    }
  };

const BACK_OFF_REASONS: Record<string, 'crash_loop_back_off' | 'image_pull_back_off'> = {
  CrashLoopBackOff: 'crash_loop_back_off',
  ImagePullBackOff: 'image_pull_back_off',
  ErrImagePull: 'image_pull_back_off',
};

function countPod(pod: KubernetesObject, pods: PodHealth, now: Date): void {
  pods.total++;
  const statuses = [...asArray(field(pod, 'status', 'initContainerStatuses')), ...asArray(field(pod, 'status', 'containerStatuses'))];
  const example = (reason: string) => {
    if (pods.examples.length < MAX_EXAMPLES) pods.examples.push({ kind: 'Pod', ...metaOf(pod), reason } satisfies ObjectExample);
  };
  let failing: string | undefined;
  for (const status of statuses) {
    const waiting = asString(field(status, 'state', 'waiting', 'reason'));
    if (waiting && BACK_OFF_REASONS[waiting]) failing ??= waiting;
  }
  if (failing) {
    pods[BACK_OFF_REASONS[failing]!]++;
    example(failing);
  } else if (field(pod, 'status', 'phase') === 'Pending') {
    const created = Date.parse(asString(field(pod, 'metadata', 'creationTimestamp')) ?? '');
    if (Number.isFinite(created) && now.getTime() - created > PENDING_TOO_LONG_MS) {
      pods.pending_too_long++;
      example('Pending');
    }
  }
  const restarted = statuses.some((status) => {
    const finished = Date.parse(asString(field(status, 'lastState', 'terminated', 'finishedAt')) ?? '');
    return asNumber(field(status, 'restartCount')) > 0 && Number.isFinite(finished) && now.getTime() - finished < RESTART_WINDOW_MS;
  });
  if (restarted) {
    pods.restarted_last_hour++;
    if (!failing) example('Restarted');
  }
}

function countWorkload(kind: string, object: KubernetesObject, workloads: WorkloadHealth): void {
  workloads.total++;
  const desired = kind === 'DaemonSet' ? asNumber(field(object, 'status', 'desiredNumberScheduled')) : asNumber(field(object, 'spec', 'replicas'), 1);
  const available =
    kind === 'DaemonSet'
      ? asNumber(field(object, 'status', 'numberAvailable'))
      : asNumber(field(object, 'status', 'availableReplicas'), asNumber(field(object, 'status', 'readyReplicas')));
  if (available >= desired) return;
  workloads.unavailable++;
  if (workloads.examples.length < MAX_EXAMPLES)
    workloads.examples.push({ kind, ...metaOf(object), reason: `${available} of ${desired} available`, desired, available });
}
