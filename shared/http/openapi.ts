import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from './env.ts';

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
  503: 'A dependency is unavailable.',
};

/** OpenAPI `responses` entries for the error statuses a route can answer. */
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
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: API_TITLE,
      version,
      description: 'A control plane for a fleet of Kubernetes clusters. Errors are RFC 9457 problem documents.',
    },
    servers: [{ url: '/' }],
  });
}
