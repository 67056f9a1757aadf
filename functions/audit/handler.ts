import { handle } from 'hono/aws-lambda';
import { auditGroup } from '#shared/api/audit/routes.ts';
import { createApi } from '#shared/http/app.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';

// /api/v1/audit-log: reading the audit trail.
const deps = awsDependencies();

export const handler = handle(createApi([auditGroup(deps)], deps.logger));
