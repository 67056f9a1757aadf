import type { Clock } from '#shared/ports/clock.ts';
import type { AccessTokens } from './access-tokens.ts';
import type { BootstrapPasswordSecret } from './bootstrap.ts';
import type { KeyringStore } from './keyring.ts';
import type { ApiKeyRepository, LoginCounterStore, SessionRepository, UserRepository } from './ports.ts';

/** What the identity use cases work with. */
export interface IdentityDeps {
  users: UserRepository;
  sessions: SessionRepository;
  apiKeys: ApiKeyRepository;
  /** What bounds password guessing at login (login-attempts.ts). */
  loginCounters: LoginCounterStore;
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
  /**
   * Failures in a row that lock: a source out of one account at login, and credential changes
   * (change-password, 2FA disable) of an account whose own sessions guessed wrong.
   */
  maxFailedLogins: number;
  lockMinutes: number;
  sessionDays: number;
  login: LoginLimits;
  /** The longest an API key lives (HUB_API_KEY_MAX_DAYS); a key asked for without expiry gets this. */
  apiKeyMaxDays: number;
}

/** How login failures are counted and slowed down (README, "Login lockout"). */
export interface LoginLimits {
  /** Failed logins from one source over every account that lock the source out for lockMinutes. */
  perSource: number;
  /** Failed logins on one account from sources it never logged in from, before each further one waits. */
  freeUnknownSourceFailures: number;
  /** The first wait; each further slowed attempt doubles it, up to maxDelaySeconds. */
  firstDelaySeconds: number;
  maxDelaySeconds: number;
  /** An account's slow-down is forgotten this long after its last counted attempt. */
  forgetAfterMinutes: number;
  /** A source the user logged in from stays known this long after the last success from it. */
  knownSourceDays: number;
  /** At most this many known sources per user (the least recent go first). */
  knownSourcesKept: number;
}

export const defaultIdentityPolicy: IdentityPolicy = {
  maxFailedLogins: 5,
  lockMinutes: 15,
  sessionDays: 30,
  apiKeyMaxDays: 90,
  login: {
    perSource: 20,
    freeUnknownSourceFailures: 5,
    firstDelaySeconds: 30,
    maxDelaySeconds: 900,
    forgetAfterMinutes: 60,
    knownSourceDays: 30,
    knownSourcesKept: 8,
  },
};
