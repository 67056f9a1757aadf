import { createRoute, z } from '@hono/zod-openapi';
import { swaggerUI } from '@hono/swagger-ui';
import { API_BASE, createRouter, type EndpointGroup } from '#shared/http/app.ts';
import { jsonContent } from '#shared/http/openapi.ts';
import { VERSION } from '#shared/config/version.ts';
import { checkHealth, type HealthCheck } from '#shared/domain/system/health.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';

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

const healthRoute = (path: string) =>
  createRoute({
    method: 'get',
    path,
    tags: ['system'],
    summary: 'Service health from live checks of its dependencies',
    responses: {
      200: jsonContent(healthReport, 'Healthy or degraded.'),
      503: jsonContent(healthReport, 'Unhealthy: a critical dependency (the table) cannot be reached.'),
    },
  });

const capabilitiesRoute = (path: string) =>
  createRoute({
    method: 'get',
    path,
    tags: ['system'],
    summary: 'What this deployment offers',
    responses: { 200: jsonContent(capabilities, 'The capabilities.') },
  });

const openapiRoute = createRoute({
  method: 'get',
  path: '/openapi.json',
  tags: ['system'],
  summary: 'This OpenAPI 3.1 document',
  responses: { 200: { description: 'The document.', content: { 'application/json': { schema: z.looseObject({}) } } } },
});

export interface SystemOptions {
  /** The OpenAPI document of every endpoint group (built lazily, once). */
  document: () => object;
  /** Names of the endpoint groups this deployment serves. */
  groupNames: () => string[];
}

/** Health, capabilities, the OpenAPI document and its Swagger UI. No authentication. */
export function systemGroup(deps: Dependencies, options: SystemOptions): EndpointGroup {
  const checks: HealthCheck[] = [{ name: 'database', critical: true, check: () => deps.table.ping() }];

  const register = (router: ReturnType<typeof createRouter>) => {
    router.openapi(healthRoute('/health'), async (c) => {
      const report = await checkHealth(checks, VERSION);
      return c.json(report, report.status === 'unhealthy' ? 503 : 200);
    });
    router.openapi(capabilitiesRoute('/capabilities'), (c) =>
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

  const api = register(createRouter());
  api.openapi(openapiRoute, (c) => c.json(options.document(), 200));
  api.get('/docs', swaggerUI({ url: `${API_BASE}/openapi.json`, title: 'clusterhub API' }));
  // The root copies serve load balancers and probes that do not know the base path.
  const root = register(createRouter());
  return { name: 'system', api, root };
}
