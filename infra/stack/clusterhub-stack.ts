import { Arn, ArnFormat, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { CfnStage, HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { REMOVED_CLUSTER_PATTERN } from '#shared/workers/grant-sweeper.ts';
import { HubFunction } from '../constructs/hub-function.ts';
import { BackgroundWork } from './background-work.ts';
import { createDataTable } from './data-table.ts';
import { TABLE_ACCESS, tableStatements, type TableAccess } from './table-access.ts';

export interface ClusterhubStackProps extends StackProps {
  /** Keep the table from being deleted with the stack (default true). */
  deletionProtection?: boolean;
  /** Prefix of every Secrets Manager secret the hub owns. */
  secretPrefix?: string;
  /**
   * API Gateway's throttle for the whole API (requests per second, and burst). The hub's own
   * limits count per caller in the table; this one stops floods that never reach a caller,
   * such as unauthenticated requests, before they cost a Lambda invocation.
   */
  throttle?: { ratePerSecond: number; burst: number };
}

const DEFAULT_THROTTLE = { ratePerSecond: 100, burst: 200 };

/**
 * The whole product on AWS: one table, one HTTP API on the $default stage,
 * and one Lambda per endpoint group, each allowed only what its group does.
 */
export class ClusterhubStack extends Stack {
  readonly api: HttpApi;

  constructor(scope: Construct, id: string, props: ClusterhubStackProps = {}) {
    super(scope, id, props);
    const secretPrefix = props.secretPrefix ?? 'clusterhub/';
    const table = createDataTable(this, { deletionProtection: props.deletionProtection ?? true });
    const environment = { HUB_TABLE_NAME: table.tableName, HUB_SECRET_PREFIX: secretPrefix };
    const secretArn = (name: string) =>
      Arn.format({ service: 'secretsmanager', resource: 'secret', resourceName: `${secretPrefix}${name}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, this);
    // The two identity secrets (names as in shared/domain/identity/keyring.ts), each by its exact
    // name: Secrets Manager appends `-` and six characters, so `-??????` matches that secret and no other.
    const keyringArn = secretArn('identity/keyring-??????');
    const verificationKeysArn = secretArn('identity/verification-keys-??????');

    // system: health, metrics, capabilities, docs, and (as the $default route) every path no other group
    // claims, so unknown routes still answer a problem document and /metrics needs no route of its own.
    // It reads only: /metrics counts clusters and users by querying their list partitions.
    const system = new HubFunction(this, 'SystemFunction', { folder: 'system', environment, servesMetrics: true, description: 'clusterhub system endpoints' });
    grantTable(system, table, TABLE_ACCESS.system);
    // A named stage would prefix rawPath and every route would 404: only the $default stage.
    this.api = new HttpApi(this, 'HttpApi', {
      description: 'clusterhub API',
      createDefaultStage: true,
      defaultIntegration: new HttpLambdaIntegration('SystemIntegration', system),
    });
    const throttle = props.throttle ?? DEFAULT_THROTTLE;
    (this.api.defaultStage!.node.defaultChild as CfnStage).defaultRouteSettings = {
      throttlingRateLimit: throttle.ratePerSecond,
      throttlingBurstLimit: throttle.burst,
    };

    // identity: logins, tokens, 2FA, API keys, users. The first admin's password is generated here, never fixed.
    const adminPassword = new Secret(this, 'BootstrapAdminPassword', {
      secretName: `${secretPrefix}bootstrap/admin-password`,
      description: 'Password of the first clusterhub admin (user "admin"); deleted by the hub when that admin changes it.',
      generateSecretString: { passwordLength: 24, excludePunctuation: true },
    });
    const identity = new HubFunction(this, 'IdentityFunction', {
      folder: 'identity',
      environment: { ...environment, HUB_BOOTSTRAP_SECRET_ARN: adminPassword.secretArn },
      description: 'clusterhub identity endpoints',
    });
    grantTable(identity, table, TABLE_ACCESS.identity);
    adminPassword.grantRead(identity);
    // The first change of the admin's password deletes the secret; a rotation writes a new one (by
    // name, which tries CreateSecret first). Only this secret: `-??????` is its random suffix.
    identity.addToRolePolicy(
      new PolicyStatement({
        actions: ['secretsmanager:PutSecretValue', 'secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret'],
        resources: [secretArn('bootstrap/admin-password-??????')],
      }),
    );
    // Only identity holds the private keyring (signing and sealing keys); it publishes the public keys.
    identity.addToRolePolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:CreateSecret'],
        resources: [keyringArn, verificationKeysArn],
      }),
    );
    this.route(identity, 'auth', 'users');

    // audit: reading the trail.
    const audit = new HubFunction(this, 'AuditFunction', { folder: 'audit', environment, description: 'clusterhub audit log' });
    grantTable(audit, table, TABLE_ACCESS.audit);
    audit.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [verificationKeysArn] }));
    this.route(audit, 'audit-log');

    // clusters: the registry and live views; kubeconfigs only under <prefix>clusters/, imports read (and deleted once used) from <prefix>imports/.
    const clusters = new HubFunction(this, 'ClustersFunction', {
      folder: 'clusters',
      environment,
      description: 'clusterhub cluster registry',
      timeout: Duration.seconds(29),
      talksToKubernetes: true,
    });
    grantTable(clusters, table, TABLE_ACCESS.clusters);
    clusters.addToRolePolicy(
      new PolicyStatement({
        actions: [
          'secretsmanager:GetSecretValue',
          'secretsmanager:DescribeSecret',
          'secretsmanager:CreateSecret',
          'secretsmanager:PutSecretValue',
          'secretsmanager:DeleteSecret',
        ],
        resources: [secretArn('clusters/*')],
      }),
    );
    // It handles hostile kubeconfigs: it verifies tokens with the public keys and never sees the private keyring.
    clusters.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [verificationKeysArn] }));
    // An import serves one registration: the function deletes it once stored.
    clusters.addToRolePolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DeleteSecret'], resources: [secretArn('imports/*')] }),
    );
    this.route(clusters, 'clusters');

    // The grant sweeper: the table's stream, filtered to removed cluster records, removes the grants on
    // those clusters, which the clusters function may not write. Records that keep failing land in a queue.
    const grantSweeper = new HubFunction(this, 'GrantSweeperFunction', {
      folder: 'grant-sweeper',
      environment,
      description: 'clusterhub: removes the grants on deleted clusters',
    });
    grantTable(grantSweeper, table, TABLE_ACCESS.grantSweeper);
    const sweeperDeadLetters = new Queue(this, 'GrantSweeperDeadLetters', { retentionPeriod: Duration.days(14), enforceSSL: true });
    grantSweeper.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 25,
        retryAttempts: 5,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(sweeperDeadLetters),
        filters: [FilterCriteria.filter(REMOVED_CLUSTER_PATTERN)],
      }),
    );

    // Background work: per job a queue, dead letters, a worker, a schedule for the planner, and alarms.
    const background = new BackgroundWork(this, 'BackgroundWork', {
      table,
      environment,
      grantTable: (fn, access) => grantTable(fn, table, access),
      secretArn,
    });

    // operations: the progress of long work, and the job queues behind it (admin: pause, resume, redrive, drop).
    const operations = new HubFunction(this, 'OperationsFunction', { folder: 'operations', environment, description: 'clusterhub operations and queues' });
    grantTable(operations, table, TABLE_ACCESS.operations);
    operations.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [verificationKeysArn] }));
    background.grantOperations(operations, { administer: true });
    this.route(operations, 'operations', 'queues');

    // Inventory snapshots: gzip blobs too large for an item. A blob expires a month after it is written; the worker
    // writes a cluster's latest again every week, so the latest never does (docs/data-model.md).
    const snapshots = new Bucket(this, 'InventorySnapshots', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ prefix: 'inventory/', expiration: Duration.days(31) }],
    });
    const inventoryWorker = background.jobs.find((job) => job.kind === 'inventory')!.worker;
    inventoryWorker.addEnvironment('HUB_INVENTORY_BUCKET', snapshots.bucketName);
    snapshots.grantReadWrite(inventoryWorker, 'inventory/*');

    // health and inventory: views of what the workers stored, and sweeps or snapshots started as operations.
    for (const [group, id, paths] of [
      [
        'health',
        'HealthFunction',
        ['clusters/{clusterId}/health', 'clusters/{clusterId}/health/{proxy+}', 'clusters/{clusterId}/sweep', 'fleet/health', 'fleet/expiring'],
      ],
      [
        'inventory',
        'InventoryFunction',
        ['clusters/{clusterId}/inventory', 'clusters/{clusterId}/inventory/{proxy+}', 'clusters/{clusterId}/changes', 'fleet/images'],
      ],
    ] as const) {
      const fn = new HubFunction(this, id, { folder: group, environment, description: `clusterhub ${group} views` });
      grantTable(fn, table, TABLE_ACCESS[group]);
      fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [verificationKeysArn] }));
      background.grantOperations(fn);
      if (group === 'inventory') {
        fn.addEnvironment('HUB_INVENTORY_BUCKET', snapshots.bucketName);
        snapshots.grantRead(fn, 'inventory/*');
      }
      // Paths under /clusters/{id}/ that another group serves: API Gateway takes the most specific route.
      const integration = new HttpLambdaIntegration(`${id}Integration`, fn);
      for (const path of paths) this.api.addRoutes({ path: `/api/v1/${path}`, methods: [HttpMethod.ANY], integration });
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'Base URL; the API is under /api/v1' });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'AdminPasswordSecret', { value: adminPassword.secretName, description: 'Where the first admin password is' });
  }

  /** Sends /api/v1/<prefix> and everything below it to a group's function. */
  private route(fn: HubFunction, ...prefixes: string[]) {
    const integration = new HttpLambdaIntegration(`${fn.node.id}Integration`, fn);
    for (const prefix of prefixes) {
      for (const path of [`/api/v1/${prefix}`, `/api/v1/${prefix}/{proxy+}`]) {
        this.api.addRoutes({ path, methods: [HttpMethod.ANY], integration });
      }
    }
  }
}

/** Grants a function the table items of its own partitions only (infra/stack/table-access.ts says which and why). */
function grantTable(fn: HubFunction, table: TableV2, access: TableAccess) {
  for (const statement of tableStatements(access, table.tableArn, (index) => `${table.tableArn}/index/${index}`)) {
    fn.addToRolePolicy(PolicyStatement.fromJson(statement));
  }
}
