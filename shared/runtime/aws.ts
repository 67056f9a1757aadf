import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Table } from '#shared/adapters/dynamodb/table.ts';
import { s3BlobStoreOnFirstUse } from '#shared/adapters/s3/s3-blob-store-on-first-use.ts';
import { SecretsManagerSecretStore } from '#shared/adapters/secrets-manager/secrets-manager-secret-store.ts';
import { loadConfig } from '#shared/config/config.ts';
import { kubeconfigPolicyFromEnv } from '#shared/domain/clusters/kubeconfig-policy.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { systemClock } from '#shared/ports/clock.ts';
import type { BaseDependencies, Dependencies } from './dependencies.ts';
import { wireDependencies } from './wiring.ts';

/**
 * The production wiring for a Lambda: AWS SDK clients configured by the SDK's
 * own environment (region, credentials, AWS_ENDPOINT_URL_* for emulators). A function that uses the
 * job queues passes them (`awsJobQueues`, aws-job-queues.ts), so the others bundle no SQS or Lambda client.
 */
export function awsDependencies(env: NodeJS.ProcessEnv = process.env, extra: Pick<BaseDependencies, 'jobQueues'> = {}): Dependencies {
  const config = loadConfig(env);
  return wireDependencies({
    config,
    logger: createLogger({ service: 'clusterhub', function: env.AWS_LAMBDA_FUNCTION_NAME }),
    clock: systemClock,
    table: () => new Table(new DynamoDBClient({}), config.tableName),
    secrets: () => new SecretsManagerSecretStore(new SecretsManagerClient({}), env.HUB_SECRETS_KMS_KEY_ID),
    // Inventory snapshots; the stack sets the bucket for the functions that read or write them.
    blobs: env.HUB_INVENTORY_BUCKET ? () => s3BlobStoreOnFirstUse(env.HUB_INVENTORY_BUCKET!) : undefined,
    kubeconfigPolicy: () => kubeconfigPolicyFromEnv(env),
    // The stack's grant sweeper removes the grants on a deleted cluster; the clusters function may not write them.
    grantsSweptByStream: true,
    ...extra,
  });
}
