import { topologyGraph } from '#shared/data/entities/topology.ts';
import type { CachedGraph, TopologyCache } from '#shared/domain/topology/ports.ts';
import type { Table } from '../table.ts';

/** Built graphs as `TOPOGRAPH#<cluster>` / `<view>` items: the gzip in `graph`, removed by TTL a minute after they expire. */
export class DynamoTopologyCache implements TopologyCache {
  constructor(private readonly table: Table) {}

  async get(clusterId: string, view: string): Promise<CachedGraph | undefined> {
    const item = await this.table.get(topologyGraph.key({ clusterId, view }));
    if (!(item?.graph instanceof Uint8Array) || typeof item.built_at !== 'string' || typeof item.expires_at !== 'number') return undefined;
    return { body: item.graph, builtAt: item.built_at, expiresAt: item.expires_at };
  }

  async put(clusterId: string, view: string, graph: CachedGraph): Promise<void> {
    await this.table.put({
      ...topologyGraph.key({ clusterId, view }),
      entity: topologyGraph.entity,
      graph: graph.body,
      built_at: graph.builtAt,
      expires_at: graph.expiresAt,
      ttl: Math.ceil(graph.expiresAt / 1000) + 60,
    });
  }
}
