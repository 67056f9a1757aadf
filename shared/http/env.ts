import type { Principal } from '#shared/domain/identity/access.ts';
import type { Logger } from '#shared/observability/logger.ts';

/** What a handler tells the audit trail about the change it made. */
export interface AuditNote {
  resourceKind?: string;
  resourceId?: string;
  clusterId?: string;
  /** Who, when the request itself was not authenticated (a login attempt). */
  subject?: { userId?: string; username: string };
  /** Never a credential: the logger's redaction applies here too. */
  details?: Record<string, unknown>;
}

/** What middleware puts on the Hono context for the routes behind it. */
export interface AppVariables {
  requestId: string;
  logger: Logger;
  principal?: Principal;
  audit?: AuditNote;
}

export interface AppEnv {
  Variables: AppVariables;
}
