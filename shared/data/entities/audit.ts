/** The audit trail's items (docs/data-model.md): one partition, newest first by sort key, and an index by user and by cluster. */
import type { AuditEntry } from '#shared/ports/audit-log.ts';
import { attribute, defineEntity, fields } from '../entity.ts';

// Entries are stored under the wire's (snake_case) attribute names; what a reader does not find is null (details: nothing).
const orNull = (name: string) => attribute<string | null>(name, { absent: null });

export const auditEntry = defineEntity(
  {
    entity: 'audit',
    pk: 'AUDIT',
    sk: '<timestamp>#<id>',
    indexes: {
      gsi1: { pk: 'AUDIT#USER#<userId>', sk: '<timestamp>#<id>', sparse: true },
      gsi2: { pk: 'AUDIT#CLUSTER#<clusterId>', sk: '<timestamp>#<id>', sparse: true },
    },
  },
  fields<AuditEntry>({
    id: 'id',
    timestamp: 'timestamp',
    userId: orNull('user_id'),
    username: orNull('username'),
    action: 'action',
    resourceKind: orNull('resource_kind'),
    resourceId: orNull('resource_id'),
    clusterId: orNull('cluster_id'),
    statusCode: 'status_code',
    requestIp: orNull('request_ip'),
    requestId: orNull('request_id'),
    details: attribute('details', { absent: {} }),
  }),
);
