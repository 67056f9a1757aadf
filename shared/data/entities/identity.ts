/** Identity's items: users with their grants, username claims, sessions, API keys, login counters (docs/data-model.md). */
import type { ClusterRole, Role } from '#shared/domain/identity/access.ts';
import type { ApiKeyRecord, LoginCounterState, SessionRecord, UserRecord } from '#shared/domain/identity/ports.ts';
import { attribute, defineEntity, fields, nested, type Field } from '../entity.ts';

const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** An ISO time kept as it is and, for TTL, as epoch seconds `keepSeconds` later. */
const expiry = (name: string, keepSeconds = 0): Field<string | undefined> => ({
  names: [name, 'ttl'],
  write: (value) => (value === undefined ? {} : { [name]: value, ttl: epochSeconds(value) + keepSeconds }),
  read: (item) => item[name] as string | undefined,
});

// A user's profile and its cluster grants share one partition, so authentication reads both with one query.
export const user = defineEntity(
  { entity: 'user', pk: 'USER#<id>', sk: 'USER', indexes: { gsi1: { pk: 'USERS', sk: '<username:lower>' } } },
  fields<UserRecord>({
    id: 'id',
    username: 'username',
    role: 'role',
    passwordHash: 'password_hash',
    failedLogins: attribute('failed_logins', { absent: 0 }),
    lockedUntil: 'locked_until',
    totp: nested('totp', fields<NonNullable<UserRecord['totp']>>({ sealedSecret: 'sealed_secret', enabled: 'enabled', lastStep: 'last_step' })),
    knownSources: 'known_sources',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
    lastLoginAt: 'last_login_at',
    version: 'version',
  }),
);

/** Holds a username (whatever its case) for one user: the conditional put of it keeps names unique. */
export const usernameClaim = defineEntity(
  { entity: 'username', pk: 'USERNAME#<username:lower>', sk: 'USERNAME' },
  fields<{ userId: string }>({ userId: 'user_id' }),
);

export interface ClusterGrant {
  userId: string;
  clusterId: string;
  role: ClusterRole;
  updatedAt: string;
}

export const clusterGrant = defineEntity(
  {
    entity: 'cluster-grant',
    pk: 'USER#<userId>',
    sk: 'GRANT#<clusterId>',
    indexes: { gsi1: { pk: 'CLUSTER#<clusterId>#GRANTS', sk: 'USER#<userId>' } },
  },
  fields<ClusterGrant>({ userId: 'user_id', clusterId: 'cluster_id', role: 'role', updatedAt: 'updated_at' }),
);

export const session = defineEntity(
  { entity: 'session', pk: 'SESSION#<id>', sk: 'SESSION', indexes: { gsi1: { pk: 'USER#<userId>#SESSIONS', sk: '<createdAt>#<id>' } } },
  fields<SessionRecord>({
    id: 'id',
    userId: 'user_id',
    refreshHash: 'refresh_hash',
    previousHashes: attribute('previous_hashes', { absent: [] }),
    revoked: 'revoked',
    createdAt: 'created_at',
    expiresAt: expiry('expires') as Field<string>,
  }),
);

// Expired keys stay listable for a while (so their owner sees why they stopped working), then expire.
const KEEP_EXPIRED_KEY_SECONDS = 30 * 24 * 3600;

export const apiKey = defineEntity(
  { entity: 'api-key', pk: 'APIKEY#<id>', sk: 'APIKEY', indexes: { gsi1: { pk: 'USER#<userId>#APIKEYS', sk: '<createdAt>#<id>' } } },
  fields<ApiKeyRecord>({
    id: 'id',
    userId: 'user_id',
    name: 'name',
    hash: 'hash',
    prefix: 'prefix',
    createdAt: 'created_at',
    expiresAt: expiry('expires', KEEP_EXPIRED_KEY_SECONDS),
    lastUsedAt: 'last_used_at',
    owner: {
      names: ['owner_role', 'owner_password_stamp'],
      write: (owner) => (owner ? { owner_role: owner.role, owner_password_stamp: owner.passwordStamp } : {}),
      // A key without both is refused (api-keys.ts): read it as having no owner stamp.
      read: (item) =>
        item.owner_role && item.owner_password_stamp ? { role: item.owner_role as Role, passwordStamp: item.owner_password_stamp as string } : undefined,
    },
  }),
);

/** A login counter's attempts, until when they count (also its TTL) and an account's next allowed slot. */
const loginCounterState = fields<LoginCounterState>({
  count: 'attempts',
  expiresAt: { names: ['expires_at', 'ttl'], write: (at) => ({ expires_at: at, ttl: at }), read: (item) => item.expires_at as number },
  nextAt: 'next_at',
});

// An account's counters share the partition LOGIN#<account>, so an admin's unlock clears them with one
// query; a source's counter over every account stands alone. `account` is the lower-case username as typed.
export const loginSourceCounter = defineEntity({ entity: 'login-counter', pk: 'LOGINSOURCE#<source>', sk: 'LOGINSOURCE' }, loginCounterState);
export const loginSourceOnAccountCounter = defineEntity({ entity: 'login-counter', pk: 'LOGIN#<account>', sk: 'SOURCE#<source>' }, loginCounterState);
export const loginAccountCounter = defineEntity({ entity: 'login-counter', pk: 'LOGIN#<account>', sk: 'ACCOUNT' }, loginCounterState);
