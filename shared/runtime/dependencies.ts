import type { Table } from '#shared/adapters/dynamodb/table.ts';
import type { Config } from '#shared/config/config.ts';
import type { ClusterDeps } from '#shared/domain/clusters/cluster-deps.ts';
import type { KubeconfigPolicy } from '#shared/domain/clusters/kubeconfig-policy.ts';
import type { EnvironmentDeps } from '#shared/domain/environments/ports.ts';
import type { HealthDeps } from '#shared/domain/health/ports.ts';
import type { IdentityDeps } from '#shared/domain/identity/identity-deps.ts';
import type { InventoryDeps } from '#shared/domain/inventory/ports.ts';
import type { ResourceDeps } from '#shared/domain/resources/cluster-session.ts';
import type { TopologyDeps } from '#shared/domain/topology/ports.ts';
import type { AuditLog } from '#shared/ports/audit-log.ts';
import type { RateLimiter } from '#shared/ports/rate-limiter.ts';
import type { Logger } from '#shared/observability/logger.ts';
import type { BlobStore } from '#shared/ports/blob-store.ts';
import type { Clock } from '#shared/ports/clock.ts';
import type { SecretStore } from '#shared/ports/secret-store.ts';
import type { BackgroundDeps, JobQueue } from '#shared/workers/background.ts';

/**
 * Everything the endpoint groups and workers need from the outside world.
 * Built once per cold start (shared/runtime/aws.ts) or once per local run
 * (infra/local/), each member on first use so a function pays only for what it touches.
 */
export interface Dependencies {
  config: Config;
  logger: Logger;
  clock: Clock;
  table: Table;
  secrets: SecretStore;
  identity: IdentityDeps;
  audit: AuditLog;
  rateLimiter: RateLimiter;
  clusters: ClusterDeps;
  resources: ResourceDeps;
  /** The topology graphs: read through the resources' cluster sessions, within their limits. */
  topology: TopologyDeps;
  /** Background work: job queues, operations, leases, idempotency records. */
  background: BackgroundDeps;
  /** Health sweeps: their results, history and the hub events of status changes. */
  health: HealthDeps;
  /** Inventory snapshots (in the blob store), their changes and the fleet's image index. */
  inventory: InventoryDeps;
  /** Environments and app instances, and compare and sync between instances. */
  environments: EnvironmentDeps;
}

/** The adapters a runtime supplies; the rest is derived from them. */
export type BaseDependencies = Pick<Dependencies, 'config' | 'logger' | 'clock'> & {
  table: () => Table;
  secrets: () => SecretStore;
  /** What kubeconfigs the hub accepts (networks, insecure TLS), from the operator's settings. */
  kubeconfigPolicy: () => KubeconfigPolicy;
  /** The machine's own kubeconfig, offered for discovery by the local run only. */
  localKubeconfig?: () => Promise<string | undefined>;
  /**
   * Whether the grants on a deleted cluster are removed by the grant sweeper (the table's stream,
   * functions/grant-sweeper) rather than by the request that deleted it. On AWS the clusters
   * function may not write identity's items at all.
   */
  grantsSweptByStream?: boolean;
  /** The queue of each job kind the runtime runs (SQS on AWS, in-process locally); none when it runs no background work. */
  jobQueues?: () => JobQueue[];
  /** Where inventory snapshots go (S3 on AWS, files in the local run); none when the runtime keeps no inventory. */
  blobs?: () => BlobStore;
};

/** Makes each factory run on first access only. */
export function lazy<T extends object>(factories: { [K in keyof T]: () => T[K] }): T {
  const cache = new Map<keyof T, T[keyof T]>();
  const target = {} as T;
  for (const key of Object.keys(factories) as (keyof T)[]) {
    Object.defineProperty(target, key, {
      enumerable: true,
      get() {
        if (!cache.has(key)) cache.set(key, factories[key]());
        return cache.get(key);
      },
    });
  }
  return target;
}
