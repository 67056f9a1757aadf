/**
 * What each cluster serves, remembered per cluster credential so that a request resolves its kind
 * without asking the cluster again. An entry lives a few minutes; a kind it does not know reads
 * discovery afresh at once (a CRD installed a moment ago works on the next request), and requests
 * that miss together share one read.
 */
import type { Clock } from '#shared/ports/clock.ts';
import type { ApiDiscovery, ClusterGateway } from '#shared/ports/cluster-gateway.ts';

const TTL_MS = 5 * 60_000;
/** Clusters remembered per instance; the least recently read goes first. */
const MAX_CLUSTERS = 200;

interface Entry {
  discovery: Promise<ApiDiscovery>;
  readAt: number;
}

export class DiscoveryCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: Clock) {}

  /** The remembered discovery of the cluster (`key` names it and its credential), read when absent or old. */
  get(key: string, gateway: ClusterGateway): Promise<ApiDiscovery> {
    const entry = this.entries.get(key);
    if (entry && this.clock.now().getTime() - entry.readAt < TTL_MS) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry.discovery;
    }
    return this.refresh(key, gateway);
  }

  /**
   * Reads discovery again, unless a read started after `since` (another request that missed)
   * is already under way or done: then that one answers.
   */
  refresh(key: string, gateway: ClusterGateway, since?: number): Promise<ApiDiscovery> {
    const entry = this.entries.get(key);
    if (entry && since !== undefined && entry.readAt > since) return entry.discovery;
    const readAt = this.clock.now().getTime();
    const discovery = gateway.discover();
    this.entries.delete(key);
    this.entries.set(key, { discovery, readAt });
    discovery.catch(() => {
      if (this.entries.get(key)?.discovery === discovery) this.entries.delete(key);
    });
    while (this.entries.size > MAX_CLUSTERS) this.entries.delete(this.entries.keys().next().value!);
    return discovery;
  }

  /** When the remembered discovery of `key` was read, to pass to `refresh`. */
  readAt(key: string): number | undefined {
    return this.entries.get(key)?.readAt;
  }
}
