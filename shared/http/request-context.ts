import { createMiddleware } from 'hono/factory';
import { randomUUID } from 'node:crypto';
import type { Logger } from '#shared/observability/logger.ts';
import type { AppEnv } from './env.ts';

// A client's id is echoed only when it is short and plain, so it cannot inject into logs or headers.
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Gives every request an id (the client's X-Request-ID when sane), a logger bound to it, and an access log line. */
export function requestContext(logger: Logger) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const sent = c.req.header('X-Request-ID');
    const requestId = sent && CLIENT_REQUEST_ID.test(sent) ? sent : randomUUID();
    const started = performance.now();
    c.set('requestId', requestId);
    c.set('logger', logger.child({ request_id: requestId }));
    await next();
    c.header('X-Request-ID', requestId);
    c.get('logger').info('request', {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
    });
  });
}
