import { DynamoApiKeyRepository } from '#shared/adapters/dynamodb/identity/api-key-repository.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/identity/audit-log.ts';
import { DynamoLoginCounterStore } from '#shared/adapters/dynamodb/identity/login-counters.ts';
import { DynamoSessionRepository } from '#shared/adapters/dynamodb/identity/session-repository.ts';
import { DynamoUserRepository } from '#shared/adapters/dynamodb/identity/user-repository.ts';
import { DynamoRateLimiter } from '#shared/adapters/dynamodb/rate-limiter.ts';
import { DynamoCircuitBreaker } from '#shared/adapters/dynamodb/clusters/circuit-breaker.ts';
import { DynamoClusterRepository } from '#shared/adapters/dynamodb/clusters/cluster-repository.ts';
import { createKubernetesGatewayFactory } from '#shared/adapters/kubernetes/kubernetes-gateway.ts';
import type { ClusterDeps } from '#shared/domain/clusters/cluster-deps.ts';
import { AccessTokens } from '#shared/domain/identity/access-tokens.ts';
import { BOOTSTRAP_SECRET, BootstrapPasswordSecret } from '#shared/domain/identity/bootstrap.ts';
import { defaultIdentityPolicy, type IdentityDeps } from '#shared/domain/identity/identity-deps.ts';
import { identityKeySecretNames, KeyringStore, VerificationKeys } from '#shared/domain/identity/keyring.ts';
import { lazy, type BaseDependencies, type Dependencies } from './dependencies.ts';

/** Derives the whole dependency set from a runtime's adapters, every member built on first use. */
export function wireDependencies(base: BaseDependencies): Dependencies {
  const deps: Dependencies = lazy<Dependencies>({
    config: () => base.config,
    logger: () => base.logger,
    clock: () => base.clock,
    table: base.table,
    secrets: base.secrets,
    identity: (): IdentityDeps => {
      // Verifying reads only the public keys; the private keyring is read (by the identity function
      // alone, the only one allowed to) when a token is issued or a TOTP seed sealed or opened.
      const names = identityKeySecretNames(deps.config.secretPrefix);
      const verificationKeys = new VerificationKeys(deps.secrets, names.verificationKeys, deps.clock);
      const keyring = new KeyringStore(deps.secrets, names, deps.clock, verificationKeys);
      return {
        users: new DynamoUserRepository(deps.table),
        sessions: new DynamoSessionRepository(deps.table),
        apiKeys: new DynamoApiKeyRepository(deps.table),
        loginCounters: new DynamoLoginCounterStore(deps.table),
        keyring,
        tokens: new AccessTokens(keyring, verificationKeys, deps.clock),
        clock: deps.clock,
        policy: { ...defaultIdentityPolicy, apiKeyMaxDays: deps.config.apiKeyMaxDays },
        bootstrapPassword: deps.config.bootstrapSecret
          ? new BootstrapPasswordSecret(deps.secrets, deps.config.bootstrapSecret, `${deps.config.secretPrefix}${BOOTSTRAP_SECRET}`)
          : undefined,
      };
    },
    audit: () => new DynamoAuditLog(deps.table, deps.config.auditRetentionDays),
    rateLimiter: () => new DynamoRateLimiter(deps.table),
    clusters: (): ClusterDeps => {
      const policy = base.kubeconfigPolicy();
      return {
        clusters: new DynamoClusterRepository(deps.table),
        secrets: deps.secrets,
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
    },
  });
  return deps;
}
