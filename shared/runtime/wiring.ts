import { DynamoApiKeyRepository } from '#shared/adapters/dynamodb/identity/api-key-repository.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/identity/audit-log.ts';
import { DynamoSessionRepository } from '#shared/adapters/dynamodb/identity/session-repository.ts';
import { DynamoUserRepository } from '#shared/adapters/dynamodb/identity/user-repository.ts';
import { DynamoRateLimiter } from '#shared/adapters/dynamodb/rate-limiter.ts';
import { AccessTokens } from '#shared/domain/identity/access-tokens.ts';
import { defaultIdentityPolicy, type IdentityDeps } from '#shared/domain/identity/identity-deps.ts';
import { KeyringStore } from '#shared/domain/identity/keyring.ts';
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
      const keyring = new KeyringStore(deps.secrets, `${deps.config.secretPrefix}identity/keyring`, deps.clock);
      return {
        users: new DynamoUserRepository(deps.table),
        sessions: new DynamoSessionRepository(deps.table),
        apiKeys: new DynamoApiKeyRepository(deps.table),
        keyring,
        tokens: new AccessTokens(keyring, deps.clock),
        clock: deps.clock,
        policy: defaultIdentityPolicy,
      };
    },
    audit: () => new DynamoAuditLog(deps.table, deps.config.auditRetentionDays),
    rateLimiter: () => new DynamoRateLimiter(deps.table),
  });
  return deps;
}
