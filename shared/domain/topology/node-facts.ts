/**
 * What a node shows of its object besides its name: a status word, a health and the
 * kind-specific facts people look for on a map (replicas, pod IP, node, service type). Never a
 * value of a Secret or ConfigMap: those nodes carry their name and labels only.
 */
import type { KubernetesObject } from '#shared/ports/cluster-gateway.ts';
import type { Health, TopologyNode } from './model.ts';

type Facts = Pick<TopologyNode, 'status' | 'health' | 'replicas' | 'pod_ip' | 'node_name' | 'service_type' | 'cluster_ip'>;

interface Condition {
  type?: string;
  status?: string;
}
const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
const conditionTrue = (status: Record<string, unknown>, type: string) =>
  ((status.conditions ?? []) as Condition[]).some((c) => c.type === type && c.status === 'True');

/** Ready of desired: all healthy, none critical, in between a warning; nothing wanted is healthy. */
function replicaHealth(desired: number, ready: number): Health {
  if (ready >= desired) return 'healthy';
  return ready === 0 ? 'critical' : 'warning';
}

export function nodeFacts(object: KubernetesObject): Facts {
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  const status = (object.status ?? {}) as Record<string, unknown>;
  switch (object.kind) {
    case 'Pod': {
      const phase = str(status.phase) ?? 'Unknown';
      const containers = (status.containerStatuses ?? []) as Array<{ ready?: boolean }>;
      const ready = containers.length > 0 && containers.every((c) => c.ready === true);
      const health: Health =
        phase === 'Succeeded' || (phase === 'Running' && ready) ? 'healthy' : phase === 'Failed' ? 'critical' : phase === 'Unknown' ? 'unknown' : 'warning';
      return { status: phase, health, ...opt('pod_ip', str(status.podIP)), ...opt('node_name', str(spec.nodeName)) };
    }
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet': {
      const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
      const replicas = { desired, ready: num(status.readyReplicas), available: num(status.availableReplicas) };
      return { status: `${replicas.ready}/${desired} ready`, health: replicaHealth(desired, replicas.ready), replicas };
    }
    case 'DaemonSet': {
      const desired = num(status.desiredNumberScheduled);
      const replicas = { desired, ready: num(status.numberReady), available: num(status.numberAvailable) };
      return { status: `${replicas.ready}/${desired} ready`, health: replicaHealth(desired, replicas.ready), replicas };
    }
    case 'Job': {
      if (conditionTrue(status, 'Failed')) return { status: 'Failed', health: 'critical' };
      if (conditionTrue(status, 'Complete')) return { status: 'Complete', health: 'healthy' };
      return { status: num(status.active) > 0 ? 'Running' : 'Pending', health: 'healthy' };
    }
    case 'Node': {
      const ready = conditionTrue(status, 'Ready');
      return { status: ready ? 'Ready' : 'NotReady', health: ready ? 'healthy' : 'critical' };
    }
    case 'PersistentVolumeClaim':
    case 'PersistentVolume': {
      const phase = str(status.phase) ?? 'Unknown';
      const health: Health = phase === 'Bound' || phase === 'Available' ? 'healthy' : phase === 'Lost' || phase === 'Failed' ? 'critical' : 'warning';
      return { status: phase, health };
    }
    case 'Service':
      return {
        status: null,
        health: 'healthy',
        service_type: str(spec.type) ?? 'ClusterIP',
        ...opt('cluster_ip', str(spec.clusterIP)),
      };
    case 'Namespace': {
      const phase = str(status.phase) ?? 'Active';
      return { status: phase, health: phase === 'Active' ? 'healthy' : 'warning' };
    }
    default:
      return { status: null, health: 'unknown' };
  }
}

function opt<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

const ORDER: Health[] = ['healthy', 'unknown', 'warning', 'critical'];
/** The worse of two healths (critical over warning over unknown over healthy). */
export const worstHealth = (a: Health, b: Health): Health => (ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b);
