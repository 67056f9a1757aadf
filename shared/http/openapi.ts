import { OpenAPIHono, z } from '@hono/zod-openapi';
import { COMPOSED_HANDLER } from 'hono/utils/constants';
import type { AppEnv } from './env.ts';
import { guardOf, type GuardOptions } from './guard.ts';

/** The problem document in the OpenAPI schema, shared by every error response. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ example: 'VALIDATION_ERROR' }),
    request_id: z.string(),
    instance: z.string().optional(),
    errors: z
      .array(z.object({ field: z.string(), location: z.string().optional(), message: z.string() }))
      .optional(),
  })
  .openapi('Problem');

const descriptions: Record<number, string> = {
  400: 'The request is invalid; `errors` lists each failing field.',
  401: 'Authentication is missing or invalid.',
  403: 'The caller may not do this.',
  404: 'Not found, or not visible to the caller.',
  409: 'Conflicts with the current state.',
  422: 'Understood but cannot be carried out.',
  423: 'The account is locked.',
  429: 'Rate limit exceeded; see Retry-After.',
  502: 'A cluster answered with more than the hub reads at once (CLUSTER_RESPONSE_TOO_LARGE).',
  503: 'A dependency is unavailable.',
};

/**
 * OpenAPI `responses` entries for the error statuses a route can answer. Leave out what its
 * guard answers (401, 429): generateDocument adds those to every guarded route.
 */
export function errorResponses(...statuses: number[]) {
  const out: Record<number, { description: string; content: { 'application/problem+json': { schema: typeof problemSchema } } }> = {};
  for (const status of statuses) {
    out[status] = {
      description: descriptions[status] ?? 'Error.',
      content: { 'application/problem+json': { schema: problemSchema } },
    };
  }
  return out;
}

/** JSON body helper for route definitions. */
export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

export const API_TITLE = 'clusterhub API';

/** Generates the OpenAPI 3.1 document from every route registered on `app`. */
export function generateDocument(app: OpenAPIHono<AppEnv>, version: string) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token from POST /api/v1/auth/login.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'An API key from POST /api/v1/auth/api-keys.',
  });
  // documentGuards refers to it by $ref, so it is in the document even if no route names it.
  app.openAPIRegistry.register('Problem', problemSchema);
  const document = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: API_TITLE,
      version,
      description: 'A control plane for a fleet of Kubernetes clusters. Errors are RFC 9457 problem documents.',
    },
    servers: [{ url: '/' }],
  });
  documentGuards(app, document.paths as Paths | undefined);
  return document;
}

type Paths = Record<string, Record<string, { responses?: Record<string, unknown> } | undefined>>;

/** What a guard can answer before its route runs: 429 over the rate limit, and 401 unless the route is public. */
function guardStatuses(guard: GuardOptions): number[] {
  return guard.access === 'public' ? [429] : [401, 429];
}

/**
 * Adds the guard's own answers to every operation it stands in front of, found from
 * the routes as mounted (not as declared), so a route's `responses` list only what
 * the route itself answers and no guarded route can forget its 401 or 429.
 */
function documentGuards(app: OpenAPIHono<AppEnv>, paths: Paths | undefined) {
  const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
  for (const route of app.routes) {
    // A sub-app with its own error handler wraps its handlers when mounted.
    const handler = (route.handler as { [COMPOSED_HANDLER]?: unknown })[COMPOSED_HANDLER] ?? route.handler;
    const guard = guardOf(handler);
    if (!guard) continue;
    const operation = paths?.[route.path.replaceAll(/:(\w+)(\{[^}]*\})?/g, '{$1}')]?.[route.method.toLowerCase()];
    if (!operation) continue; // an undocumented route: test/api/openapi-coverage.test.ts fails on it
    operation.responses ??= {};
    for (const status of guardStatuses(guard)) {
      operation.responses[status] ??= { description: descriptions[status], content: problem };
    }
  }
}
