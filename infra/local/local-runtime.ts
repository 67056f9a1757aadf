import { join } from 'node:path';
import { ensureTable } from '#shared/adapters/dynamodb/create-table.ts';
import { Table } from '#shared/adapters/dynamodb/table.ts';
import { FileBlobStore } from '#shared/adapters/local/file-blob-store.ts';
import { FileSecretStore } from '#shared/adapters/local/file-secret-store.ts';
import { s3BlobStoreOnFirstUse } from '#shared/adapters/s3/s3-blob-store-on-first-use.ts';
import { loadConfig, type Config } from '#shared/config/config.ts';
import { createLogger, type Logger } from '#shared/observability/logger.ts';
import { systemClock, type Clock } from '#shared/ports/clock.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { wireDependencies } from '#shared/runtime/wiring.ts';
import { kubeconfigPolicyFromEnv } from '#shared/domain/clusters/kubeconfig-policy.ts';
import { ALLOWED_NETWORKS_VARIABLE } from '#shared/domain/clusters/network-policy.ts';
import { readLocalKubeconfig } from './local-kubeconfig.ts';
import { bootstrapAdmin } from '#shared/domain/identity/bootstrap.ts';
import { dynamoDbDataDir, localDynamoDbClient, startDynamoDbLocal } from './dynamodb-local.ts';
import type { JobQueue } from '#shared/workers/background.ts';
import { inProcessJobQueues } from './local-background.ts';

const LOOPBACK_NETWORKS = '127.0.0.0/8,::1/128';

export interface LocalRuntime {
  deps: Dependencies;
  /** Whether this start created the first admin, and with which password. */
  admin: Awaited<ReturnType<typeof bootstrapAdmin>>;
  /** Stops what the runtime started (DynamoDB Local), waiting for it to exit. */
  stop(): Promise<void>;
}

/**
 * The embedded default: DynamoDB Local with data on disk (or the DynamoDB the
 * SDK variables point at), secrets in files beside it, everything in-process.
 */
export async function startLocalRuntime(options: {
  dataDir: string;
  dynamodbEndpoint?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** The system clock unless given (a test moves one instance's time past a cache window). */
  clock?: Clock;
  /** The job queues, in process unless given (a test runs them on moto's SQS). */
  jobQueues?: () => JobQueue[];
}): Promise<LocalRuntime> {
  // Fail on bad configuration before anything starts.
  const env = options.env ?? process.env;
  const config: Config = loadConfig({ HUB_ENVIRONMENT: 'local', ...env });
  const logger = options.logger ?? createLogger({ service: 'clusterhub' });
  const dynamodb = options.dynamodbEndpoint ? undefined : await startDynamoDbLocal({ dataDir: dynamoDbDataDir(options.dataDir) });
  const endpoint = options.dynamodbEndpoint ?? dynamodb!.endpoint;
  const client = localDynamoDbClient(endpoint);
  try {
    const outcome = await ensureTable(client, config.tableName, { logger });
    const said = { created: 'table created', updated: 'table brought up to the current definition', exists: 'table found' } as const;
    logger.info(said[outcome], { table: config.tableName, endpoint });
  } catch (err) {
    await dynamodb?.stop();
    throw err;
  }
  const table = new Table(client, config.tableName);
  const secrets = new FileSecretStore(join(options.dataDir, 'secrets'));
  const deps = wireDependencies({
    config,
    logger,
    clock: options.clock ?? systemClock,
    table: () => table,
    secrets: () => secrets,
    // Snapshots as files beside the data, unless HUB_INVENTORY_BUCKET names a bucket (moto or LocalStack in tests).
    blobs: () => (env.HUB_INVENTORY_BUCKET ? s3BlobStoreOnFirstUse(env.HUB_INVENTORY_BUCKET) : new FileBlobStore(join(options.dataDir, 'blobs'))),
    // The local run may reach clusters on this machine (kind, the test bed) unless the operator says otherwise.
    kubeconfigPolicy: () => kubeconfigPolicyFromEnv({ [ALLOWED_NETWORKS_VARIABLE]: LOOPBACK_NETWORKS, ...env }),
    localKubeconfig: () => readLocalKubeconfig(env),
    jobQueues: options.jobQueues ?? inProcessJobQueues,
  });
  let admin: LocalRuntime['admin'];
  try {
    admin = await bootstrapAdmin(deps.identity, async () => env.HUB_ADMIN_PASSWORD);
  } catch (err) {
    client.destroy();
    await dynamodb?.stop();
    throw err;
  }
  return {
    deps,
    admin,
    stop: async () => {
      client.destroy();
      await dynamodb?.stop();
    },
  };
}
