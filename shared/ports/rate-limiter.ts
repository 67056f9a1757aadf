export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch seconds when the window resets. */
  resetAt: number;
}

/** Fixed-window counters shared by every instance of every function. */
export interface RateLimiter {
  hit(bucket: string, key: string, limit: number, windowSeconds: number, now: Date): Promise<RateDecision>;
}
