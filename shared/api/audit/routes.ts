import { z } from '@hono/zod-openapi';
import { InputError } from '#shared/domain/errors.ts';
import type { AuditEntry } from '#shared/ports/audit-log.ts';
import { createRouter, type EndpointGroup } from '#shared/http/app.ts';
import { errorResponses } from '#shared/http/openapi.ts';
import { listOf, pageQuery, toListResponse } from '#shared/http/pagination.ts';
import { guardedRoutes } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { auditCsv } from './csv.ts';
import { auditEntryView } from './views.ts';

/** A CSV export reads at most this many entries; `X-Continue` says where to go on. */
const CSV_MAX_ROWS = 10_000;

const isoTime = z.iso.datetime({ offset: true }).openapi({ example: '2026-11-25T00:00:00Z' });

const query = pageQuery.extend({
  user_id: z.string().max(64).optional(),
  cluster_id: z.string().max(64).optional(),
  action: z.string().max(100).optional(),
  since: isoTime.optional().openapi({ description: 'Entries at or after this time.' }),
  until: isoTime.optional().openapi({ description: 'Entries at or before this time; not earlier than `since`.' }),
  format: z.enum(['json', 'csv']).default('json'),
});

const entry = z
  .object({
    id: z.string(),
    timestamp: z.string(),
    user_id: z.string().nullable(),
    username: z.string().nullable(),
    action: z.string(),
    resource_kind: z.string().nullable(),
    resource_id: z.string().nullable(),
    cluster_id: z.string().nullable(),
    status_code: z.number().int(),
    request_ip: z.string().nullable(),
    request_id: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi('AuditEntry');

/** The audit trail (admin only), as JSON pages or a CSV export. */
export function auditGroup(deps: Dependencies): EndpointGroup {
  const api = createRouter();
  const route = guardedRoutes(api, deps);
  route(
    {
      method: 'get',
      path: '/audit-log',
      tags: ['audit'],
      summary: 'Every change and login attempt, newest first; filter by user, cluster, action and time; `format=csv` exports',
      description:
        'A `continue` token (from `metadata.continue`, or the `X-Continue` header of a CSV export) is valid only with the filters that produced it; ' +
        'with other filters it answers 400.',
      access: 'admin',
      request: { query },
      responses: {
        200: {
          description: 'Entries.',
          content: {
            'application/json': { schema: listOf(entry, 'AuditEntryList') },
            'text/csv': { schema: z.string() },
          },
        },
        ...errorResponses(400),
      },
    },
    async (c) => {
      const q = c.req.valid('query');
      if (q.since && q.until && Date.parse(q.since) > Date.parse(q.until)) {
        throw new InputError('since is later than until: no entry can be in that window.', [
          { field: 'since', location: 'query', message: 'later than until' },
          { field: 'until', location: 'query', message: 'earlier than since' },
        ]);
      }
      const filter = {
        userId: q.user_id,
        clusterId: q.cluster_id,
        action: q.action,
        since: q.since && new Date(q.since).toISOString(),
        until: q.until && new Date(q.until).toISOString(),
      };
      if (q.format === 'json') {
        const page = await deps.audit.query(filter, q.limit, q.continue);
        return c.json(toListResponse(page, auditEntryView), 200);
      }
      const rows: AuditEntry[] = [];
      let cursor = q.continue;
      do {
        const page = await deps.audit.query(filter, Math.min(500, CSV_MAX_ROWS - rows.length), cursor);
        rows.push(...page.items);
        cursor = page.continue;
      } while (cursor && rows.length < CSV_MAX_ROWS);
      if (cursor) c.header('X-Continue', cursor);
      c.header('Content-Disposition', 'attachment; filename="clusterhub-audit.csv"');
      return c.body(auditCsv(rows.map(auditEntryView)), 200, { 'Content-Type': 'text/csv; charset=utf-8' });
    },
  );
  return { name: 'audit', api };
}
