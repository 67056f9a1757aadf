import { OpenAPIHono, z } from '@hono/zod-openapi';
import { API_BASE, MAX_BODY_BYTES } from './app.ts';
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
    errors: z.array(z.object({ field: z.string(), location: z.string().optional(), message: z.string() })).optional(),
  })
  .openapi('Problem');

const descriptions: Record<number, string> = {
  400: 'The request is invalid; `errors` lists each failing field.',
  401: 'Authentication is missing or invalid.',
  403: 'The caller may not do this.',
  404: 'Not found, or not visible to the caller.',
  409: 'Conflicts with the current state.',
  413: `The body is larger than ${MAX_BODY_BYTES} bytes.`,
  415: 'The body is not JSON: send it with `Content-Type: application/json`.',
  422: 'Understood but cannot be carried out.',
  423: 'The account is locked.',
  428: 'A destructive change needs `X-Confirm-Destructive: true` (CONFIRMATION_REQUIRED).',
  429: 'Rate limit exceeded; see Retry-After.',
  502: 'A cluster answered with more than the hub reads at once (CLUSTER_RESPONSE_TOO_LARGE).',
  503: 'A dependency is unavailable.',
};

/**
 * OpenAPI `responses` entries for the error statuses a route can answer. Leave out what its
 * guard answers (401, 403 for a role, 404 for a cluster not visible, 429: shared/http/route.ts adds
 * those from the route's declaration) and what its request implies (400 for parameters or a body,
 * 413 and 415 for a body: generateDocument adds those to every route concerned).
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

/** A required JSON request body of a route. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { content: { 'application/json': { schema } }, required: true };
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
  // Every error answer refers to it by $ref.
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
  const paths = (document.paths ?? {}) as Paths;
  documentDeclarations(paths);
  nameOperations(paths);
  return document;
}

interface Operation {
  operationId?: string;
  description?: string;
  parameters?: { name?: string; in?: string }[];
  requestBody?: unknown;
  responses?: Record<string, unknown>;
}
type Paths = Record<string, Record<string, Operation | undefined>>;

const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

function addResponse(operation: Operation, status: number) {
  operation.responses ??= {};
  operation.responses[status] ??= { description: descriptions[status], content: problemContent };
}

function* operations(paths: Paths): Generator<[string, string, Operation]> {
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item)) if (operation && METHODS.has(method)) yield [path, method, operation];
  }
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** What the schema of `continue` (any string) cannot say, on every paginated list. */
const CONTINUE_RULE =
  '`continue` is opaque: send back exactly the `metadata.continue` of the previous page, with the same filters; any other value answers 400.';

/**
 * Adds what every route answers for what it declares, before its handler runs: 400 for a
 * parameter or body that fails its schema (a malformed id, malformed JSON), 415 for a body that
 * is not JSON, and 413 for a body over the limit (createApi's body limit, on any method that
 * carries one). A paginated list says what its `continue` token is.
 */
function documentDeclarations(paths: Paths) {
  for (const [, method, operation] of operations(paths)) {
    if (operation.parameters?.length || operation.requestBody) addResponse(operation, 400);
    if (operation.requestBody) addResponse(operation, 415);
    if (operation.requestBody || !['get', 'head', 'options'].includes(method)) addResponse(operation, 413);
    if (operation.parameters?.some((p) => p.in === 'query' && p.name === 'continue')) {
      operation.description = operation.description ? `${operation.description}\n\n${CONTINUE_RULE}` : CONTINUE_RULE;
    }
  }
}

/**
 * Gives every operation without an `operationId` one made from its method and path, so client
 * generators name their functions alike everywhere: `GET /api/v1/clusters` is `listClusters`,
 * `POST /api/v1/clusters` `createCluster`, `GET /api/v1/clusters/{clusterId}/status`
 * `getClusterStatus`, `POST /api/v1/auth/login` `postAuthLogin`. A segment before a path
 * parameter names one item (singular); a path with an item path below it is a collection, which
 * GET lists and POST adds to. Throws on a duplicate, which a route's own `operationId` resolves.
 */
function nameOperations(paths: Paths) {
  const seen = new Map<string, string>();
  for (const [path, method, operation] of operations(paths)) {
    operation.operationId ??= operationIdFor(method, path, paths);
    const other = seen.get(operation.operationId);
    if (other)
      throw new Error(`${method.toUpperCase()} ${path} and ${other} are both operationId ${operation.operationId}: give one an operationId of its own`);
    seen.set(operation.operationId, `${method.toUpperCase()} ${path}`);
  }
}

const isParam = (segment: string | undefined) => segment?.startsWith('{') ?? false;
const singular = (word: string) => (word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word);
const capitalised = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

function operationIdFor(method: string, path: string, paths: Paths): string {
  const segments = (path.startsWith(`${API_BASE}/`) ? path.slice(API_BASE.length) : path).split('/').filter(Boolean);
  const collection = !isParam(segments.at(-1)) && Object.keys(paths).some((p) => p.startsWith(`${path}/{`) && !p.slice(path.length + 1).includes('/'));
  const words = segments.flatMap((segment, i) => {
    if (isParam(segment)) return [];
    const item = isParam(segments[i + 1]) || (collection && method === 'post' && i === segments.length - 1);
    const parts = segment.split(/[^A-Za-z0-9]+/).filter(Boolean);
    if (item) parts.push(singular(parts.pop()!));
    return parts;
  });
  const verb = { get: collection ? 'list' : 'get', post: collection ? 'create' : 'post', patch: 'update', put: 'replace', delete: 'delete' }[method] ?? method;
  return verb + words.map(capitalised).join('');
}
