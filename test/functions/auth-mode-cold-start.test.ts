import type { APIGatewayProxyEventV2, APIGatewayProxyResult, Context } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResult>;

const HANDLERS = ['system', 'identity', 'audit', 'clusters'] as const;
const saved = { ...process.env };
afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
});

/** A cold start of one function: its module loaded afresh with `env` set, as Lambda does it. */
async function coldStart(name: (typeof HANDLERS)[number], env: Record<string, string>): Promise<Handler> {
  Object.assign(process.env, env);
  vi.resetModules();
  const mod = (await import(`#functions/${name}/handler.ts`)) as { handler: Handler };
  return mod.handler;
}

describe('a Lambda cold start refuses unsafe auth modes', () => {
  it.each(HANDLERS)('%s: disabled is refused even with HUB_ENVIRONMENT=local', async (name) => {
    // The module loads afresh, its ConfigError class with it: the error is known by its name.
    await expect(
      coldStart(name, { AWS_LAMBDA_FUNCTION_NAME: `clusterhub-${name}`, HUB_ENVIRONMENT: 'local', HUB_AUTH_MODE: 'disabled' }),
    ).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('disabled is for the local run only and this is a Lambda'),
    });
  });

  it.each(HANDLERS)('%s: optional is refused unless HUB_ALLOW_OPTIONAL_AUTH=true', async (name) => {
    await expect(coldStart(name, { AWS_LAMBDA_FUNCTION_NAME: `clusterhub-${name}`, HUB_AUTH_MODE: 'optional' })).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('HUB_AUTH_MODE=optional'),
    });
  });

  it('starts with optional when it is allowed explicitly, and serves', async () => {
    const handler = await coldStart('system', { AWS_LAMBDA_FUNCTION_NAME: 'clusterhub-system', HUB_AUTH_MODE: 'optional', HUB_ALLOW_OPTIONAL_AUTH: 'true' });
    const event = JSON.parse(readFileSync(new URL('../../events/api-gateway/get-openapi.json', import.meta.url), 'utf8')) as APIGatewayProxyEventV2;
    const res = await handler(event, { awsRequestId: 'cold-start-1' } as Context);
    expect(res.statusCode).toBe(200);
  });
});
