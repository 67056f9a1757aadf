import type { AuditEntry, AuditFilter, AuditLog } from '#shared/ports/audit-log.ts';
import type { Page } from '#shared/ports/page.ts';
import { auditEntry } from '#shared/data/entities/audit.ts';
import type { QueryOptions, StoredItem, Table } from '../table.ts';

/**
 * The audit trail, newest first, readable whole or by user or by cluster, each
 * with a time range as a sort-key condition. Entries expire after the retention.
 */
export class DynamoAuditLog implements AuditLog {
  constructor(
    private readonly table: Table,
    private readonly retentionDays: number,
  ) {}

  /** Appends an entry: only ever as a new item (the write is conditional), never over an existing one. */
  async record(entry: AuditEntry): Promise<void> {
    await this.table.create({ ...auditEntry.item(entry), ttl: Math.floor(Date.parse(entry.timestamp) / 1000) + this.retentionDays * 86_400 });
  }

  async query(filter: AuditFilter, limit: number, cursor?: string): Promise<Page<AuditEntry>> {
    const conditions: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    let partition: Pick<QueryOptions, 'index' | 'partition'> = { partition: auditEntry.partition({}) };
    if (filter.userId) {
      partition = { index: 'gsi1', partition: auditEntry.indexPartition('gsi1', { userId: filter.userId }) };
      if (filter.clusterId) {
        conditions.push('#cluster = :cluster');
        names['#cluster'] = 'cluster_id';
        values[':cluster'] = filter.clusterId;
      }
    } else if (filter.clusterId) {
      partition = { index: 'gsi2', partition: auditEntry.indexPartition('gsi2', { clusterId: filter.clusterId }) };
    }
    if (filter.action) {
      conditions.push('#action = :action');
      names['#action'] = 'action';
      values[':action'] = filter.action;
    }
    const page = await this.table.query<StoredItem>({
      ...partition,
      between: [filter.since ?? '0000', `${filter.until ?? '9999'}\uffff`],
      newestFirst: true,
      limit,
      cursor,
      filter: conditions.length ? { expression: conditions.join(' AND '), names, values } : undefined,
    });
    return { ...page, items: page.items.map((i) => auditEntry.read(i)) };
  }
}
