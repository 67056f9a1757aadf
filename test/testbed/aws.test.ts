/**
 * Proves the test bed's AWS emulator serves what the hub's schedules and workers will use:
 * EventBridge rules delivering to an SQS queue, EventBridge Scheduler schedules, and STS.
 * The secret store and the queue have contract suites of their own (test/contracts/).
 *
 * It speaks each service's wire protocol over plain HTTP, so the test bed is checked without
 * an SDK client per service; the Authorization header only names the service and region,
 * which is how an emulator on one port routes a request (neither moto nor LocalStack checks
 * the signature).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { awsTargets } from '#test/contracts/backend.ts';

interface Emulator {
  endpoint: string;
  region: string;
}

const suffix = () => randomBytes(4).toString('hex');

function authorization(aws: Emulator, service: string): string {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  return `AWS4-HMAC-SHA256 Credential=testing/${day}/${aws.region}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

/** A call of the AWS JSON protocol (X-Amz-Target), as SQS and EventBridge speak it. */
async function jsonCall(aws: Emulator, service: string, target: string, version: '1.0' | '1.1', body: object): Promise<Record<string, unknown>> {
  const res = await fetch(aws.endpoint, {
    method: 'POST',
    headers: { 'content-type': `application/x-amz-json-${version}`, 'x-amz-target': target, authorization: authorization(aws, service) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${target} answered ${res.status}: ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** A call of the REST-JSON protocol, as EventBridge Scheduler speaks it. */
async function restCall(
  aws: Emulator,
  service: string,
  method: string,
  path: string,
  body?: object,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(new URL(path, aws.endpoint), {
    method,
    headers: { 'content-type': 'application/json', authorization: authorization(aws, service) },
    body: body && JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

// moto, and LocalStack too when the test bed runs both (CLUSTERHUB_TEST_AWS=moto,localstack).
describe.each(awsTargets())('the AWS emulator of the test bed ($name)', ({ client }) => {
  const aws: Emulator = { endpoint: client.endpoint!, region: client.region! };
  const sqs = (action: string, body: object) => jsonCall(aws, 'sqs', `AmazonSQS.${action}`, '1.0', body);
  const events = (action: string, body: object) => jsonCall(aws, 'events', `AWSEvents.${action}`, '1.1', body);

  it('delivers an event matching an EventBridge rule to its SQS target', async () => {
    const name = `bed-${suffix()}`;
    const { QueueUrl } = (await sqs('CreateQueue', { QueueName: name })) as { QueueUrl: string };
    const { Attributes } = (await sqs('GetQueueAttributes', { QueueUrl, AttributeNames: ['QueueArn'] })) as { Attributes: { QueueArn: string } };
    await events('PutRule', { Name: name, EventPattern: JSON.stringify({ source: [`clusterhub.${name}`] }), State: 'ENABLED' });
    await events('PutTargets', { Rule: name, Targets: [{ Id: 'sweep', Arn: Attributes.QueueArn }] });
    try {
      const sent = (await events('PutEvents', {
        Entries: [{ Source: `clusterhub.${name}`, DetailType: 'sweep', Detail: JSON.stringify({ cluster: 'alpha' }) }],
      })) as { FailedEntryCount: number };
      expect(sent.FailedEntryCount).toBe(0);

      const received = (await sqs('ReceiveMessage', { QueueUrl, WaitTimeSeconds: 5, MaxNumberOfMessages: 1 })) as { Messages?: { Body: string }[] };
      expect(received.Messages).toHaveLength(1);
      expect(JSON.parse(received.Messages![0]!.Body)).toMatchObject({ source: `clusterhub.${name}`, 'detail-type': 'sweep', detail: { cluster: 'alpha' } });
    } finally {
      await events('RemoveTargets', { Rule: name, Ids: ['sweep'] });
      await events('DeleteRule', { Name: name });
      await sqs('DeleteQueue', { QueueUrl });
    }
  });

  it('keeps an EventBridge rule on a schedule expression', async () => {
    const name = `bed-${suffix()}`;
    await events('PutRule', { Name: name, ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
    try {
      expect(await events('DescribeRule', { Name: name })).toMatchObject({ Name: name, ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
    } finally {
      await events('DeleteRule', { Name: name });
    }
  });

  it('creates, reads and deletes an EventBridge Scheduler schedule', async () => {
    const name = `bed-${suffix()}`;
    const target = { Arn: `arn:aws:sqs:${aws.region}:123456789012:${name}`, RoleArn: 'arn:aws:iam::123456789012:role/scheduler', Input: '{"sweep":true}' };
    const created = await restCall(aws, 'scheduler', 'POST', `/schedules/${name}`, {
      ScheduleExpression: 'rate(1 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: target,
    });
    expect(created.status).toBe(200);
    expect(String(created.body.ScheduleArn)).toContain(`schedule/default/${name}`);

    const read = await restCall(aws, 'scheduler', 'GET', `/schedules/${name}`);
    expect(read.body).toMatchObject({ Name: name, ScheduleExpression: 'rate(1 minutes)', Target: target });

    expect((await restCall(aws, 'scheduler', 'DELETE', `/schedules/${name}`)).status).toBe(200);
    expect((await restCall(aws, 'scheduler', 'GET', `/schedules/${name}`)).status).toBe(404);
  });

  it('answers STS GetCallerIdentity with an account', async () => {
    const res = await fetch(aws.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: authorization(aws, 'sts') },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/<Account>\d{12}<\/Account>/);
  });
});
