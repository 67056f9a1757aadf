import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '#shared/config/config.ts';

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
  return {
    port,
    host: env.HUB_HOST ?? '127.0.0.1',
    dataDir,
    dynamodbEndpoint: env.AWS_ENDPOINT_URL_DYNAMODB,
  };
}
