import { DynamoCircuitBreaker } from '#shared/adapters/dynamodb/clusters/circuit-breaker.ts';
import { DynamoClusterRepository } from '#shared/adapters/dynamodb/clusters/cluster-repository.ts';
import { createKubernetesGatewayFactory } from '#shared/adapters/kubernetes/kubernetes-gateway.ts';
import type { ClusterDeps } from '#shared/domain/clusters/cluster-deps.ts';
import { CredentialCache } from '#shared/domain/clusters/credential-cache.ts';
import type { BaseDependencies, Dependencies } from './dependencies.ts';

/** The clusters context: the registry, its circuit breakers and the gateways to the clusters. */
export function wireClusters(deps: Dependencies, base: BaseDependencies): ClusterDeps {
  const policy = base.kubeconfigPolicy();
  return {
    clusters: new DynamoClusterRepository(deps.table),
    secrets: deps.secrets,
    credentialCache: new CredentialCache(deps.clock),
    gateways: createKubernetesGatewayFactory({ policy, maxResponseBytes: deps.config.maxClusterResponseBytes }),
    policy,
    onboarding: deps.config.onboarding,
    breaker: new DynamoCircuitBreaker(deps.table),
    clock: deps.clock,
    logger: deps.logger,
    secretPrefix: deps.config.secretPrefix,
    revokeGrants: base.grantsSweptByStream ? async () => {} : (clusterId) => deps.identity.users.deletePermissionsForCluster(clusterId),
    localKubeconfig: base.localKubeconfig,
  };
}
