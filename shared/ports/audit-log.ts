import type { Page } from './page.ts';

/** One entry of the audit trail: who did what to which resource, and how it ended (every context writes them). The wire names are snake_case (shared/api/audit/views.ts). */
export interface AuditEntry {
  id: string;
  timestamp: string;
  userId: string | null;
  username: string | null;
  action: string;
  resourceKind: string | null;
  resourceId: string | null;
  clusterId: string | null;
  statusCode: number;
  requestIp: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  userId?: string;
  clusterId?: string;
  action?: string;
  since?: string;
  until?: string;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  query(filter: AuditFilter, limit: number, cursor?: string): Promise<Page<AuditEntry>>;
}
