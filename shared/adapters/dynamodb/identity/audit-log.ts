import type { AuditEntry, AuditFilter, AuditLog } from '#shared/ports/audit-log.ts';
import type { Page } from '#shared/ports/page.ts';
import type { QueryOptions, StoredItem, Table } from '../table.ts';

const ALL = 'AUDIT';
const byUser = (userId: string) => `AUDIT#USER#${userId}`;
const byCluster = (clusterId: string) => `AUDIT#CLUSTER#${clusterId}`;

type AuditItem = StoredItem & AuditEntry;

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
    const sortKey = `${entry.timestamp}#${entry.id}`;
    await this.table.create({
      pk: ALL,
      sk: sortKey,
      entity: 'audit',
      ...(entry.user_id ? { gsi1pk: byUser(entry.user_id), gsi1sk: sortKey } : {}),
      ...(entry.cluster_id ? { gsi2pk: byCluster(entry.cluster_id), gsi2sk: sortKey } : {}),
      ttl: Math.floor(Date.parse(entry.timestamp) / 1000) + this.retentionDays * 86_400,
      ...entry,
    });
  }

  async query(filter: AuditFilter, limit: number, cursor?: string): Promise<Page<AuditEntry>> {
    const conditions: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    let partition: Pick<QueryOptions, 'index' | 'partition'> = { partition: ALL };
    if (filter.userId) {
      partition = { index: 'gsi1', partition: byUser(filter.userId) };
      if (filter.clusterId) {
        conditions.push('#cluster = :cluster');
        names['#cluster'] = 'cluster_id';
        values[':cluster'] = filter.clusterId;
      }
    } else if (filter.clusterId) {
      partition = { index: 'gsi2', partition: byCluster(filter.clusterId) };
    }
    if (filter.action) {
      conditions.push('#action = :action');
      names['#action'] = 'action';
      values[':action'] = filter.action;
    }
    const page = await this.table.query<AuditItem>({
      ...partition,
      between: [filter.since ?? '0000', `${filter.until ?? '9999'}\uffff`],
      newestFirst: true,
      limit,
      cursor,
      filter: conditions.length ? { expression: conditions.join(' AND '), names, values } : undefined,
    });
    return { ...page, items: page.items.map(toEntry) };
  }
}

function toEntry(i: AuditItem): AuditEntry {
  return {
    id: i.id,
    timestamp: i.timestamp,
    user_id: i.user_id ?? null,
    username: i.username ?? null,
    action: i.action,
    resource_kind: i.resource_kind ?? null,
    resource_id: i.resource_id ?? null,
    cluster_id: i.cluster_id ?? null,
    status_code: i.status_code,
    request_ip: i.request_ip ?? null,
    request_id: i.request_id ?? null,
    details: i.details ?? {},
  };
}
