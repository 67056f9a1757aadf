import { rateWindow } from '#shared/data/entities/rate-limits.ts';
import type { RateDecision, RateLimiter } from '#shared/ports/rate-limiter.ts';
import type { Table } from './table.ts';

/**
 * Fixed-window counters in the table: one atomic ADD per request, so every
 * Lambda instance sees the same count. Windows expire through TTL.
 */
export class DynamoRateLimiter implements RateLimiter {
  constructor(private readonly table: Table) {}

  async hit(bucket: string, key: string, limit: number, windowSeconds: number, now: Date): Promise<RateDecision> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const windowStart = nowSeconds - (nowSeconds % windowSeconds);
    const resetAt = windowStart + windowSeconds;
    const out = await this.table.updateItem(rateWindow.key({ tier: bucket, subject: key, windowStart }), {
      update: 'ADD hits :one SET #ttl = :ttl, entity = :entity',
      names: { '#ttl': 'ttl' },
      values: { ':one': 1, ':ttl': resetAt + 60, ':entity': rateWindow.entity },
      returnValues: 'UPDATED_NEW',
    });
    const hits = out.applied ? Number(out.attributes.hits ?? 1) : 1;
    return { allowed: hits <= limit, limit, remaining: Math.max(0, limit - hits), resetAt };
  }
}
