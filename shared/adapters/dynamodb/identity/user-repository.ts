import { ConflictError } from '#shared/domain/errors.ts';
import type { ClusterRole } from '#shared/domain/identity/access.ts';
import type { UserChanges, UserRecord, UserRepository } from '#shared/domain/identity/ports.ts';
import type { Page } from '#shared/ports/page.ts';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoredItem, Table } from '../table.ts';

// Keys (docs/data-model.md): a user's profile and its cluster grants share one partition,
// so authentication reads both with one query.
const userKey = (id: string) => ({ pk: `USER#${id}`, sk: 'USER' });
const usernameKey = (username: string) => ({ pk: `USERNAME#${username.toLowerCase()}`, sk: 'USERNAME' });
const grantKey = (userId: string, clusterId: string) => ({ pk: `USER#${userId}`, sk: `GRANT#${clusterId}` });
const USERS_INDEX_PARTITION = 'USERS';
/** A user id no user has (ids are UUIDs): an unknown username reads it, so it costs the reads a real one does. */
const NOBODY = 'nobody';

interface UserItem extends StoredItem {
  id: string;
  username: string;
  role: UserRecord['role'];
  password_hash: string;
  failed_logins: number;
  locked_until?: string;
  totp?: { sealed_secret: string; enabled: boolean; last_step?: number };
  known_sources?: Record<string, string>;
  created_at: string;
  updated_at: string;
  last_login_at?: string;
}

const toRecord = (item: UserItem): UserRecord => ({
  id: item.id,
  username: item.username,
  role: item.role,
  passwordHash: item.password_hash,
  failedLogins: item.failed_logins ?? 0,
  lockedUntil: item.locked_until,
  totp: item.totp && { sealedSecret: item.totp.sealed_secret, enabled: item.totp.enabled, lastStep: item.totp.last_step },
  knownSources: item.known_sources,
  createdAt: item.created_at,
  updatedAt: item.updated_at,
  lastLoginAt: item.last_login_at,
  version: item.version,
});

const toAttributes = (changes: UserChanges): Record<string, unknown> => ({
  username: changes.username,
  gsi1sk: changes.username?.toLowerCase(),
  role: changes.role,
  password_hash: changes.passwordHash,
  failed_logins: changes.failedLogins,
  locked_until: changes.lockedUntil,
  totp: changes.totp && { sealed_secret: changes.totp.sealedSecret, enabled: changes.totp.enabled, last_step: changes.totp.lastStep },
  last_login_at: changes.lastLoginAt,
});

const REMOVABLE = { lockedUntil: 'locked_until', totp: 'totp' } as const;

/** Users, their unique usernames and their per-cluster grants in the single table. */
export class DynamoUserRepository implements UserRepository {
  constructor(private readonly table: Table) {}

  async create(user: Omit<UserRecord, 'version'>): Promise<UserRecord> {
    const item: UserItem = {
      ...userKey(user.id),
      entity: 'user',
      version: 1,
      gsi1pk: USERS_INDEX_PARTITION,
      gsi1sk: user.username.toLowerCase(),
      id: user.id,
      username: user.username,
      role: user.role,
      password_hash: user.passwordHash,
      failed_logins: 0,
      created_at: user.createdAt,
      updated_at: user.updatedAt,
    };
    await this.table.transact(
      [
        { Put: { TableName: this.table.name, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
        {
          Put: {
            TableName: this.table.name,
            Item: { ...usernameKey(user.username), entity: 'username', user_id: user.id, version: 1 },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
      `The username ${user.username} is taken.`,
    );
    return toRecord(item);
  }

  async get(id: string): Promise<UserRecord | undefined> {
    const item = await this.table.get<UserItem>(userKey(id), true);
    return item && toRecord(item);
  }

  async getWithPermissions(id: string) {
    const page = await this.table.query<StoredItem>({ partition: `USER#${id}`, limit: 1000 });
    const user = page.items.find((i) => i.sk === 'USER') as UserItem | undefined;
    if (!user) return undefined;
    const permissions: Record<string, ClusterRole> = {};
    for (const grant of page.items.filter((i) => i.sk.startsWith('GRANT#'))) {
      permissions[grant.cluster_id as string] = grant.role as ClusterRole;
    }
    return { user: toRecord(user), permissions };
  }

  /** Two reads whether or not the name exists, so a login cannot tell the two apart by its cost. */
  async findByUsername(username: string): Promise<UserRecord | undefined> {
    const claim = await this.table.get<StoredItem & { user_id: string }>(usernameKey(username));
    const user = await this.get(claim?.user_id ?? NOBODY);
    return claim ? user : undefined;
  }

  async list(limit: number, cursor?: string): Promise<Page<UserRecord>> {
    const page = await this.table.query<UserItem>({ index: 'gsi1', partition: USERS_INDEX_PARTITION, limit, cursor });
    return { ...page, items: page.items.map(toRecord) };
  }

  async update(user: UserRecord, changes: UserChanges, remove: ('lockedUntil' | 'totp')[] = []): Promise<UserRecord> {
    const now = new Date().toISOString();
    const attributes = { ...toAttributes(changes), updated_at: now };
    const renamed = changes.username !== undefined && changes.username.toLowerCase() !== user.username.toLowerCase();
    if (!renamed) {
      const item = await this.table.update<UserItem>(
        userKey(user.id),
        attributes,
        user.version,
        remove.map((r) => REMOVABLE[r]),
      );
      return toRecord(item);
    }
    // A rename moves the username claim atomically with the profile.
    await this.table.updateMovingClaim(
      this.table.versionedUpdate(userKey(user.id), attributes, user.version),
      { from: usernameKey(user.username), to: usernameKey(changes.username!), attributes: { entity: 'username', user_id: user.id } },
      `The username ${changes.username} is taken, or the user changed meanwhile.`,
    );
    const updated = await this.get(user.id);
    if (!updated) throw new ConflictError('The user was removed meanwhile.');
    return updated;
  }

  async reserveFailedLogin(id: string, max: number, now: string): Promise<number | undefined> {
    try {
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: userKey(id),
          UpdateExpression: 'ADD failed_logins :one',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(failed_logins) OR failed_logins < :max) AND (attribute_not_exists(locked_until) OR locked_until <= :now)',
          ExpressionAttributeValues: { ':one': 1, ':max': max, ':now': now },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(out.Attributes?.failed_logins ?? 1);
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }

  async releaseFailedLogin(id: string): Promise<void> {
    await this.bookkeeping(id, 'ADD failed_logins :minusOne', { ':minusOne': -1, ':zero': 0 }, ' AND failed_logins > :zero');
  }

  async lock(id: string, until: string): Promise<void> {
    await this.bookkeeping(id, 'SET locked_until = :until', { ':until': until });
  }

  async clearExpiredLock(id: string): Promise<void> {
    await this.bookkeeping(id, 'SET failed_logins = :zero REMOVE locked_until', { ':zero': 0 });
  }

  async recordLogin(id: string, at: string, totpStep?: number, knownSources?: Record<string, string>): Promise<boolean> {
    const step = totpStep === undefined ? '' : ', totp.last_step = :step';
    // The whole map, computed from the one just read: two logins racing may drop an entry, never corrupt it.
    const sources = knownSources === undefined ? '' : ', known_sources = :sources';
    // 2FA turned off meanwhile (no totp map) refuses too, rather than failing on the missing path.
    const newer = totpStep === undefined ? '' : ' AND attribute_exists(totp) AND (attribute_not_exists(totp.last_step) OR totp.last_step < :step)';
    return this.bookkeeping(
      id,
      `SET failed_logins = :zero, last_login_at = :at${step}${sources}`,
      {
        ':zero': 0,
        ':at': at,
        ...(totpStep === undefined ? {} : { ':step': totpStep }),
        ...(knownSources === undefined ? {} : { ':sources': knownSources }),
      },
      newer,
    );
  }

  /**
   * Login bookkeeping: written without the optimistic version check (and without bumping the
   * version), so concurrent logins never conflict with each other or with an admin's edit.
   */
  private async bookkeeping(id: string, update: string, values: Record<string, unknown>, condition = ''): Promise<boolean> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: userKey(id),
          UpdateExpression: update,
          ConditionExpression: `attribute_exists(pk)${condition}`,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async delete(user: UserRecord): Promise<void> {
    const partition = await this.table.query<StoredItem>({ partition: `USER#${user.id}`, limit: 1000 });
    await this.table.transact(
      [{ Delete: { TableName: this.table.name, Key: userKey(user.id) } }, { Delete: { TableName: this.table.name, Key: usernameKey(user.username) } }],
      'The user changed meanwhile.',
    );
    await Promise.all(partition.items.filter((i) => i.sk !== 'USER').map((i) => this.table.delete({ pk: i.pk, sk: i.sk })));
  }

  async countAtMostOne(): Promise<number> {
    const page = await this.table.query({ index: 'gsi1', partition: USERS_INDEX_PARTITION, limit: 1 });
    return page.items.length;
  }

  async setClusterPermission(userId: string, clusterId: string, role: ClusterRole): Promise<void> {
    await this.table.put({
      ...grantKey(userId, clusterId),
      entity: 'cluster-grant',
      version: 1,
      gsi1pk: `CLUSTER#${clusterId}#GRANTS`,
      gsi1sk: `USER#${userId}`,
      user_id: userId,
      cluster_id: clusterId,
      role,
      updated_at: new Date().toISOString(),
    });
  }

  async deleteClusterPermission(userId: string, clusterId: string): Promise<boolean> {
    return this.table.delete(grantKey(userId, clusterId));
  }

  async deletePermissionsForCluster(clusterId: string): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.table.query<StoredItem>({ index: 'gsi1', partition: `CLUSTER#${clusterId}#GRANTS`, limit: 100, cursor });
      // Any writer can give an item of its own this index key: delete only what is keyed as a grant on this cluster.
      const grants = page.items.filter((i) => i.pk.startsWith('USER#') && i.sk === grantKey('', clusterId).sk);
      await Promise.all(grants.map((i) => this.table.delete({ pk: i.pk, sk: i.sk })));
      cursor = page.continue;
    } while (cursor);
  }
}
