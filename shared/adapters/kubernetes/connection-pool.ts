/**
 * The connections of the gateways of one process, per cluster credential: the kubeconfig checked
 * against the policy once (not on every gateway), and one keep-alive agent, so that consecutive
 * requests to a cluster (the pages of a list) reuse a TLS connection instead of opening one each.
 * An entry is keyed by a hash of the whole stored kubeconfig, so gateways share a connection only
 * when server, CA and credential are all the same; nothing is shared between clusters. Bounded,
 * least recently used first; an evicted agent is closed once any call on it has had its time.
 */
import { createHash } from 'node:crypto';
import type { Agent } from 'node:https';
import { readClusterConnection, type ClusterConnection, type KubeconfigPolicy } from '#shared/domain/clusters/kubeconfig-policy.ts';
import { clusterAgent, type HostResolver } from './guarded-transport.ts';

const MAX_CONNECTIONS = 32;

export type PooledConnection = { connection: ClusterConnection; agent: Agent } | { refusal: unknown };

export class ConnectionPool {
  private readonly entries = new Map<string, PooledConnection>();

  constructor(
    private readonly options: { policy: KubeconfigPolicy; resolveHost?: HostResolver },
    /** How long after eviction an agent is closed: the longest a gateway call may take. */
    private readonly closeAfterMs: number,
    private readonly maxConnections = MAX_CONNECTIONS,
  ) {}

  /** The connection of a stored kubeconfig, or what its check under today's policy threw. */
  get(kubeconfig: string): PooledConnection {
    const key = createHash('sha256').update(kubeconfig).digest('hex');
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
    } else {
      try {
        const connection = readClusterConnection(kubeconfig, this.options.policy);
        entry = { connection, agent: clusterAgent(connection, { networks: this.options.policy.networks, resolveHost: this.options.resolveHost }) };
      } catch (refusal) {
        return { refusal }; // not remembered: nothing was opened
      }
    }
    this.entries.set(key, entry);
    while (this.entries.size > this.maxConnections) {
      const [oldest, evicted] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      if ('agent' in evicted) setTimeout(() => evicted.agent.destroy(), this.closeAfterMs).unref();
    }
    return entry;
  }
}
