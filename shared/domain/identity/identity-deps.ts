import type { Clock } from '#shared/ports/clock.ts';
import type { AccessTokens } from './access-tokens.ts';
import type { BootstrapPasswordSecret } from './bootstrap.ts';
import type { KeyringStore } from './keyring.ts';
import type { ApiKeyRepository, SessionRepository, UserRepository } from './ports.ts';

/** What the identity use cases work with. */
export interface IdentityDeps {
  users: UserRepository;
  sessions: SessionRepository;
  apiKeys: ApiKeyRepository;
  /** The private keys (signing, sealing): only the identity function can read them. */
  keyring: KeyringStore;
  /** Issues with `keyring`; verifies with the published public keys only. */
  tokens: AccessTokens;
  clock: Clock;
  policy: IdentityPolicy;
  /** A deployment's secret with the first admin's password, until that admin changes it; none in the local run. */
  bootstrapPassword?: BootstrapPasswordSecret;
}

export interface IdentityPolicy {
  /** Failed logins in a row that lock an account. */
  maxFailedLogins: number;
  lockMinutes: number;
  sessionDays: number;
  /** The longest an API key lives (HUB_API_KEY_MAX_DAYS); a key asked for without expiry gets this. */
  apiKeyMaxDays: number;
}

export const defaultIdentityPolicy: IdentityPolicy = { maxFailedLogins: 5, lockMinutes: 15, sessionDays: 30, apiKeyMaxDays: 90 };
