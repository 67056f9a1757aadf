import { z } from '@hono/zod-openapi';

/** A time a caller gives (query or body), with any offset, as the UTC ISO string the hub stores and compares. */
export const isoTime = z.iso
  .datetime({ offset: true })
  .transform((t) => new Date(t).toISOString())
  .openapi({ type: 'string', format: 'date-time', example: '2026-11-25T00:00:00Z' });

/** How old data read from a cluster is, on every view that answers from stored results rather than from the cluster. */
export const freshness = z
  .object({
    checked_at: z.string().nullable().openapi({ description: 'When the data was read from the cluster.' }),
    age_seconds: z.number().int().nullable(),
  })
  .openapi('Freshness');
