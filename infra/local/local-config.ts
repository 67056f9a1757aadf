import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '#shared/config/config.ts';
import { isLoopbackHost } from './local-request-guard.ts';

export interface LocalConfig {
  port: number;
  host: string;
  dataDir: string;
  /** Use this DynamoDB instead of starting DynamoDB Local (the SDK's standard variable). */
  dynamodbEndpoint?: string;
}

/** Reads and checks the local run's settings; a bad one stops the start with one sentence. */
export function loadLocalConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): LocalConfig {
  const rawPort = env.PORT ?? '3000';
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port < 1 || port > 65535) {
    throw new ConfigError(`PORT=${JSON.stringify(rawPort)} is not a port number: set PORT to a whole number from 1 to 65535.`);
  }
  const dataDir = resolve(cwd, env.HUB_DATA_DIR ?? '.data');
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
    const probe = join(dataDir, `.write-probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch {
    throw new ConfigError(`The data directory ${dataDir} cannot be written: point HUB_DATA_DIR at a writable directory.`);
  }
  const host = env.HUB_HOST ?? '127.0.0.1';
  if (env.HUB_AUTH_MODE === 'disabled' && !isLoopbackHost(host)) {
    throw new ConfigError(
      `HUB_AUTH_MODE=disabled makes every caller an admin, so it is served on a loopback address only and HUB_HOST=${JSON.stringify(host)} is not one: unset HUB_HOST (127.0.0.1), or set HUB_AUTH_MODE=required.`,
    );
  }
  return {
    port,
    host,
    dataDir,
    dynamodbEndpoint: env.AWS_ENDPOINT_URL_DYNAMODB,
  };
}
