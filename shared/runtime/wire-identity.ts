import { DynamoApiKeyRepository } from '#shared/adapters/dynamodb/identity/api-key-repository.ts';
import { DynamoLoginCounterStore } from '#shared/adapters/dynamodb/identity/login-counters.ts';
import { DynamoSessionRepository } from '#shared/adapters/dynamodb/identity/session-repository.ts';
import { DynamoUserRepository } from '#shared/adapters/dynamodb/identity/user-repository.ts';
import { AccessTokens } from '#shared/domain/identity/access-tokens.ts';
import { BOOTSTRAP_SECRET, BootstrapPasswordSecret } from '#shared/domain/identity/bootstrap.ts';
import { defaultIdentityPolicy, type IdentityDeps } from '#shared/domain/identity/identity-deps.ts';
import { identityKeySecretNames, KeyringStore, VerificationKeys } from '#shared/domain/identity/keyring.ts';
import type { Dependencies } from './dependencies.ts';

/** The identity context: users, sessions, API keys, login counters and the keys that sign and seal. */
export function wireIdentity(deps: Dependencies): IdentityDeps {
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
}
