/** The audit trail's items (docs/data-model.md): one partition, newest first by sort key, and an index by user and by cluster. */
import type { AuditEntry } from '#shared/ports/audit-log.ts';
import { attribute, defineEntity, fields } from '../entity.ts';

// Entries keep the wire's field names; what a reader does not find is null (details: nothing).
const orNull = (name: string) => attribute<string | null>(name, { absent: null });

export const auditEntry = defineEntity(
  {
    entity: 'audit',
    pk: 'AUDIT',
    sk: '<timestamp>#<id>',
    indexes: {
      gsi1: { pk: 'AUDIT#USER#<user_id>', sk: '<timestamp>#<id>', sparse: true },
      gsi2: { pk: 'AUDIT#CLUSTER#<cluster_id>', sk: '<timestamp>#<id>', sparse: true },
    },
  },
  fields<AuditEntry>({
    id: 'id',
    timestamp: 'timestamp',
    user_id: orNull('user_id'),
    username: orNull('username'),
    action: 'action',
    resource_kind: orNull('resource_kind'),
    resource_id: orNull('resource_id'),
    cluster_id: orNull('cluster_id'),
    status_code: 'status_code',
    request_ip: orNull('request_ip'),
    request_id: orNull('request_id'),
    details: attribute('details', { absent: {} }),
  }),
);
