import { session } from '#shared/data/entities/identity.ts';
import type { SessionRecord, SessionRepository } from '#shared/domain/identity/ports.ts';
import type { StoredItem, Table } from '../table.ts';

const sessionKey = (id: string) => session.key({ id });

/** Login sessions; each row is a refresh-token family, found by id or by user. */
export class DynamoSessionRepository implements SessionRepository {
  constructor(private readonly table: Table) {}

  async create(s: SessionRecord): Promise<void> {
    await this.table.create(session.item({ ...s, revoked: false }));
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const item = await this.table.get(sessionKey(id), true);
    return item && session.read(item);
  }

  async rotate(id: string, expectedHash: string, newHash: string, previousHashes: string[]): Promise<boolean> {
    // Only rotate writes previous_hashes, always under this condition: the list the caller read
    // with `expectedHash` is still the stored one.
    const out = await this.table.updateItem(sessionKey(id), {
      update: 'SET refresh_hash = :new, previous_hashes = :previous',
      condition: 'refresh_hash = :expected AND revoked = :no',
      values: { ':new': newHash, ':previous': previousHashes, ':expected': expectedHash, ':no': false },
    });
    return out.applied;
  }

  async revoke(id: string): Promise<void> {
    // A session that is gone is revoked enough.
    await this.table.updateItem(sessionKey(id), { update: 'SET revoked = :yes', condition: 'attribute_exists(pk)', values: { ':yes': true } });
  }

  async revokeAllForUser(userId: string, keep?: string): Promise<number> {
    let revoked = 0;
    let cursor: string | undefined;
    do {
      const page = await this.table.query<StoredItem>({
        index: 'gsi1',
        partition: session.indexPartition('gsi1', { userId }),
        limit: 100,
        cursor,
        filter: { expression: 'revoked = :no', values: { ':no': false } },
      });
      const targets = page.items.map((i) => session.read(i)).filter((s) => s.id !== keep);
      await Promise.all(targets.map((s) => this.revoke(s.id)));
      revoked += targets.length;
      cursor = page.continue;
    } while (cursor);
    return revoked;
  }
}
