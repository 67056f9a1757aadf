import { z } from '@hono/zod-openapi';
import type { Page } from '#shared/ports/page.ts';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** The `limit` and `continue` query parameters every list endpoint takes. */
export const pageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .openapi({ description: `Items per page (1 to ${MAX_PAGE_SIZE}).`, example: DEFAULT_PAGE_SIZE }),
  continue: z
    .string()
    .max(2048)
    // Printable ASCII, as every token the hub hands out: 2048 other characters, percent-encoded, outgrow what an HTTP server takes in a URL (431).
    .regex(/^[\x21-\x7e]*$/, 'a continue token from a previous page')
    .optional()
    .openapi({
      description:
        "The opaque token from the previous page's metadata.continue, valid only with the query (filters) that produced it; " +
        'anything else answers 400 VALIDATION_ERROR "invalid continue token".',
    }),
});

export type PageQuery = z.infer<typeof pageQuery>;

/** The envelope of every list response: `{ items, metadata: { continue?, total? } }`. */
export function listOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      items: z.array(item),
      metadata: z.object({
        continue: z.string().optional().openapi({ description: 'Pass as `continue` to get the next page; absent on the last page.' }),
        total: z.number().int().optional().openapi({ description: 'The number of items in all pages, when known without reading them all.' }),
      }),
    })
    .openapi(name);
}

/** Shapes a page for the wire. */
export function toListResponse<T, R>(page: Page<T>, map: (item: T) => R) {
  return {
    items: page.items.map(map),
    metadata: {
      ...(page.continue ? { continue: page.continue } : {}),
      ...(page.total !== undefined ? { total: page.total } : {}),
    },
  };
}
