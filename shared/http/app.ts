import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { PayloadTooLargeError } from '#shared/domain/errors.ts';
import type { Logger } from '#shared/observability/logger.ts';
import type { AppEnv } from './env.ts';
import { handleError, handleNotFound, problemResponse } from './problem.ts';
import { requestContext } from './request-context.ts';
import { validationHook } from './validation.ts';

export const API_BASE = '/api/v1';
/** Kubeconfigs and manifests are the largest bodies we take; anything bigger is a mistake or an attack. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A router for one endpoint group; its failed validations answer 400 VALIDATION_ERROR. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

export type Router = ReturnType<typeof createRouter>;

/** One endpoint group: its routes under /api/v1, and any it serves at the root (/health). */
export interface EndpointGroup {
  name: string;
  api: Router;
  root?: Router;
}

/**
 * Composes endpoint groups behind the middleware every request passes:
 * request id and logging, security headers, 405 for a method the path does not have, a body limit,
 * one error path.
 * A Lambda composes its own group; the local run and the docs compose them all.
 */
export function createApi(groups: EndpointGroup[], logger: Logger, options: { guards?: MiddlewareHandler<AppEnv>[] } = {}) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use(requestContext(logger));
  app.use(secureHeaders({ crossOriginResourcePolicy: false }));
  // Checks of one runtime before any route, such as the local run's Host and Origin checks.
  for (const guard of options.guards ?? []) app.use(guard);
  app.use(methodsAllowed(app));
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new PayloadTooLargeError(MAX_BODY_BYTES);
      },
    }),
  );
  for (const group of groups) {
    if (group.root) app.route('/', group.root);
    app.route(API_BASE, group.api);
  }
  app.onError(handleError);
  app.notFound(handleNotFound);
  return app;
}

/** The order methods are listed in `Allow`. */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

interface ServedPath {
  pattern: RegExp;
  /** Per segment: 2 for a literal, 1 for a parameter, 0 for a wildcard; the most literal path wins. */
  rank: number[];
  methods: Set<string>;
}

/** Hono's `/clusters/:clusterId` as a pattern that matches a whole request path. */
function servedPath(path: string): Omit<ServedPath, 'methods'> {
  const segments = path.split('/').slice(1);
  const parts = segments.map((segment) => {
    if (segment === '*') return { re: '.*', rank: 0 };
    const param = /^:\w+(?:\{(.+)\})?$/.exec(segment);
    if (param) return { re: param[1] ? `(?:${param[1]})` : '[^/]+', rank: 1 };
    return { re: segment.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&'), rank: 2 };
  });
  return { pattern: new RegExp(`^/${parts.map((p) => p.re).join('/')}$`), rank: parts.map((p) => p.rank) };
}

function compareRank(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Answers 405 with `Allow` when the path is served but not with this method (TRACE, OPTIONS, a PUT on
 * a GET-only path), instead of Hono's 404. The path's methods are those of its most literal route:
 * `PATCH /clusters/discover` is refused, not taken for a cluster named `discover` (ids are UUIDs).
 * HEAD is allowed wherever GET is, as Hono serves it.
 */
function methodsAllowed(app: OpenAPIHono<AppEnv>): MiddlewareHandler<AppEnv> {
  let served: ServedPath[] | undefined;
  const table = () => {
    // Built on the first request, when every group is mounted; middleware (ALL) is not a route.
    const byPath = new Map<string, ServedPath>();
    for (const route of app.routes) {
      if (route.method === 'ALL') continue;
      const entry = byPath.get(route.path) ?? { ...servedPath(route.path), methods: new Set<string>() };
      entry.methods.add(route.method.toUpperCase());
      if (route.method.toUpperCase() === 'GET') entry.methods.add('HEAD');
      byPath.set(route.path, entry);
    }
    return [...byPath.values()];
  };
  return async (c, next) => {
    served ??= table();
    const matching = served.filter((p) => p.pattern.test(c.req.path));
    if (matching.length === 0) return next(); // no such path: 404
    const best = matching.reduce((a, b) => (compareRank(a.rank, b.rank) >= 0 ? a : b));
    const allowed = new Set(matching.filter((p) => compareRank(p.rank, best.rank) === 0).flatMap((p) => [...p.methods]));
    if (allowed.has(c.req.method.toUpperCase())) return next();
    const allow = [...METHOD_ORDER.filter((m) => allowed.has(m)), ...[...allowed].filter((m) => !METHOD_ORDER.includes(m)).sort()].join(', ');
    const res = problemResponse(c, 405, 'METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${c.req.path}; it answers ${allow}.`);
    res.headers.set('Allow', allow);
    return res;
  };
}
