/**
 * The production guard rails of the stack (issue 14 item 3): cdk-nag's AwsSolutions pack passes
 * with every acknowledgement justified, operators get alarms on one topic, logs expire, the data
 * survives in prod, and every resource says whose it is.
 */
import { App, CfnResource, TagManager, Validations, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterhubStacks, type ClusterhubProps } from '#infra/stack/clusterhub.ts';
import { API_5XX_THRESHOLD } from '#infra/stack/operator-alarms.ts';
import { clusterhub } from './stacks.ts';

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** An app checked by cdk-nag as infra/app.ts checks it, without bundling the functions (the checks read the template only). */
function nagApp(): App {
  const outdir = mkdtempSync(join(tmpdir(), 'clusterhub-nag-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

/** Both stacks: `Guarded` (the data) and `GuardedService`. */
const stackIn = (app: App, props: ClusterhubProps = {}) => clusterhub(app, 'Guarded', props);

let stacks: Stack[];
let template: Template;
beforeAll(() => {
  const app = nagApp();
  const built = stackIn(app, { stage: 'prod', alarmEmail: 'oncall@example.com' });
  stacks = [built.data, built.service];
  app.synth();
  template = built.template;
}, 180_000);

const functionIds = () => Object.keys(template.findResources('AWS::Lambda::Function'));
const alarmsOn = (metric: string) => Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metric } }));
const topicId = () => Object.keys(template.findResources('AWS::SNS::Topic'))[0]!;

describe('cdk-nag (AwsSolutions)', () => {
  it('passes both stacks, and every finding acknowledged in the code says why', () => {
    // The synth in beforeAll would have thrown ValidationFailed on any unacknowledged finding.
    const acknowledged = stacks
      .flatMap((stack) => stack.node.findAll())
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id, reason })));
    expect(acknowledged.map((a) => a.id)).toEqual(expect.arrayContaining(['AwsSolutions::AwsSolutions-APIG4', 'AwsSolutions::AwsSolutions-SQS3']));
    for (const { id, reason } of acknowledged) expect(reason.length, id).toBeGreaterThan(40);
  });

  it('passes a stack deployed to a given account and region too, whose ARNs name them', () => {
    const app = nagApp();
    stackIn(app, { env: { account: '123456789012', region: 'eu-west-1' } });
    expect(() => app.synth()).not.toThrow();
  });

  it('fails the synth on a finding nobody acknowledged, naming the rule and the resource', () => {
    const app = nagApp();
    // The stacks alone: the merged template of stackIn would synthesize the app before the queue is added.
    const careless = clusterhubStacks(app, 'Guarded').data;
    new Queue(careless, 'CarelessQueue');
    expect(() => app.synth()).toThrow(/Guarded\/CarelessQueue\/Resource[\s\S]*AwsSolutions-SQS4/);
    // The report stays in the cloud assembly for whoever reviews the failed synth.
    expect(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')).toContain('CarelessQueue');
  });
});

describe('operator alarms', () => {
  it('publishes to one SNS topic that refuses plain HTTP, lets CloudWatch in from its own account, and mails the address given', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: topicId() } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Condition: Match.objectLike({}) }),
        ]),
      },
    });
    template.hasOutput('AlarmTopic', { Value: { Ref: topicId() } });
  });

  it("raises an alarm on each function's errors and on its throttles, to the topic, and again when it clears", () => {
    expect(functionIds().length).toBeGreaterThanOrEqual(5);
    for (const metric of ['Errors', 'Throttles']) {
      const watched = alarmsOn(metric).map((a) => a.Properties.Dimensions[0].Value.Ref);
      expect(watched.sort(), metric).toEqual(functionIds().sort());
      for (const alarm of alarmsOn(metric)) {
        expect(alarm.Properties).toMatchObject({ Namespace: 'AWS/Lambda', Threshold: 1, AlarmActions: [{ Ref: topicId() }], OKActions: [{ Ref: topicId() }] });
      }
    }
  });

  it('raises an alarm when the API answers a run of 5xx', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: Match.stringLikeRegexp('HttpApi') } }],
      Threshold: API_5XX_THRESHOLD,
      AlarmActions: [{ Ref: topicId() }],
    });
  });

  it('raises an alarm as soon as a dead-letter queue holds a message: the grant sweeper’s and each job’s', () => {
    const dlqs = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) => /^(GrantSweeper|BackgroundWork\w+)DeadLetters/.test(id));
    expect(dlqs.length).toBeGreaterThanOrEqual(3);
    for (const dlq of dlqs) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
        Threshold: 1,
        AlarmActions: [{ Ref: topicId() }],
      });
    }
  });
});

describe('logs', () => {
  it('expire: every log group has a retention, and every function logs into one of them', () => {
    const groups = template.findResources('AWS::Logs::LogGroup');
    for (const [id, group] of Object.entries(groups)) expect(group.Properties.RetentionInDays, id).toBeGreaterThan(0);
    for (const [id, fn] of Object.entries(template.findResources('AWS::Lambda::Function'))) {
      expect(Object.keys(groups), id).toContain(fn.Properties.LoggingConfig.LogGroup.Ref);
    }
  });

  it('record every API request, without headers or query strings', () => {
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    const settings = stage!.Properties.AccessLogSettings;
    expect(Object.keys(template.findResources('AWS::Logs::LogGroup'))).toContain(settings.DestinationArn['Fn::GetAtt'][0]);
    const format = JSON.parse(settings.Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(settings.Format).not.toMatch(/header|querystring|authorization/i);
  });
});

describe('the inventory snapshots', () => {
  it('log every access into a bucket of their own, encrypted, private, refusing plain HTTP, whose logs expire', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    const [snapshots] = Object.entries(buckets).find(([id]) => id.startsWith('InventorySnapshots') && !id.includes('AccessLogs'))!;
    const [logs, logBucket] = Object.entries(buckets).find(([id]) => id.startsWith('InventorySnapshotAccessLogs'))!;
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: { Ref: logs }, LogFilePrefix: Match.anyValue() },
      LifecycleConfiguration: { Rules: [Match.objectLike({ Prefix: 'inventory/' })] },
    });
    expect(logBucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 30, Status: 'Enabled' }] },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    expect(logBucket.Properties.AccessControl).toBeUndefined();
    for (const bucket of [snapshots, logs]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucket },
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    }
    // Only S3's log delivery writes there, and only for the snapshots bucket.
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logs },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: Match.objectLike({ ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [snapshots, 'Arn'] } } }),
          }),
        ]),
      },
    });
  });
});

describe('the data in prod', () => {
  it('keeps deletion protection and point-in-time recovery on the table, which a stack deletion leaves behind', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        Replicas: [Match.objectLike({ DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
      }),
    });
  });

  it('refuses a prod stack without deletion protection; a dev stack may drop it', () => {
    expect(() => clusterhub(new App(), 'Prod', { stage: 'prod', deletionProtection: false })).toThrow(
      /deletionProtection=false is for throwaway \(dev\) stacks/,
    );
    const dev = clusterhub(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Dev', { stage: 'dev', deletionProtection: false }).template;
    dev.hasResourceProperties('AWS::DynamoDB::GlobalTable', { Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })] });
  });
});

describe('tags', () => {
  it('name the project and the stage on every resource that takes tags', () => {
    const taggable = stacks.flatMap((stack) => stack.node.findAll()).filter((c): c is CfnResource => CfnResource.isCfnResource(c) && TagManager.isTaggable(c));
    expect(taggable.length).toBeGreaterThan(20);
    const untagged = taggable.filter((r) => {
      const tags = (r as unknown as { tags: TagManager }).tags.tagValues();
      return tags.project !== 'clusterhub' || tags.stage !== 'prod';
    });
    expect(untagged.map((r) => `${r.cfnResourceType} ${r.node.path}`)).toEqual([]);
    // The table's tags live on its replica.
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [
        Match.objectLike({
          Tags: Match.arrayWith([
            { Key: 'project', Value: 'clusterhub' },
            { Key: 'stage', Value: 'prod' },
          ]),
        }),
      ],
    });
  });
});
