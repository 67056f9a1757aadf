/** A dependency whose reachability /health reports. */
export interface HealthCheck {
  name: string;
  /** A failed critical check makes the whole service unhealthy (503); another only degraded. */
  critical: boolean;
  check(): Promise<void>;
}

export interface ServiceHealth {
  status: 'up' | 'down';
  latency_ms: number;
  error?: string;
}

export interface HealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy';
  version: string;
  uptime_seconds: number;
  services: Record<string, ServiceHealth>;
}

const CHECK_TIMEOUT_MS = 2000;
const startedAt = Date.now();

/** Runs every check at once, each bounded in time, and sums them up. */
export async function checkHealth(checks: HealthCheck[], version: string): Promise<HealthReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          c.check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
          }),
        ]);
        return [c, { status: 'up', latency_ms: elapsed(started) }] as const;
      } catch (err) {
        // Only the error's kind and a short reason: /health is public.
        const reason = err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]!.slice(0, 120)}` : 'unknown error';
        return [c, { status: 'down', latency_ms: elapsed(started), error: reason }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const down = results.filter(([, r]) => r.status === 'down');
  const status = down.some(([c]) => c.critical) ? 'unhealthy' : down.length ? 'degraded' : 'healthy';
  return {
    status,
    version,
    uptime_seconds: Math.floor((Date.now() - startedAt) / 1000),
    services: Object.fromEntries(results.map(([c, r]) => [c.name, r])),
  };
}

function elapsed(started: number) {
  return Math.round((performance.now() - started) * 10) / 10;
}
