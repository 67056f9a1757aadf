import { createRoute, z } from '@hono/zod-openapi';
import { createRouter, type EndpointGroup } from '#shared/http/app.ts';
import { jsonContent } from '#shared/http/openapi.ts';
import { VERSION } from '#shared/config/version.ts';
import { checkHealth, type HealthCheck } from '#shared/domain/system/health.ts';
import { createHubMetrics, type HubInventory, type HubMetrics, type HubMetricsSnapshot } from '#shared/observability/metrics.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { registerDocs } from './docs.ts';
import { countInventory } from './inventory.ts';

const serviceHealth = z.object({
  status: z.enum(['up', 'down']),
  latency_ms: z.number(),
  error: z.string().optional(),
});

const healthReport = z
  .object({
    status: z.enum(['healthy', 'degraded', 'unhealthy']),
    version: z.string(),
    uptime_seconds: z.number().int(),
    services: z.record(z.string(), serviceHealth).openapi({ example: { database: { status: 'up', latency_ms: 3.2 } } }),
  })
  .openapi('HealthReport');

const capabilities = z
  .object({
    version: z.string(),
    auth_mode: z.enum(['required', 'optional', 'disabled']),
    environment: z.enum(['aws', 'local']),
    endpoint_groups: z.array(z.string()),
  })
  .openapi('Capabilities');

const healthRoute = (path: string, hide: boolean) =>
  createRoute({
    method: 'get',
    path,
    hide,
    tags: ['system'],
    summary: 'Service health from live checks of its dependencies',
    responses: {
      200: jsonContent(healthReport, 'Healthy or degraded.'),
      503: jsonContent(healthReport, 'Unhealthy: a critical dependency (the table) cannot be reached.'),
    },
  });

const capabilitiesRoute = (path: string, hide: boolean) =>
  createRoute({
    method: 'get',
    path,
    hide,
    tags: ['system'],
    summary: 'What this deployment offers',
    responses: { 200: jsonContent(capabilities, 'The capabilities.') },
  });

const metricsRoute = (path: string, hide: boolean) =>
  createRoute({
    method: 'get',
    path,
    hide,
    tags: ['system'],
    summary: 'Prometheus metrics: aggregate counts only, no names',
    description:
      'The Prometheus text exposition format: build info, uptime, the live table check, clusters by status, inactive and with an open circuit, users, and Node process metrics, all prefixed `clusterhub_`. Counted afresh on each scrape; unauthenticated and not rate limited, like /health.',
    responses: {
      200: {
        description: 'The metrics (`text/plain; version=0.0.4`). When the table is unreachable, `clusterhub_database_up` and `clusterhub_inventory_up` are 0.',
        content: { 'text/plain': { schema: z.string().openapi({ example: 'clusterhub_database_up 1' }) } },
      },
    },
  });

const openapiRoute = createRoute({
  method: 'get',
  path: '/openapi.json',
  tags: ['system'],
  summary: 'This OpenAPI 3.1 document',
  responses: { 200: { description: 'The document.', content: { 'application/json': { schema: z.looseObject({}) } } } },
});

export interface SystemOptions {
  /** The OpenAPI document of every endpoint group (built or read lazily, once). */
  document: () => object | Promise<object>;
  /** Names of the endpoint groups this deployment serves. */
  groupNames: () => string[];
}

/** A scrape should not wait on the table longer than this for its counts (Prometheus times out at 10 s by default). */
const INVENTORY_TIMEOUT_MS = 5000;
/**
 * How long an instance reuses its counts: /metrics is public and each count pages through the
 * table, so however often it is scraped, an instance reads the table for it at most this often.
 */
export const INVENTORY_CACHE_MS = 15_000;

/** Health, metrics, capabilities, the OpenAPI document and its Swagger UI. No authentication. */
export function systemGroup(deps: Dependencies, options: SystemOptions): EndpointGroup {
  const checks: HealthCheck[] = [{ name: 'database', critical: true, check: () => deps.table.ping() }];

  const inventory = async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const sources = { clusters: deps.clusters.clusters, breaker: deps.clusters.breaker, users: deps.identity.users, now: deps.clock.now() };
      return await Promise.race([
        countInventory(sources),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no counts within ${INVENTORY_TIMEOUT_MS} ms`)), INVENTORY_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      deps.logger.warn('metrics could not count clusters and users', { error: err instanceof Error ? err.message : String(err) });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
  let counted: { at: number; inventory: Promise<HubInventory | undefined> } | undefined;
  const recentInventory = () => {
    const now = deps.clock.now().getTime();
    if (!counted || now - counted.at >= INVENTORY_CACHE_MS) counted = { at: now, inventory: inventory() };
    return counted.inventory;
  };
  const snapshot = async (): Promise<HubMetricsSnapshot> => {
    const health = await checkHealth(checks, VERSION);
    const databaseUp = health.services.database?.status === 'up';
    // With the table down the counts would only wait for the same failure again, and old ones would mislead.
    return { version: health.version, uptimeSeconds: health.uptime_seconds, databaseUp, inventory: databaseUp ? await recentInventory() : undefined };
  };
  // createHubMetrics loads prom-client, so only on the first scrape: every function builds this group, few are scraped.
  let metrics: Promise<HubMetrics> | undefined;
  const loadMetrics = () =>
    (metrics ??= createHubMetrics(snapshot).catch((err: unknown) => {
      metrics = undefined; // try again on the next scrape
      throw err;
    }));

  // `hide` keeps the root copies out of the document: a generated client would get each operation twice.
  const register = (router: ReturnType<typeof createRouter>, hide: boolean) => {
    router.openapi(healthRoute('/health', hide), async (c) => {
      const report = await checkHealth(checks, VERSION);
      return c.json(report, report.status === 'unhealthy' ? 503 : 200);
    });
    router.openapi(metricsRoute('/metrics', hide), async (c) => {
      const m = await loadMetrics();
      return c.text(await m.render(), 200, { 'Content-Type': m.contentType, 'Cache-Control': 'no-store' });
    });
    router.openapi(capabilitiesRoute('/capabilities', hide), (c) =>
      c.json(
        {
          version: VERSION,
          auth_mode: deps.config.authMode,
          environment: deps.config.environment,
          endpoint_groups: options.groupNames(),
        },
        200,
      ),
    );
    return router;
  };

  const api = register(createRouter(), false);
  api.openapi(openapiRoute, async (c) => c.json(await options.document(), 200));
  registerDocs(api);
  // The root copies serve load balancers and probes that do not know the base path; they are not in the document.
  const root = register(createRouter(), true);
  return { name: 'system', api, root };
}
