import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { JobQueues, type JobQueue } from './background-work.ts';
import { createDataTable } from './data-table.ts';
import { acknowledgeNag } from './nag.ts';
import { DeadLetterAlarms } from './operator-alarms.ts';
import { tagStack, type Stage } from './tags.ts';

export interface ClusterhubDataStackProps extends StackProps {
  /** Keep the table from being deleted with the stack (default true). */
  deletionProtection?: boolean;
  /** Prefix of every Secrets Manager secret the hub owns. */
  secretPrefix?: string;
  /**
   * `prod` keeps the data whatever else is asked: the table's deletion protection and point-in-time
   * recovery are on, and asking for no deletion protection is refused. Tagged on every resource.
   */
  stage?: Stage;
  /** Subscribed by email to the operator alarms' topic at deploy time. */
  alarmEmail?: string;
}

/** What the stateful stack holds, as the stateless stack (clusterhub-stack.ts) takes it. */
export interface ClusterhubData {
  readonly stage: Stage;
  readonly secretPrefix: string;
  readonly table: TableV2;
  /** The first admin's generated password (`<prefix>bootstrap/admin-password`). */
  readonly adminPassword: Secret;
  /** Per job of shared/workers/jobs.ts its queue and dead letters. */
  readonly jobQueues: JobQueue[];
  /** Where the grant sweeper's stream records go when they keep failing. */
  readonly sweeperDeadLetters: Queue;
  /** Inventory snapshot blobs (gzip, too large for an item). */
  readonly snapshots: Bucket;
  /**
   * The snapshots bucket's ARN as an import of an export named `<stack>-InventorySnapshotsArn`. The IAM
   * statements on it use this rather than `snapshots.bucketArn`, whose export CDK names only at synth:
   * cdk-nag's finding on the `inventory/*` wildcard names the import, and its acknowledgement must be written before.
   */
  readonly snapshotsArn: string;
  /** The name of that export. */
  readonly snapshotsArnExport: string;
  /** The operator alarms' topic: the stateless stack's function and API alarms publish here too. */
  readonly alarmTopic: Topic;
}

/**
 * The part of clusterhub that holds data, deployed apart from the code (clusterhub-stack.ts) so that
 * a deploy, rollback or deletion of the functions never touches it: the table, the bootstrap secret
 * (and the prefix of the secrets the functions write at run time), the job queues and dead-letter
 * queues, the snapshots bucket with its access-log bucket, the alarm topic and the dead-letter alarms.
 * The construct ids are those of the single stack it was split from, so that a deployment of that
 * stack under the same name keeps every one of these resources in place (docs/operations.md).
 */
export class ClusterhubDataStack extends Stack implements ClusterhubData {
  readonly stage: Stage;
  readonly secretPrefix: string;
  readonly table: TableV2;
  readonly adminPassword: Secret;
  readonly jobQueues: JobQueue[];
  readonly sweeperDeadLetters: Queue;
  readonly snapshots: Bucket;
  readonly snapshotsArn: string;
  readonly snapshotsArnExport: string;
  readonly alarmTopic: Topic;

  constructor(scope: Construct, id: string, props: ClusterhubDataStackProps = {}) {
    super(scope, id, props);
    // S3's log delivery into the access-log bucket below is let in by a bucket policy, not a log-delivery ACL (AWS's
    // advice; the bucket then takes no ACL at all). A construct's context must be set before it has children.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.stage = props.stage ?? 'dev';
    if (this.stage === 'prod' && props.deletionProtection === false) {
      throw new Error('A prod stack keeps its table: deletionProtection=false is for throwaway (dev) stacks only.');
    }
    tagStack(this, this.stage);
    this.secretPrefix = props.secretPrefix ?? 'clusterhub/';
    this.table = createDataTable(this, { deletionProtection: this.stage === 'prod' || (props.deletionProtection ?? true) });

    // The first admin's password is generated here, never fixed.
    this.adminPassword = new Secret(this, 'BootstrapAdminPassword', {
      secretName: `${this.secretPrefix}bootstrap/admin-password`,
      description: 'Password of the first clusterhub admin (user "admin"); deleted by the hub when that admin changes it.',
      generateSecretString: { passwordLength: 24, excludePunctuation: true },
    });
    acknowledgeNag(
      this.adminPassword,
      'SMG4',
      'A one-time bootstrap password, rotated on demand (POST /api/v1/auth/bootstrap-password/rotate) and deleted by the hub once the first admin sets a password of their own: a schedule would rotate a password nobody should be using.',
    );

    this.sweeperDeadLetters = new Queue(this, 'GrantSweeperDeadLetters', { retentionPeriod: Duration.days(14), enforceSSL: true });
    this.jobQueues = new JobQueues(this, 'BackgroundWork').queues;

    // Inventory snapshots: gzip blobs too large for an item. A blob expires a month after it is written; the worker
    // writes a cluster's latest again every week, so the latest never does (docs/data-model.md).
    // S1: who read or wrote which snapshot, for access reviews and incidents, is in S3's server access logs, kept in a
    // bucket of their own (AwsSolutions' answer; CloudTrail data events would answer it too, at a price per request).
    const snapshotAccessLogs = new Bucket(this, 'InventorySnapshotAccessLogs', {
      // S3's log delivery writes only into a bucket encrypted with S3-managed keys.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: Duration.days(30) }],
      // No ACLs: S3's log delivery is let in by a bucket policy naming the snapshots bucket as its source.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    });
    acknowledgeNag(
      snapshotAccessLogs,
      'S1',
      "This bucket receives the snapshots bucket's access logs: logging its own access would log S3's log delivery into itself, without end.",
    );
    this.snapshots = new Bucket(this, 'InventorySnapshots', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ prefix: 'inventory/', expiration: Duration.days(31) }],
      serverAccessLogsBucket: snapshotAccessLogs,
      serverAccessLogsPrefix: 'inventory-snapshots/',
    });
    this.snapshotsArnExport = `${this.stackName}-InventorySnapshotsArn`;
    this.snapshotsArn = this.exportValue(this.snapshots.bucketArn, { name: this.snapshotsArnExport });

    // The topic and the dead letters' alarms live with the queues they watch; the functions' alarms are the stateless stack's.
    this.alarmTopic = new DeadLetterAlarms(this, 'OperatorAlarms', { email: props.alarmEmail, onFailureDestinations: [this.sweeperDeadLetters] }).topic;

    // What an operator (and the deploy test, test/infra/data-stack-deploy.test.ts) looks the resources up by.
    new CfnOutput(this, 'AlarmTopic', { value: this.alarmTopic.topicArn, description: 'Subscribe to this SNS topic for the operator alarms' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AdminPasswordSecret', { value: this.adminPassword.secretName, description: 'Where the first admin password is' });
    new CfnOutput(this, 'SecretPrefix', { value: this.secretPrefix, description: 'Every secret the hub writes is named under this prefix' });
    new CfnOutput(this, 'SnapshotsBucket', { value: this.snapshots.bucketName });
    new CfnOutput(this, 'GrantSweeperDeadLettersUrl', { value: this.sweeperDeadLetters.queueUrl });
    for (const { name, queue, deadLetters } of this.jobQueues) {
      new CfnOutput(this, `${name}QueueUrl`, { value: queue.queueUrl });
      new CfnOutput(this, `${name}DeadLettersUrl`, { value: deadLetters.queueUrl });
    }
  }
}
