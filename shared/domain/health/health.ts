/**
 * A cluster's health as one sweep found it, and how its facts become a status. The facts are
 * counted while the sweep pages through the cluster (probe.ts); this file only judges them.
 */

export const HEALTH_STATUSES = ['healthy', 'degraded', 'unhealthy'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** Why a cluster is not healthy; `code` is stable for filters and alerts, `message` is for people. */
export interface HealthReason {
  code: string;
  message: string;
}

/** One object the sweep names as an example of a problem (a failing pod, an unavailable Deployment). */
export interface ObjectExample {
  kind: string;
  namespace: string;
  name: string;
  reason: string;
}

export interface NodeHealth {
  total: number;
  ready: number;
  not_ready: number;
  /** Names of nodes that are not Ready, the first few. */
  not_ready_names: string[];
}

export interface PodHealth {
  total: number;
  crash_loop_back_off: number;
  image_pull_back_off: number;
  /** Pending for longer than five minutes. */
  pending_too_long: number;
  /** Pods with a container that restarted within the last hour. */
  restarted_last_hour: number;
  examples: ObjectExample[];
}

export interface WorkloadHealth {
  /** Deployments, StatefulSets and DaemonSets counted. */
  total: number;
  /** Those with fewer available replicas than desired. */
  unavailable: number;
  examples: Array<ObjectExample & { desired: number; available: number }>;
}

export const EXPIRY_KINDS = ['client_certificate', 'service_account_token', 'cluster_ca', 'tls_secret'] as const;
export type ExpiryKind = (typeof EXPIRY_KINDS)[number];

/** A certificate or credential and when it stops working: facts only, never the value. */
export interface ExpiringItem {
  kind: ExpiryKind;
  /** The TLS Secret's namespace and name; the certificate's subject for the others. */
  namespace: string | null;
  name: string;
  subject: string | null;
  not_after: string;
}

/** What one sweep found; a part is null when the sweep could not read it (the cluster was down, or RBAC refused it). */
export interface HealthFacts {
  reachable: boolean;
  /** Why the cluster could not be swept, when it could not (tls, refused, timeout, circuit_open, unauthorized, ...). */
  failure?: { reason: string; message: string };
  latency_ms: number | null;
  version: string | null;
  nodes: NodeHealth | null;
  pods: PodHealth | null;
  workloads: WorkloadHealth | null;
  /** Soonest first; the hub's credential and the CA always, TLS Secrets when they expire within the radar's horizon. */
  expiring: ExpiringItem[];
  /** How many expiring items there were before the list was cut to its bound. */
  expiring_total: number;
  /** The kinds RBAC would not let the hub's credential read. */
  unreadable: string[];
}

/** A recorded sweep result. */
export interface HealthRecord extends HealthFacts {
  cluster_id: string;
  cluster_name: string;
  checked_at: string;
  status: HealthStatus;
  reasons: HealthReason[];
  /** Sweeps in a row that could not reach or use the cluster (0 after one that could). */
  consecutive_failures: number;
  /** Set when this sweep's status differs from the previous one's (`from` is null on the first sweep). */
  transition: { from: HealthStatus | null; to: HealthStatus; at: string } | null;
}

/** Certificates and credentials that expire within this many days make a cluster degraded. */
export const EXPIRY_WARNING_DAYS = 30;
/** TLS Secrets are kept on the radar when they expire within this many days (what /fleet/expiring can ask for). */
export const EXPIRY_HORIZON_DAYS = 90;

const DAY_MS = 86_400_000;

export const daysLeft = (notAfter: string, now: Date) => Math.floor((Date.parse(notAfter) - now.getTime()) / DAY_MS);

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Judges what a sweep found: unhealthy when the cluster cannot be used, degraded when parts of it are failing or expire soon. */
export function judge(facts: HealthFacts, now: Date): { status: HealthStatus; reasons: HealthReason[] } {
  const unhealthy: HealthReason[] = [];
  const degraded: HealthReason[] = [];
  if (facts.failure) {
    // Reachable but unusable (the credential refused) reads differently from a cluster that is down.
    const code = facts.reachable ? `credential_${facts.failure.reason}` : `unreachable_${facts.failure.reason}`;
    unhealthy.push({ code, message: facts.failure.message });
  }
  const n = facts.nodes;
  if (n && n.total > 0 && n.ready === 0) unhealthy.push({ code: 'no_ready_nodes', message: `None of the ${plural(n.total, 'node')} is Ready.` });
  else if (n && n.not_ready > 0) degraded.push({ code: 'nodes_not_ready', message: `${plural(n.not_ready, 'node')} of ${n.total} not Ready.` });
  const p = facts.pods;
  if (p) {
    const failing: string[] = [];
    if (p.crash_loop_back_off) failing.push(`${p.crash_loop_back_off} in CrashLoopBackOff`);
    if (p.image_pull_back_off) failing.push(`${p.image_pull_back_off} in ImagePullBackOff`);
    if (p.pending_too_long) failing.push(`${p.pending_too_long} Pending for over 5 minutes`);
    if (failing.length) degraded.push({ code: 'pods_failing', message: `Pods failing: ${failing.join(', ')}.` });
    if (p.restarted_last_hour) degraded.push({ code: 'pods_restarting', message: `${plural(p.restarted_last_hour, 'pod')} restarted within the last hour.` });
  }
  const w = facts.workloads;
  if (w && w.unavailable > 0)
    degraded.push({ code: 'workloads_unavailable', message: `${plural(w.unavailable, 'workload')} with fewer available replicas than desired.` });
  for (const item of facts.expiring) {
    const left = daysLeft(item.not_after, now);
    const what = item.kind === 'tls_secret' ? `TLS Secret ${item.namespace}/${item.name}` : describeKind(item.kind);
    const ownCredential = item.kind === 'client_certificate' || item.kind === 'service_account_token';
    if (left < 0 && ownCredential)
      unhealthy.push({ code: 'credential_expired', message: `The hub's ${describeKind(item.kind)} expired on ${item.not_after}.` });
    else if (left < 0) degraded.push({ code: `${item.kind}_expired`, message: `The ${what} expired on ${item.not_after}.` });
    else if (left < EXPIRY_WARNING_DAYS)
      degraded.push({ code: `${item.kind}_expiring`, message: `The ${what} expires in ${plural(left, 'day')} (${item.not_after}).` });
  }
  if (facts.unreadable.length) degraded.push({ code: 'unreadable', message: `The hub's credential may not read: ${facts.unreadable.join(', ')}.` });
  const reasons = [...unhealthy, ...dedupe(degraded)];
  return { status: unhealthy.length ? 'unhealthy' : degraded.length ? 'degraded' : 'healthy', reasons };
}

function describeKind(kind: ExpiryKind): string {
  return {
    client_certificate: 'client certificate',
    service_account_token: 'service-account token',
    cluster_ca: 'cluster CA certificate',
    tls_secret: 'TLS Secret',
  }[kind];
}

/** Many TLS Secrets expiring make one reason per code, counted, not one per Secret. */
function dedupe(reasons: HealthReason[]): HealthReason[] {
  const byCode = new Map<string, HealthReason[]>();
  for (const r of reasons) byCode.set(r.code, [...(byCode.get(r.code) ?? []), r]);
  return [...byCode.values()].map((same) =>
    same.length === 1 ? same[0]! : { code: same[0]!.code, message: `${same[0]!.message} And ${plural(same.length - 1, 'more')} like it.` },
  );
}
