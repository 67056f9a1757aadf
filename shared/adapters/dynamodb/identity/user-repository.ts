import { clusterGrant, user as userEntity, usernameClaim } from '#shared/data/entities/identity.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import type { ClusterRole } from '#shared/domain/identity/access.ts';
import type { UserChanges, UserRecord, UserRepository } from '#shared/domain/identity/ports.ts';
import type { Page } from '#shared/ports/page.ts';
import type { StoredItem, Table } from '../table.ts';

const userKey = (id: string) => userEntity.key({ id });
const claimOf = (username: string, userId: string) => usernameClaim.item({ username, userId });
/** A user id no user has (ids are UUIDs): an unknown username reads it, so it costs the reads a real one does. */
const NOBODY = 'nobody';

type UserItem = StoredItem & Record<string, unknown>;

/** The attributes an update writes: a new name moves the user in the list by name too. */
const changedAttributes = (changes: UserChanges): Record<string, unknown> => ({
  ...userEntity.write(changes),
  ...(changes.username === undefined ? {} : userEntity.indexKey('gsi1', { username: changes.username })),
});

/** Users, their unique usernames and their per-cluster grants in the single table. */
export class DynamoUserRepository implements UserRepository {
  constructor(private readonly table: Table) {}

  async create(user: Omit<UserRecord, 'version'>): Promise<UserRecord> {
    const item = userEntity.item({ ...user, failedLogins: 0, version: 1 });
    await this.table.createAll([item, claimOf(user.username, user.id)], `The username ${user.username} is taken.`);
    return userEntity.read(item);
  }

  async get(id: string): Promise<UserRecord | undefined> {
    const item = await this.table.get<UserItem>(userKey(id), true);
    return item && userEntity.read(item);
  }

  async getWithPermissions(id: string) {
    const page = await this.table.query<StoredItem>({ partition: userEntity.partition({ id }), limit: 1000 });
    const user = page.items.find((i) => userEntity.holds(i));
    if (!user) return undefined;
    const permissions: Record<string, ClusterRole> = {};
    for (const grant of page.items.filter((i) => clusterGrant.holds(i)).map((i) => clusterGrant.read(i))) {
      permissions[grant.clusterId] = grant.role;
    }
    return { user: userEntity.read(user), permissions };
  }

  /** Two reads whether or not the name exists, so a login cannot tell the two apart by its cost. */
  async findByUsername(username: string): Promise<UserRecord | undefined> {
    const claim = await this.table.get(usernameClaim.key({ username }));
    const user = await this.get(claim ? usernameClaim.read(claim).userId : NOBODY);
    return claim ? user : undefined;
  }

  async list(limit: number, cursor?: string): Promise<Page<UserRecord>> {
    const page = await this.table.query<UserItem>({ index: 'gsi1', partition: userEntity.indexPartition('gsi1', {}), limit, cursor });
    return { ...page, items: page.items.map((i) => userEntity.read(i)) };
  }

  async update(user: UserRecord, changes: UserChanges, remove: ('lockedUntil' | 'totp')[] = []): Promise<UserRecord> {
    const now = new Date().toISOString();
    const attributes = { ...changedAttributes(changes), updated_at: now };
    const renamed = changes.username !== undefined && changes.username.toLowerCase() !== user.username.toLowerCase();
    if (!renamed) {
      const removed = remove.flatMap((field) => userEntity.attributeNames(field));
      return userEntity.read(await this.table.update<UserItem>(userKey(user.id), attributes, user.version, removed));
    }
    // A rename moves the username claim atomically with the profile.
    await this.table.updateMovingClaim(
      this.table.versionedUpdate(userKey(user.id), attributes, user.version),
      { from: usernameClaim.key({ username: user.username }), to: claimOf(changes.username!, user.id) },
      `The username ${changes.username} is taken, or the user changed meanwhile.`,
    );
    const updated = await this.get(user.id);
    if (!updated) throw new ConflictError('The user was removed meanwhile.');
    return updated;
  }

  async reserveFailedLogin(id: string, max: number, now: string): Promise<number | undefined> {
    const out = await this.table.updateItem(userKey(id), {
      update: 'ADD failed_logins :one',
      condition:
        'attribute_exists(pk) AND (attribute_not_exists(failed_logins) OR failed_logins < :max) AND (attribute_not_exists(locked_until) OR locked_until <= :now)',
      values: { ':one': 1, ':max': max, ':now': now },
      returnValues: 'UPDATED_NEW',
    });
    return out.applied ? Number(out.attributes.failed_logins ?? 1) : undefined;
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
    const out = await this.table.updateItem(userKey(id), { update, condition: `attribute_exists(pk)${condition}`, values });
    return out.applied;
  }

  async delete(user: UserRecord): Promise<void> {
    const partition = await this.table.query<StoredItem>({ partition: userEntity.partition({ id: user.id }), limit: 1000 });
    await this.table.transact(
      [
        { Delete: { TableName: this.table.name, Key: userKey(user.id) } },
        { Delete: { TableName: this.table.name, Key: usernameClaim.key({ username: user.username }) } },
      ],
      'The user changed meanwhile.',
    );
    await Promise.all(partition.items.filter((i) => !userEntity.holds(i)).map((i) => this.table.delete({ pk: i.pk, sk: i.sk })));
  }

  async countAtMostOne(): Promise<number> {
    const page = await this.table.query({ index: 'gsi1', partition: userEntity.indexPartition('gsi1', {}), limit: 1 });
    return page.items.length;
  }

  async setClusterPermission(userId: string, clusterId: string, role: ClusterRole): Promise<void> {
    await this.table.put({ ...clusterGrant.item({ userId, clusterId, role, updatedAt: new Date().toISOString() }), version: 1 });
  }

  async deleteClusterPermission(userId: string, clusterId: string): Promise<boolean> {
    return this.table.delete(clusterGrant.key({ userId, clusterId }));
  }

  async deletePermissionsForCluster(clusterId: string): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.table.query<StoredItem>({ index: 'gsi1', partition: clusterGrant.indexPartition('gsi1', { clusterId }), limit: 100, cursor });
      // Any writer can give an item of its own this index key: delete only what is keyed as a grant on this cluster.
      const grants = page.items.filter((i) => clusterGrant.holds(i) && i.sk === clusterGrant.sk.fill({ clusterId }));
      await Promise.all(grants.map((i) => this.table.delete({ pk: i.pk, sk: i.sk })));
      cursor = page.continue;
    } while (cursor);
  }
}
