import type { Page } from '#shared/ports/page.ts';
import type { ClusterRole, Role } from './access.ts';

export interface UserRecord {
  id: string;
  username: string;
  role: Role;
  passwordHash: string;
  failedLogins: number;
  /** ISO time until which logins are refused. */
  lockedUntil?: string;
  /** The TOTP seed, sealed; `enabled` once a code has proven the user has it. */
  totp?: { sealedSecret: string; enabled: boolean; lastStep?: number };
  /** Sources (client address, IPv6 by /64) the user logged in from, with the ISO time of the last success from each. */
  knownSources?: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  lastLoginAt?: string;
  version: number;
}

export type UserChanges = Partial<Pick<UserRecord, 'username' | 'role' | 'passwordHash' | 'failedLogins' | 'lockedUntil' | 'totp' | 'lastLoginAt'>>;

export interface UserRepository {
  /** Creates a user; a taken username (case-insensitive) is a ConflictError. */
  create(user: Omit<UserRecord, 'version'>): Promise<UserRecord>;
  get(id: string): Promise<UserRecord | undefined>;
  /** The user and its per-cluster permissions, in one read. */
  getWithPermissions(id: string): Promise<{ user: UserRecord; permissions: Record<string, ClusterRole> } | undefined>;
  findByUsername(username: string): Promise<UserRecord | undefined>;
  list(limit: number, cursor?: string): Promise<Page<UserRecord>>;
  /** Optimistically locked update; a rename moves the username claim in the same transaction. */
  update(user: UserRecord, changes: UserChanges, remove?: ('lockedUntil' | 'totp')[]): Promise<UserRecord>;
  /**
   * Counts a failed proof before it is checked, so proofs checked in parallel count one each:
   * the new count, or undefined (nothing counted) when `max` are counted already or a lock holds.
   */
  reserveFailedLogin(id: string, max: number, now: string): Promise<number | undefined>;
  /** Takes back a count `reserveFailedLogin` made for a proof that turned out right. */
  releaseFailedLogin(id: string): Promise<void>;
  /** Locks the account until the given time (no version check: failures may race). */
  lock(id: string, until: string): Promise<void>;
  /** Lifts a lock that has run out and starts counting failures afresh (no version check). */
  clearExpiredLock(id: string): Promise<void>;
  /**
   * Records a successful login: resets the failure count and, with 2FA, the TOTP step used;
   * `knownSources`, when given, replaces the sources the user logged in from.
   * No version check, so two logins at once both succeed; false when `totpStep` is not newer
   * than the recorded one (a replay racing this login) or the user is gone.
   */
  recordLogin(id: string, at: string, totpStep?: number, knownSources?: Record<string, string>): Promise<boolean>;
  delete(user: UserRecord): Promise<void>;
  /** Whether any user exists (bootstrap creates the first admin only on an empty table). */
  countAtMostOne(): Promise<number>;

  setClusterPermission(userId: string, clusterId: string, role: ClusterRole): Promise<void>;
  deleteClusterPermission(userId: string, clusterId: string): Promise<boolean>;
  /** Removes every user's permission on a cluster (when the cluster is deleted). */
  deletePermissionsForCluster(clusterId: string): Promise<void>;
}

/** A login session: one family of rotating refresh tokens. */
export interface SessionRecord {
  id: string;
  userId: string;
  /** Hash of the one refresh token that may be used next. */
  refreshHash: string;
  /** Hashes of the session's last refresh tokens already traded in, newest last: one presented again is a theft. */
  previousHashes?: string[];
  revoked: boolean;
  createdAt: string;
  /** ISO time the session ends whatever happens. */
  expiresAt: string;
}

export interface SessionRepository {
  create(session: SessionRecord): Promise<void>;
  get(id: string): Promise<SessionRecord | undefined>;
  /**
   * Replaces the refresh hash only if it is still `expectedHash`, keeping `previousHashes` (the
   * traded-in ones, bounded by the caller); false when another use got there first.
   */
  rotate(id: string, expectedHash: string, newHash: string, previousHashes: string[]): Promise<boolean>;
  revoke(id: string): Promise<void>;
  /** Revokes every live session of a user but `keep`. */
  revokeAllForUser(userId: string, keep?: string): Promise<number>;
}

/**
 * A counter of login attempts that bounds password guessing: per source (client address, IPv6
 * by /64) over every account, per source on one account, and per account over the sources it
 * has never logged in from. `account` is the lower-case username as typed, existing or not.
 */
export type LoginCounter =
  { kind: 'source'; source: string } | { kind: 'source-on-account'; account: string; source: string } | { kind: 'account'; account: string };

export interface LoginCounterState {
  count: number;
  /** Epoch seconds after which the counter no longer counts (it starts afresh). */
  expiresAt: number;
  /** Epoch seconds before which the account's next slowed attempt must wait (account counters only). */
  nextAt?: number;
}

/** Login attempt counters, shared by every instance through the table. */
export interface LoginCounterStore {
  /**
   * Counts one attempt, setting the expiry, if the counter is absent or counts fewer than `max`
   * and has not expired at `now`; otherwise counts nothing and answers the state as it is.
   */
  count(counter: LoginCounter, max: number, now: number, expiresAt: number): Promise<{ counted: true } | { counted: false; state?: LoginCounterState }>;
  /** Replaces the state if it is still `observed`; false when another attempt changed it first. */
  replace(counter: LoginCounter, observed: LoginCounterState, next: LoginCounterState): Promise<boolean>;
  /** Takes back one counted attempt (a login that turned out right); never below zero. */
  release(counter: LoginCounter): Promise<void>;
  /** Ends a counter: a success ends a run of failures. */
  clear(counter: LoginCounter): Promise<void>;
  /** Ends every counter of an account (an admin's unlock); per-source counters over all accounts stay. */
  clearAccount(account: string): Promise<void>;
}

export interface ApiKeyRecord {
  id: string;
  userId: string;
  name: string;
  hash: string;
  /** First characters of the key, so a person can tell keys apart. */
  prefix: string;
  createdAt: string;
  expiresAt?: string;
  lastUsedAt?: string;
  /** The owner's role and a stamp of their password hash when the key was made (api-keys.ts); a key without it is refused. */
  owner?: { role: Role; passwordStamp: string };
}

export interface ApiKeyRepository {
  create(key: ApiKeyRecord): Promise<void>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  listForUser(userId: string, limit: number, cursor?: string): Promise<Page<ApiKeyRecord>>;
  delete(userId: string, id: string): Promise<boolean>;
  /** Records when a key was last used. */
  touch(id: string, at: string): Promise<void>;
  /** Deletes every key of a user; the ids of those it deleted. */
  deleteAllForUser(userId: string): Promise<string[]>;
}
