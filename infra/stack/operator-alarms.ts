import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag.ts';

/** How many 5xx answers in five minutes raise the API alarm: one can be a cluster timing out, a run of them is the hub. */
export const API_5XX_THRESHOLD = 5;

/**
 * The alarms an operator subscribes to are on one SNS topic: each function's errors and throttles,
 * the API's 5xx answers, and each dead-letter queue holding a message. The topic and the dead
 * letters' alarms are the stateful stack's (DeadLetterAlarms), the rest the stateless stack's
 * (FunctionAlarms). Each is built last in its stack and finds the functions and queues there are,
 * so one added later is watched without a line here.
 */
function raiseAlarm(scope: Construct, topic: ITopic, id: string, metric: IMetric, threshold: number, description: string) {
  const alarm = new Alarm(scope, id, {
    metric,
    threshold,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    // No data is no failure: a function nobody called has no Errors datapoints.
    treatMissingData: TreatMissingData.NOT_BREACHING,
    alarmDescription: `clusterhub: ${description}`,
  });
  alarm.addAlarmAction(new SnsAction(topic));
  alarm.addOkAction(new SnsAction(topic));
}

export interface DeadLetterAlarmsProps {
  /** An address subscribed to the alarm topic at deploy time (CDK context `alarmEmail`); others subscribe later. */
  email?: string;
  /**
   * Queues that receive what an event source mapping of the stateless stack gave up on (the grant
   * sweeper's stream records): dead letters too, though no queue of this stack names them.
   */
  onFailureDestinations: Queue[];
}

/** The operator alarms' topic, and an alarm on each dead-letter queue of the stack holding a message. */
export class DeadLetterAlarms extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: DeadLetterAlarmsProps) {
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

    for (const queue of deadLetterQueues(Stack.of(this).node.findAll(), props.onFailureDestinations)) {
      raiseAlarm(
        this,
        this.topic,
        `${queue.node.id}Depth`,
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        1,
        `${queue.node.id} holds a message that failed every retry: inspect and redrive it (docs/operations.md)`,
      );
    }
  }
}

export interface FunctionAlarmsProps {
  /** The stateful stack's alarm topic. */
  topic: ITopic;
  api: HttpApi;
}

/** An alarm on each function's errors and throttles, and on the API's runs of 5xx. */
export class FunctionAlarms extends Construct {
  constructor(scope: Construct, id: string, props: FunctionAlarmsProps) {
    super(scope, id);
    const functions = Stack.of(this)
      .node.findAll()
      .filter((c): c is LambdaFunction => c instanceof LambdaFunction);
    for (const fn of functions) {
      const name = fn.node.id;
      raiseAlarm(this, props.topic, `${name}Errors`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `${name} failed an invocation`);
      raiseAlarm(this, props.topic, `${name}Throttles`, fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `${name} was throttled`);
    }
    raiseAlarm(
      this,
      props.topic,
      'Api5xx',
      props.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      API_5XX_THRESHOLD,
      `the API answered ${API_5XX_THRESHOLD} or more 5xx in five minutes`,
    );
  }
}

/**
 * The queues that receive what failed elsewhere: another queue's redrive target, or the on-failure
 * destination of an event source mapping. Each is also acknowledged for cdk-nag's rule that every
 * queue have a dead-letter queue of its own.
 */
function deadLetterQueues(constructs: Construct[], onFailureDestinations: Queue[]): Queue[] {
  const queues = constructs.filter((c): c is Queue => c instanceof Queue);
  const found = queues.filter((queue) => queues.some((other) => other.deadLetterQueue?.queue === queue) || onFailureDestinations.includes(queue));
  for (const queue of found)
    acknowledgeNag(queue, 'SQS3', 'It is a dead-letter queue: what lands here is kept for inspection and redrive, not retried further.');
  return found;
}
