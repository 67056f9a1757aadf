import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, PurgeQueueCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SecretsManagerSecretStore } from '#shared/adapters/secrets-manager/secrets-manager-secret-store.ts';
import { SqsQueue } from '#shared/adapters/sqs/sqs-queue.ts';
import { JOB_KINDS, JOBS } from '#shared/workers/jobs.ts';
import { localDynamoDbClient } from '#infra/local/dynamodb-local.ts';
import { reportMissingBackend } from '#test/contracts/backend.ts';
import { queueContract, type QueueAdapter } from '#test/contracts/queue-contract.ts';
import { secretStoreContract } from '#test/contracts/secret-store-contract.ts';
import { tableContract } from '#test/shared/adapters/dynamodb/table-contract.ts';
import { cdklocalEnv, deleteStack, deployDataStack, ensureBootstrapped } from './cdklocal.ts';

/**
 * The stateful stack as CDK declares it, deployed to the test bed's LocalStack by `cdklocal` (what
 * the README's Deploying section says), and the contract suites of the table, the queues and the
 * secret store run against what CloudFormation made: the table the stack declares (not one a test
 * made), the job queues with their dead letters, and secrets under the stack's prefix. Each run
 * deploys a stack of its own name (the LocalStack is shared) and deletes it afterwards.
 */

const localstack = inject('testbed')?.awsEmulators?.find((emulator) => emulator.name === 'localstack');
const DEPLOY_TIMEOUT_MS = 8 * 60_000;

let work: string;
let stackName: string;
let outputs: Record<string, string> = {};
let deployed = false;

if (
  !reportMissingBackend(
    'the cdklocal deploy of the stateful stack',
    localstack ? undefined : 'the test bed runs no LocalStack (CLUSTERHUB_TEST_AWS names moto only, or AWS_ENDPOINT_URL is no LocalStack)',
  )
) {
  const { endpoint, region } = localstack!;
  const client = { endpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'clusterhub-cdklocal-'));
    stackName = `ClusterhubDeployTest-${randomUUID().slice(0, 8)}`;
    const env = cdklocalEnv(endpoint, region, join(work, 'home'));
    const started = performance.now();
    const bootstrapped = await ensureBootstrapped(endpoint, region, env);
    const afterBootstrap = performance.now();
    outputs = await deployDataStack(stackName, env, work);
    deployed = true;
    // What the deploy costs the run, for whoever keeps `npm test` short (no assertion: timings vary with the load).
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    process.stderr.write(
      `cdklocal: ${bootstrapped ? `bootstrap ${seconds(afterBootstrap - started)} s, ` : 'already bootstrapped, '}deploy of ${stackName} ${seconds(performance.now() - afterBootstrap)} s\n`,
    );
  }, DEPLOY_TIMEOUT_MS);

  afterAll(async () => {
    try {
      if (deployed) await deleteStack(endpoint, region, stackName);
    } finally {
      if (work) rmSync(work, { recursive: true, force: true });
    }
  }, 180_000);

  describe('the stateful stack, deployed by cdklocal', () => {
    it('names its table, queues, secret, bucket and alarm topic in its outputs', () => {
      expect(outputs.TableName).toBeTruthy();
      expect(outputs.SecretPrefix).toBe(`${stackName}/`);
      expect(outputs.AdminPasswordSecret).toBe(`${stackName}/bootstrap/admin-password`);
      expect(outputs.AlarmTopic).toMatch(/^arn:aws:sns:/);
      expect(outputs.SnapshotsBucket).toBeTruthy();
      for (const name of [
        'GrantSweeperDeadLetters',
        ...JOB_KINDS.map((kind) => `${pascal(kind)}Queue`),
        ...JOB_KINDS.map((kind) => `${pascal(kind)}DeadLetters`),
      ]) {
        expect(outputs[`${name}Url`], name).toMatch(/^https?:\/\//);
      }
    });

    it('moves a job’s message to its dead letters after the job’s receives, as the stack declares', async () => {
      const sqs = new SQSClient(client);
      try {
        for (const kind of JOB_KINDS) {
          const { Attributes } = await sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: outputs[`${pascal(kind)}QueueUrl`], AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'] }),
          );
          const dlq = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: outputs[`${pascal(kind)}DeadLettersUrl`], AttributeNames: ['QueueArn'] }));
          expect(JSON.parse(Attributes!.RedrivePolicy!)).toMatchObject({
            deadLetterTargetArn: dlq.Attributes!.QueueArn,
            maxReceiveCount: JOBS[kind].maxReceives,
          });
          expect(Number(Attributes!.VisibilityTimeout)).toBe(JOBS[kind].timeoutSeconds * 6);
        }
      } finally {
        sqs.destroy();
      }
    });

    it('generates the first admin password under the prefix, which the hub’s store reads and rotates by name', async () => {
      const secrets = new SecretsManagerClient(client);
      try {
        const store = new SecretsManagerSecretStore(secrets);
        expect(await store.get(outputs.AdminPasswordSecret!)).toMatch(/^[A-Za-z0-9]{24}$/);
        const { ARN } = await secrets.send(new DescribeSecretCommand({ SecretId: outputs.AdminPasswordSecret }));
        // A rotation writes by name (POST /api/v1/auth/bootstrap-password/rotate): the stack's secret, not a second one.
        const rotated = `rotated-${randomUUID()}`;
        expect(await store.put(outputs.AdminPasswordSecret!, rotated)).toBe(ARN);
        expect(await store.get(ARN!)).toBe(rotated);
      } finally {
        secrets.destroy();
      }
    });
  });

  describe('Table contract: the table the stack deployed', () => {
    tableContract(async () => ({ client: localDynamoDbClient(endpoint), tableName: outputs.TableName! }));
  });

  describe('Queue contract: SqsQueue on the job queues the stack deployed', () => {
    queueContract(deployedJobQueues(client));
  });

  describe('SecretStore contract: SecretsManagerSecretStore under the stack’s secret prefix', () => {
    secretStoreContract({
      name: 'SecretsManagerSecretStore under the deployed prefix',
      get namePrefix() {
        return outputs.SecretPrefix;
      },
      refPattern: /^arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/,
      async make() {
        const secrets = new SecretsManagerClient(client);
        const deadClient = new SecretsManagerClient({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
        return {
          store: new SecretsManagerSecretStore(secrets),
          broken: new SecretsManagerSecretStore(deadClient),
          async cleanup() {
            secrets.destroy();
            deadClient.destroy();
          },
        };
      },
    });
  });
}

function pascal(kind: string): string {
  return kind.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

/**
 * The deployed job queues, each test's pair in turn, emptied first (LocalStack purges at once, messages
 * in flight included): the contract wants an empty queue per test, and there are only as many as jobs.
 * They dead-letter after the job's receives, which the contract then counts.
 */
function deployedJobQueues(clientConfig: SQSClientConfig): QueueAdapter {
  const maxReceives = JOBS[JOB_KINDS[0]!].maxReceives;
  const kinds = JOB_KINDS.filter((kind) => JOBS[kind].maxReceives === maxReceives);
  let sqs: SQSClient | undefined;
  let turn = 0;
  const urls = (kind: string) => [outputs[`${pascal(kind)}QueueUrl`]!, outputs[`${pascal(kind)}DeadLettersUrl`]!];
  const purge = (url: string) => sqs!.send(new PurgeQueueCommand({ QueueUrl: url }));
  return {
    name: 'SqsQueue on the deployed job queues',
    maxReceives,
    async make() {
      sqs ??= new SQSClient(clientConfig);
      const [queueUrl, deadLettersUrl] = urls(kinds[turn++ % kinds.length]!);
      await Promise.all([purge(queueUrl!), purge(deadLettersUrl!)]);
      return { queue: new SqsQueue(sqs, queueUrl!), deadLetter: new SqsQueue(sqs, deadLettersUrl!) };
    },
    async cleanup() {
      sqs?.destroy();
    },
  };
}
