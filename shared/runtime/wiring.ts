import { DynamoAuditLog } from '#shared/adapters/dynamodb/identity/audit-log.ts';
import { DynamoRateLimiter } from '#shared/adapters/dynamodb/rate-limiter.ts';
import { lazy, type BaseDependencies, type Dependencies } from './dependencies.ts';
import { wireBackground } from './wire-background.ts';
import { wireClusters } from './wire-clusters.ts';
import { wireEnvironments } from './wire-environments.ts';
import { wireHealth, wireInventory } from './wire-fleet.ts';
import { wireIdentity } from './wire-identity.ts';
import { wireResources } from './wire-resources.ts';
import { wireTopology } from './wire-topology.ts';

/**
 * Derives the whole dependency set from a runtime's adapters, every member built on first use.
 * Each context wires itself in a file of its own (wire-<context>.ts): a new context adds a file and a line here.
 */
export function wireDependencies(base: BaseDependencies): Dependencies {
  const deps: Dependencies = lazy<Dependencies>({
    config: () => base.config,
    logger: () => base.logger,
    clock: () => base.clock,
    table: base.table,
    secrets: base.secrets,
    identity: () => wireIdentity(deps),
    audit: () => new DynamoAuditLog(deps.table, deps.config.auditRetentionDays),
    rateLimiter: () => new DynamoRateLimiter(deps.table),
    clusters: () => wireClusters(deps, base),
    resources: () => wireResources(deps),
    topology: () => wireTopology(deps),
    background: () => wireBackground(deps, base),
    health: () => wireHealth(deps),
    inventory: () => wireInventory(deps, base),
    environments: () => wireEnvironments(deps),
  });
  return deps;
}
