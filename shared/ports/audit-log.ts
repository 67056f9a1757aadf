import type { Page } from './page.ts';

/** One entry of the audit trail: who did what to which resource, and how it ended (every context writes them). */
export interface AuditEntry {
  id: string;
  timestamp: string;
  user_id: string | null;
  username: string | null;
  action: string;
  resource_kind: string | null;
  resource_id: string | null;
  cluster_id: string | null;
  status_code: number;
  request_ip: string | null;
  request_id: string | null;
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
