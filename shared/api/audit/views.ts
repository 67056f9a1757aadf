import type { AuditEntry } from '#shared/ports/audit-log.ts';

/** An audit entry on the wire (JSON and CSV alike): snake_case names, in the CSV's column order. */
export function auditEntryView(e: AuditEntry) {
  return {
    id: e.id,
    timestamp: e.timestamp,
    user_id: e.userId,
    username: e.username,
    action: e.action,
    resource_kind: e.resourceKind,
    resource_id: e.resourceId,
    cluster_id: e.clusterId,
    status_code: e.statusCode,
    request_ip: e.requestIp,
    request_id: e.requestId,
    details: e.details,
  };
}

export type AuditEntryView = ReturnType<typeof auditEntryView>;
