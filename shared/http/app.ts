import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { PayloadTooLargeError } from '#shared/domain/errors.ts';
import type { Logger } from '#shared/observability/logger.ts';
import type { AppEnv } from './env.ts';
import { handleError, handleNotFound } from './problem.ts';
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
 * request id and logging, security headers, a body limit, one error path.
 * A Lambda composes its own group; the local run and the docs compose them all.
 */
export function createApi(groups: EndpointGroup[], logger: Logger, options: { guards?: MiddlewareHandler<AppEnv>[] } = {}) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use(requestContext(logger));
  app.use(secureHeaders({ crossOriginResourcePolicy: false }));
  // Checks of one runtime before any route, such as the local run's Host and Origin checks.
  for (const guard of options.guards ?? []) app.use(guard);
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
