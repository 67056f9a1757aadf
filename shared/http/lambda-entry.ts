import type { APIGatewayProxyResult, LambdaContext, LambdaEvent } from 'hono/aws-lambda';
import type { Logger } from '#shared/observability/logger.ts';
import { onFirstCall } from '#shared/runtime/on-first-call.ts';
import type { EndpointGroup } from './app.ts';

/** An API Lambda's handler: an API Gateway event in, its answer out. */
export type ApiHandler = (event: LambdaEvent, context?: LambdaContext) => Promise<APIGatewayProxyResult>;

/** What a function serves: its endpoint group, and the logger of its requests. */
export interface FunctionApi {
  groups: EndpointGroup[];
  logger: Logger;
}

/**
 * The handler of an API function whose app is built on its first request (onFirstCall): `build`
 * imports the group's routes and the wiring with `import()`, and Hono, its Lambda adapter and the
 * app's middleware are imported the same way here, so a cold import compiles none of them.
 */
export function apiOnFirstRequest(build: () => Promise<FunctionApi>): ApiHandler {
  return onFirstCall(async () => {
    const [{ handle }, { createApi }, api] = await Promise.all([import('hono/aws-lambda'), import('./app.ts'), build()]);
    return handle(createApi(api.groups, api.logger)) as ApiHandler;
  });
}
