import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { clusterhub } from './stacks.ts';
import { JOB_KINDS, JOBS } from '#shared/workers/jobs.ts';
import { isAllowed, type Statement, type TableRequest } from './iam-policy.ts';

/**
 * The background work in the stack: per job a queue with its dead-letter queue, a worker behind an
 * event source mapping that reports partial batch failures with bounded concurrency, a schedule at
 * the job's cadence invoking the planner, alarms, and each function allowed only its own part.
 * Bundling is skipped: these tests read the template, not the assets (function-bundles.test.ts does).
 */

const noBundling = { 'aws:cdk:bundling-stacks': [] };
const synth = (context: Record<string, unknown> = {}) =>
  clusterhub(new App({ context: { ...noBundling, ...context } }), 'Test', { deletionProtection: false }).template;

let template: Template;
beforeAll(() => {
  template = synth();
}, 120_000);

const resources = (type: string) => Object.entries(template.findResources(type));
const logicalId = (type: string, fragment: string) => {
  const found = resources(type).filter(([id]) => id.includes(fragment));
  expect(found, `${type} ${fragment}`).toHaveLength(1);
  return found[0]![0];
};
const pascal = (kind: string) => kind.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());

/** Every statement of a function's role. */
function statementsOf(fnId: string): Statement[] {
  const role = template.findResources('AWS::Lambda::Function')[fnId]!.Properties.Role['Fn::GetAtt'][0] as string;
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}
const actionsOn = (statements: Statement[], resourceId: string) =>
  statements.filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Resource).includes(resourceId)).flatMap((s) => [s.Action].flat());
const fn = (fragment: string) => logicalId('AWS::Lambda::Function', fragment);

describe('the background work in the stack', () => {
  it('gives each job a queue whose messages move to its dead-letter queue after the job’s receives', () => {
    for (const kind of JOB_KINDS) {
      const dlq = logicalId('AWS::SQS::Queue', `${pascal(kind)}DeadLetters`);
      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: JOBS[kind].timeoutSeconds * 6,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: JOBS[kind].maxReceives },
      });
    }
  });

  it('tells each worker the receives of its queue’s redrive policy, from the same number, so its last attempt fails the operation', () => {
    const maxReceivesOf = (t: Template, kind: string) => {
      const worker = Object.entries(t.findResources('AWS::Lambda::Function')).find(([id]) => id.includes(`${pascal(kind)}WorkerFunction`))!;
      return worker[1].Properties.Environment.Variables[`HUB_QUEUE_${kind.toUpperCase().replaceAll('-', '_')}_MAX_RECEIVES`];
    };
    for (const kind of JOB_KINDS) expect(maxReceivesOf(template, kind), kind).toBe(String(JOBS[kind].maxReceives));
    const tuned = synth({ healthSweepEveryMinutesMaxReceives: 3 });
    expect(maxReceivesOf(tuned, 'health-sweep')).toBe('3');
    tuned.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }) });
  });

  it('feeds each worker through an event source mapping with ReportBatchItemFailures and a bounded maximum concurrency', () => {
    for (const kind of JOB_KINDS) {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', `${pascal(kind)}Queue`), 'Arn'] },
        FunctionName: { Ref: fn(`${pascal(kind)}Worker`) },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: JOBS[kind].batchSize,
        ScalingConfig: { MaximumConcurrency: JOBS[kind].maxConcurrency },
      });
    }
  });

  it('schedules the planner at each job’s cadence, with the firing’s time in the event, from CDK context or the defaults', () => {
    const rates = (t: Template) =>
      Object.values(t.findResources('AWS::Scheduler::Schedule')).map((s) => [JSON.parse(s.Properties.Target.Input).job, s.Properties.ScheduleExpression]);
    expect(Object.fromEntries(rates(template))).toEqual({ 'health-sweep': 'rate(3 minutes)', inventory: 'rate(15 minutes)' });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: {
        Arn: { 'Fn::GetAtt': [fn('PlannerFunction'), 'Arn'] },
        Input: JSON.stringify({ job: 'health-sweep', scheduled_at: '<aws.scheduler.scheduled-time>', execution_id: '<aws.scheduler.execution-id>' }),
      },
    });
    const tuned = synth({ healthSweepEveryMinutes: '5', inventoryEveryMinutes: 60, healthSweepEveryMinutesMaxReceives: 3 });
    expect(Object.fromEntries(rates(tuned))).toEqual({ 'health-sweep': 'rate(5 minutes)', inventory: 'rate(1 hour)' });
    tuned.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }) });
    expect(() => synth({ healthSweepEveryMinutes: '0' })).toThrow(/healthSweepEveryMinutes/);
  });

  it('alarms on every dead-letter queue’s depth and every worker’s errors', () => {
    for (const kind of JOB_KINDS) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', `${pascal(kind)}DeadLetters`), 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [Match.anyValue()],
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Errors',
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn(`${pascal(kind)}Worker`) } }],
        AlarmActions: [Match.anyValue()],
      });
    }
  });

  it('lets each worker consume only its own queue and send only to its own dead letters', () => {
    for (const kind of JOB_KINDS) {
      const statements = statementsOf(fn(`${pascal(kind)}Worker`));
      for (const other of JOB_KINDS) {
        const queue = logicalId('AWS::SQS::Queue', `${pascal(other)}Queue`);
        const dlq = logicalId('AWS::SQS::Queue', `${pascal(other)}DeadLetters`);
        if (other === kind) {
          expect(actionsOn(statements, queue)).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']));
          expect(actionsOn(statements, dlq)).toEqual(expect.arrayContaining(['sqs:SendMessage']));
        } else {
          expect(actionsOn(statements, queue), `${kind} worker on the ${other} queue`).toEqual([]);
          expect(actionsOn(statements, dlq), `${kind} worker on the ${other} dead letters`).toEqual([]);
        }
      }
      expect(actionsOn(statements, logicalId('AWS::SQS::Queue', `${pascal(kind)}Queue`))).not.toContain('sqs:SendMessage');
    }
  });

  it('grants a worker its lease, idempotency records and operation progress in the table, and no identity item', () => {
    const statements = statementsOf(fn('HealthSweepWorker'));
    const req = (action: string, key: string): TableRequest => ({ action: `dynamodb:${action}`, leadingKeys: [key] });
    for (const allowed of [req('GetItem', 'CLUSTER#c1'), req('PutItem', 'LEASE#c1'), req('PutItem', 'IDEMPOTENCY'), req('UpdateItem', 'OPERATION#o1')]) {
      expect(isAllowed(statements, allowed), `${allowed.action} ${allowed.leadingKeys}`).toBe(true);
    }
    for (const refused of [
      req('PutItem', 'USER#u1'),
      req('UpdateItem', 'CLUSTER#c1'),
      req('GetItem', 'SESSION#s1'),
      { action: 'dynamodb:Scan', leadingKeys: [] },
    ]) {
      expect(isAllowed(statements, refused), `${refused.action} ${refused.leadingKeys}`).toBe(false);
    }
  });

  it('lets the planner query the cluster list and send to the job queues, and nothing else in the table', () => {
    const statements = statementsOf(fn('PlannerFunction'));
    expect(isAllowed(statements, { action: 'dynamodb:Query', index: 'gsi1', leadingKeys: ['CLUSTERS'] })).toBe(true);
    for (const refused of [
      { action: 'dynamodb:Scan', leadingKeys: [] },
      { action: 'dynamodb:GetItem', leadingKeys: ['CLUSTER#c1'] },
      { action: 'dynamodb:Query', index: 'gsi1', leadingKeys: ['USERS'] },
      { action: 'dynamodb:PutItem', leadingKeys: ['OPERATION#o1'] },
    ]) {
      expect(isAllowed(statements, refused), `${refused.action} ${refused.leadingKeys}`).toBe(false);
    }
    for (const kind of JOB_KINDS) {
      expect(actionsOn(statements, logicalId('AWS::SQS::Queue', `${pascal(kind)}Queue`))).toContain('sqs:SendMessage');
      expect(actionsOn(statements, logicalId('AWS::SQS::Queue', `${pascal(kind)}Queue`))).not.toContain('sqs:ReceiveMessage');
    }
  });

  it('lets the operations function pause and resume only the workers’ mappings, and read and empty only the dead-letter queues', () => {
    const statements = statementsOf(fn('OperationsFunction'));
    const lambda = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('lambda:')));
    expect(lambda.flatMap((s) => [s.Action].flat()).sort()).toEqual(
      JOB_KINDS.flatMap(() => ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping']).sort(),
    );
    expect(JSON.stringify(lambda.map((s) => s.Resource))).not.toContain('"*"');
    for (const kind of JOB_KINDS) {
      expect(actionsOn(statements, logicalId('AWS::SQS::Queue', `${pascal(kind)}Queue`))).not.toContain('sqs:ReceiveMessage');
      expect(actionsOn(statements, logicalId('AWS::SQS::Queue', `${pascal(kind)}DeadLetters`))).toEqual(
        expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']),
      );
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /api/v1/queues/{proxy+}' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /api/v1/operations' });
  });
});
