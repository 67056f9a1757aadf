import { handle } from 'hono/aws-lambda';
import { groupsNamed } from '#shared/api/catalog.ts';
import { createApi } from '#shared/http/app.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';

// /api/v1/audit-log: reading the audit trail.
const deps = awsDependencies();

export const handler = handle(createApi(groupsNamed(deps, 'audit'), deps.logger));
