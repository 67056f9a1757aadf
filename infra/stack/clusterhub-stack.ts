import { Arn, ArnFormat, CfnOutput, Duration, Stack, Token, type StackProps } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { CfnStage, HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { REMOVED_CLUSTER_PATTERN } from '#shared/workers/grant-sweeper.ts';
import { HubFunction } from '../constructs/hub-function.ts';
import { BackgroundWork } from './background-work.ts';
import type { ClusterhubData } from './clusterhub-data-stack.ts';
import { acknowledgeNag } from './nag.ts';
import { FunctionAlarms } from './operator-alarms.ts';
import { TABLE_ACCESS, tableStatements, type TableAccess } from './table-access.ts';
import { tagStack } from './tags.ts';

export interface ClusterhubStackProps extends StackProps {
  /** The stateful stack's resources (clusterhub-data-stack.ts): this stack only refers to them. */
  data: ClusterhubData;
  /**
   * API Gateway's throttle for the whole API (requests per second, and burst). The hub's own
   * limits count per caller in the table; this one stops floods that never reach a caller,
   * such as unauthenticated requests, before they cost a Lambda invocation.
   */
  throttle?: { ratePerSecond: number; burst: number };
}

const DEFAULT_THROTTLE = { ratePerSecond: 100, burst: 200 };

/**
 * The stateless part of the product on AWS: an HTTP API on the $default stage, one Lambda per
 * endpoint group, each allowed only what its group does, the background workers, their schedules
 * and event source mappings, and the functions' alarms. Everything here can be deleted and
 * deployed again from the commit: the data is the stateful stack's (ClusterhubDataStack).
 */
export class ClusterhubStack extends Stack {
  readonly api: HttpApi;

  constructor(scope: Construct, id: string, props: ClusterhubStackProps) {
    super(scope, id, props);
    const { data } = props;
    tagStack(this, data.stage);
    // cdk-nag findings that hold for every function of the stack.
    acknowledgeNag(
      this,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "Lambda's basic execution role allows only creating log streams and putting log events; everything else each function may do is its own inline statement.",
    );
    acknowledgeNag(
      this,
      'L1',
      'The functions run nodejs22.x, the Node the project bundles for (esbuild target node22) and tests on; a newer runtime is a change of its own with its own test run.',
    );
    const { secretPrefix, table, adminPassword } = data;
    const environment = { HUB_TABLE_NAME: table.tableName, HUB_SECRET_PREFIX: secretPrefix };
    const secretArn = (name: string) =>
      Arn.format({ service: 'secretsmanager', resource: 'secret', resourceName: `${secretPrefix}${name}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, this);
    // The two identity secrets (names as in shared/domain/identity/keyring.ts), each by its exact
    // name: Secrets Manager appends `-` and six characters, so `-??????` matches that secret and no other.
    // cdk-nag names a resource as the template has it: pseudo parameters, or the account and region of a stack given an env.
    const where = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    const secretPattern = (path: string) =>
      `Resource::arn:<AWS::Partition>:secretsmanager:${where(this.region, 'Region')}:${where(this.account, 'AccountId')}:secret:${secretPrefix}${path}`;
    /**
     * Lets a function use the per-cluster secrets under `<prefix><path>`: every function that touches cluster
     * credentials gets them here, so the one cdk-nag acknowledgement their wildcard needs is given in one place.
     */
    const grantPerClusterSecrets = (fn: HubFunction, path: 'clusters/*' | 'imports/*', actions: string[]) => {
      fn.addToRolePolicy(new PolicyStatement({ actions, resources: [secretArn(path)] }));
      acknowledgeNag(
        fn,
        `IAM5[${secretPattern(path)}]`,
        'Each registered cluster gets secrets of its own, named at run time under this prefix: the prefix is the narrowest resource that can name them.',
      );
    };
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
    const defaultStage = this.api.defaultStage!.node.defaultChild as CfnStage;
    defaultStage.defaultRouteSettings = {
      throttlingRateLimit: throttle.ratePerSecond,
      throttlingBurstLimit: throttle.burst,
    };
    // One line per request, for incidents and audits; no headers or query strings, which may carry credentials.
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.ONE_MONTH });
    defaultStage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        time: '$context.requestTimeEpoch',
        sourceIp: '$context.identity.sourceIp',
        method: '$context.httpMethod',
        path: '$context.path',
        status: '$context.status',
        latencyMs: '$context.responseLatency',
        integrationError: '$context.integrationErrorMessage',
      }),
    };
    acknowledgeNag(
      this.api,
      'APIG4',
      'The hub authorizes every request itself (the guard of each route: JWT or API key, role, cluster role, audit), with state an API Gateway authorizer does not have; /health and the docs are public by design.',
    );

    // identity: logins, tokens, 2FA, API keys, users; the first admin's generated password is the stateful stack's.
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
    grantPerClusterSecrets(clusters, 'clusters/*', [
      'secretsmanager:GetSecretValue',
      'secretsmanager:DescribeSecret',
      'secretsmanager:CreateSecret',
      'secretsmanager:PutSecretValue',
      'secretsmanager:DeleteSecret',
    ]);
    // It handles hostile kubeconfigs: it verifies tokens with the public keys and never sees the private keyring.
    clusters.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [verificationKeysArn] }));
    // An import serves one registration: the function deletes it once stored.
    grantPerClusterSecrets(clusters, 'imports/*', ['secretsmanager:GetSecretValue', 'secretsmanager:DeleteSecret']);
    this.route(clusters, 'clusters');

    // resources: objects of any kind on registered clusters. It reads cluster credentials (never writes one) and the public keys.
    const resources = new HubFunction(this, 'ResourcesFunction', {
      folder: 'resources',
      environment,
      description: 'clusterhub Kubernetes resources',
      timeout: Duration.seconds(29),
      talksToKubernetes: true,
    });
    grantTable(resources, table, TABLE_ACCESS.resources);
    grantPerClusterSecrets(resources, 'clusters/*', ['secretsmanager:GetSecretValue']);
    resources.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [verificationKeysArn] }));
    // More specific than the clusters function's /api/v1/clusters/{proxy+}, so API Gateway sends these here.
    this.route(
      resources,
      'clusters/{clusterId}/resources',
      'clusters/{clusterId}/crd-instances',
      'clusters/{clusterId}/apply',
      'clusters/{clusterId}/features',
      'clusters/{clusterId}/events',
    );

    // topology: graphs of clusters' objects, read live as the caller, and their pictures (the PNG rasteriser and its
    // font ship beside the bundle). It reads cluster credentials (never writes one) and the public keys.
    const topology = new HubFunction(this, 'TopologyFunction', {
      folder: 'topology',
      environment,
      description: 'clusterhub topology graphs',
      timeout: Duration.seconds(29),
      talksToKubernetes: true,
      drawsPictures: true,
    });
    grantTable(topology, table, TABLE_ACCESS.topology);
    grantPerClusterSecrets(topology, 'clusters/*', ['secretsmanager:GetSecretValue']);
    topology.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [verificationKeysArn] }));
    // More specific than the clusters function's /api/v1/clusters/{proxy+}, so API Gateway sends these here.
    this.route(topology, 'clusters/{clusterId}/topology');

    // environments: environments and app instances in the table; compare reads the instances' clusters with their
    // credentials (never writes one), as the resources function does.
    const environments = new HubFunction(this, 'EnvironmentsFunction', {
      folder: 'environments',
      environment,
      description: 'clusterhub environments, app instances, compare',
      timeout: Duration.seconds(29),
      talksToKubernetes: true,
    });
    grantTable(environments, table, TABLE_ACCESS.environments);
    grantPerClusterSecrets(environments, 'clusters/*', ['secretsmanager:GetSecretValue']);
    environments.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [verificationKeysArn] }));
    this.route(environments, 'environments', 'app-instances', 'services', 'configmaps', 'secrets', 'sync-operations', 'promotions');

    // The grant sweeper: the table's stream, filtered to removed cluster records, removes the grants on
    // those clusters, which the clusters function may not write. Records that keep failing land in a queue.
    const grantSweeper = new HubFunction(this, 'GrantSweeperFunction', {
      folder: 'grant-sweeper',
      environment,
      description: 'clusterhub: removes the grants on deleted clusters',
    });
    grantTable(grantSweeper, table, TABLE_ACCESS.grantSweeper);
    grantSweeper.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 25,
        retryAttempts: 5,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(data.sweeperDeadLetters),
        filters: [FilterCriteria.filter(REMOVED_CLUSTER_PATTERN)],
      }),
    );

    // Background work: per job a queue, dead letters, a worker and a schedule for the planner (the operator alarms below watch them).
    const background = new BackgroundWork(this, 'BackgroundWork', {
      queues: data.jobQueues,
      environment,
      grantTable: (fn, access) => grantTable(fn, table, access),
      readClusterSecrets: (fn) => grantPerClusterSecrets(fn, 'clusters/*', ['secretsmanager:GetSecretValue']),
    });

    // operations: the progress of long work, and the job queues behind it (admin: pause, resume, redrive, drop).
    const operations = new HubFunction(this, 'OperationsFunction', { folder: 'operations', environment, description: 'clusterhub operations and queues' });
    grantTable(operations, table, TABLE_ACCESS.operations);
    operations.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [verificationKeysArn] }));
    background.grantOperations(operations, { administer: true });
    this.route(operations, 'operations', 'queues');

    // Inventory snapshots (the stateful stack's bucket).
    const { snapshots, snapshotsArn } = data;
    // Only the object calls shared/adapters/s3/ makes, on the snapshots' prefix (snapshotBlobKey); nothing deletes a
    // blob (the lifecycle rule expires it), so no function may.
    const grantSnapshots = (fn: HubFunction, actions: string[]) => {
      fn.addEnvironment('HUB_INVENTORY_BUCKET', snapshots.bucketName);
      fn.addToRolePolicy(new PolicyStatement({ actions, resources: [`${snapshotsArn}/inventory/*`] }));
      acknowledgeNag(
        fn,
        `IAM5[Resource::${data.snapshotsArnExport}/inventory/*]`,
        'Snapshot blobs are named at run time by cluster and time under inventory/: the prefix is the narrowest resource that can name them.',
      );
    };
    // ListBucket makes S3 answer a blob that is gone (expired) with NoSuchKey rather than AccessDenied: the worker then
    // takes a fresh snapshot instead of failing on it for ever, and the views answer 404 SNAPSHOT_EXPIRED instead of 500.
    // No s3:prefix condition: S3's check behind a GetObject of a missing key carries no prefix, so a condition on it would
    // fail that check and bring AccessDenied back. The bucket holds nothing but snapshots (its access logs have their own).
    const listSnapshots = (fn: HubFunction) => fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [snapshotsArn] }));
    const inventoryWorker = background.jobs.find((job) => job.kind === 'inventory')!.worker;
    grantSnapshots(inventoryWorker, ['s3:PutObject', 's3:GetObject']);
    listSnapshots(inventoryWorker);

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
        grantSnapshots(fn, ['s3:GetObject']);
        listSnapshots(fn);
      }
      // Paths under /clusters/{id}/ that another group serves: API Gateway takes the most specific route.
      const integration = new HttpLambdaIntegration(`${id}Integration`, fn);
      for (const path of paths) this.api.addRoutes({ path: `/api/v1/${path}`, methods: [HttpMethod.ANY], integration });
    }

    // console: search (live, and the fleet's from the snapshots) and the kubectl-style shell. It reads and changes
    // objects on clusters as the resources function does, and reads snapshots (never writes one).
    const consoleFn = new HubFunction(this, 'ConsoleFunction', {
      folder: 'console',
      environment,
      description: 'clusterhub search and shell',
      timeout: Duration.seconds(29),
      talksToKubernetes: true,
    });
    grantTable(consoleFn, table, TABLE_ACCESS.console);
    grantPerClusterSecrets(consoleFn, 'clusters/*', ['secretsmanager:GetSecretValue']);
    consoleFn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [verificationKeysArn] }));
    grantSnapshots(consoleFn, ['s3:GetObject']);
    // topology's source=inventory reads the latest snapshot (never writes one); ListBucket so an expired blob is a 404.
    grantSnapshots(topology, ['s3:GetObject']);
    listSnapshots(topology);
    this.route(consoleFn, 'search', 'clusters/{clusterId}/search', 'clusters/{clusterId}/shell', 'clusters/{clusterId}/kcli');

    // Last, so that it finds every function above.
    new FunctionAlarms(this, 'OperatorAlarms', { topic: data.alarmTopic, api: this.api });

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'Base URL; the API is under /api/v1' });
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
