import { InputError } from '#shared/domain/errors.ts';

/** Bounds below and above every ISO 8601 time the hub writes. */
const UNBOUNDED_SINCE = '0000';
const UNBOUNDED_UNTIL = '9999';

/**
 * The key range of a `since`/`until` query over records sorted by ISO time. An end left out stays
 * unbounded (not "now" or "30 days ago"), so a continue token still fits the same query a moment
 * later; what is past its retention is gone already (TTL).
 */
export function timeRange(since: string | undefined, until: string | undefined): [string, string] {
  if (since !== undefined && until !== undefined && since > until) {
    throw new InputError('since must not be after until.', [{ field: 'since', location: 'query', message: 'after until' }]);
  }
  return [since ?? UNBOUNDED_SINCE, until ?? UNBOUNDED_UNTIL];
}
