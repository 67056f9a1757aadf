import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnEventSourceMapping, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag.ts';

export interface OperatorAlarmsProps {
  api: HttpApi;
  /** An address subscribed to the alarm topic at deploy time (CDK context `alarmEmail`); others subscribe later. */
  email?: string;
}

/** How many 5xx answers in five minutes raise the API alarm: one can be a cluster timing out, a run of them is the hub. */
export const API_5XX_THRESHOLD = 5;

/**
 * The alarms an operator subscribes to, on one SNS topic: each function's errors and throttles,
 * the API's 5xx answers, and each dead-letter queue holding a message. Built last in the stack,
 * it finds the functions and queues there are, so one added later is watched without a line here.
 */
export class OperatorAlarms extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: OperatorAlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { displayName: 'clusterhub alarms', enforceSSL: true });
    // The topic's own policy (enforceSSL makes one) replaces the default: CloudWatch must be let in, from this account only.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    acknowledgeNag(
      this.topic,
      'SNS2',
      'The topic carries alarm state changes only (alarm names and metric values, never a credential or customer data); CloudWatch cannot publish to a topic encrypted with the AWS-managed key.',
    );
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));

    const stack = Stack.of(this);
    const everything = stack.node.findAll();
    for (const fn of everything.filter((c): c is LambdaFunction => c instanceof LambdaFunction)) {
      const name = fn.node.id;
      this.alarm(`${name}Errors`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `${name} failed an invocation`);
      this.alarm(`${name}Throttles`, fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `${name} was throttled`);
    }
    this.alarm(
      'Api5xx',
      props.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      API_5XX_THRESHOLD,
      `the API answered ${API_5XX_THRESHOLD} or more 5xx in five minutes`,
    );
    for (const queue of deadLetterQueues(everything)) {
      this.alarm(
        `${queue.node.id}Depth`,
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        1,
        `${queue.node.id} holds a message that failed every retry: inspect and redrive it (docs/operations.md)`,
      );
    }
  }

  private alarm(id: string, metric: IMetric, threshold: number, description: string) {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data is no failure: a function nobody called has no Errors datapoints.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `clusterhub: ${description}`,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    alarm.addOkAction(new SnsAction(this.topic));
  }
}

/**
 * The queues that receive what failed elsewhere: another queue's redrive target, or the on-failure
 * destination of an event source mapping (a stream's records that kept failing). Each is also
 * acknowledged for cdk-nag's rule that every queue have a dead-letter queue of its own.
 */
function deadLetterQueues(constructs: Construct[]): Queue[] {
  const queues = constructs.filter((c): c is Queue => c instanceof Queue);
  const stack = Stack.of(constructs[0]!);
  const arnOf = (queue: Queue) => JSON.stringify(stack.resolve(queue.queueArn));
  const destinations = new Set(
    constructs
      .filter((c): c is CfnEventSourceMapping => c instanceof CfnEventSourceMapping)
      .map((mapping) => stack.resolve(mapping.destinationConfig) as { onFailure?: { destination?: unknown } } | undefined)
      .flatMap((config) => (config?.onFailure?.destination ? [JSON.stringify(config.onFailure.destination)] : [])),
  );
  const found = queues.filter((queue) => queues.some((other) => other.deadLetterQueue?.queue === queue) || destinations.has(arnOf(queue)));
  for (const queue of found)
    acknowledgeNag(queue, 'SQS3', 'It is a dead-letter queue: what lands here is kept for inspection and redrive, not retried further.');
  return found;
}
