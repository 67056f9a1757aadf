import { InputError } from '#shared/domain/errors.ts';
import type { Page } from '#shared/ports/page.ts';

/**
 * A page of a list the hub holds in memory, sorted: the cursor is the key of the last item given
 * and the query it belongs to (`binding`: the filters), opaque to the client (base64url) and
 * refused with another query, as the table's cursors are.
 */
export function pageOf<T>(items: T[], limit: number, cursor: string | undefined, keyOf: (item: T, index: number) => string, binding = ''): Page<T> {
  let start = 0;
  // An empty token is no token, as with the table's lists.
  if (cursor) {
    const after = decodeCursor(cursor, binding);
    start = items.findIndex((item, i) => keyOf(item, i) > after);
    if (start < 0) start = items.length;
  }
  const page = items.slice(start, start + limit);
  if (start + limit >= items.length) return { items: page };
  const after = keyOf(page.at(-1)!, start + page.length - 1);
  return { items: page, continue: Buffer.from(JSON.stringify({ after, query: binding })).toString('base64url') };
}

/** An index as a key that sorts as the number does. */
export const indexKey = (_item: unknown, index: number) => String(index).padStart(10, '0');

function decodeCursor(cursor: string, binding: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown; query?: unknown };
    if (typeof parsed.after === 'string' && parsed.after.length <= 512 && parsed.query === binding) return parsed.after;
  } catch {
    // answered below
  }
  throw new InputError('The continue token is invalid or belongs to another list or other filters; start again without it.', [
    { field: 'continue', location: 'query', message: 'invalid continue token' },
  ]);
}
