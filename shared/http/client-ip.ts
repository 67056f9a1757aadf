import type { Context } from 'hono';

interface RuntimeEnv {
  /** hono/aws-lambda: API Gateway's view of the caller, which a client cannot forge. */
  requestContext?: { http?: { sourceIp?: string } };
  /** @hono/node-server: the socket of the local run. */
  incoming?: { socket?: { remoteAddress?: string } };
}

/** The caller's address as the platform saw it; X-Forwarded-For is not trusted because clients can set it. */
export function clientIp(c: Context): string {
  const env = c.env as RuntimeEnv | undefined;
  return env?.requestContext?.http?.sourceIp ?? env?.incoming?.socket?.remoteAddress ?? 'unknown';
}
