import { serve } from '@hono/node-server';
import { endpointGroups } from '#shared/api/catalog.ts';
import { ConfigError } from '#shared/config/config.ts';
import { InputError } from '#shared/domain/errors.ts';
import { API_BASE, createApi } from '#shared/http/app.ts';
import { loadLocalConfig } from './local-config.ts';
import { startLocalBackground } from './local-background.ts';
import { localRequestGuard } from './local-request-guard.ts';
import { startLocalRuntime } from './local-runtime.ts';

/** `npm start`: the whole product on this machine, with no AWS account. */
async function main() {
  const local = loadLocalConfig(process.env);
  const runtime = await startLocalRuntime(local);
  const { logger } = runtime.deps;
  const { admin } = runtime;
  if (admin.created && admin.generated) {
    console.log(`Created user "admin" with the generated password: ${admin.password}\n(shown this once; change it with POST /api/v1/auth/change-password)`);
  } else if (admin.created) {
    console.log('Created user "admin" with the password in HUB_ADMIN_PASSWORD.');
  }
  if (runtime.deps.config.authMode === 'disabled') {
    logger.warn('AUTHENTICATION IS DISABLED: every request acts as admin. Never expose this server.', { auth_mode: 'disabled' });
  }
  // Only this machine's own clients, not a web page the developer happens to have open (local-request-guard.ts).
  const app = createApi(endpointGroups(runtime.deps), logger, { guards: [localRequestGuard({ host: local.host, port: local.port })] });

  // The schedules, planner and workers of the stack, in this process on the in-process queues.
  const background = startLocalBackground(runtime.deps, process.env);

  const server = serve({ fetch: app.fetch, hostname: local.host, port: local.port });
  server.on('error', async (err: NodeJS.ErrnoException) => {
    await runtime.stop();
    fail(
      err.code === 'EADDRINUSE'
        ? `Port ${local.port} is already in use: stop what listens there or set PORT to another port.`
        : `The server could not listen on ${local.host}:${local.port}: ${err.message}.`,
    );
  });
  server.on('listening', () => {
    const base = `http://${local.host}:${local.port}`;
    console.log(`clusterhub is running\n  API:  ${base}${API_BASE}\n  Docs: ${base}${API_BASE}/docs\n  Data: ${local.dataDir}\nPress Ctrl-C to stop.`);
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    server.close();
    await background.stop();
    await runtime.stop();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));
}

function fail(sentence: string): never {
  console.error(`clusterhub: ${sentence}`);
  process.exit(1);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) fail(err.message);
  if (err instanceof InputError) fail(`HUB_ADMIN_PASSWORD is not acceptable: ${err.message}`);
  console.error('clusterhub: the start failed:', err);
  process.exit(1);
});
