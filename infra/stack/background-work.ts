import { Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { queueVariable } from '#shared/adapters/sqs/sqs-job-queue.ts';
import { cadenceMinutes, JOB_KINDS, JOBS, type JobKind } from '#shared/workers/jobs.ts';
import { HubFunction } from '../constructs/hub-function.ts';
import { acknowledgeNag } from './nag.ts';
import { jobWorkerAccess, TABLE_ACCESS, type TableAccess } from './table-access.ts';

export interface BackgroundWorkProps {
  /** The job queues of the stateful stack (JobQueues), one per job. */
  queues: JobQueue[];
  /** The environment every function gets (table name, secret prefix). */
  environment: Record<string, string>;
  /** Grants a function its table partitions (clusterhub-stack.ts). */
  grantTable: (fn: HubFunction, access: TableAccess) => void;
  /** Lets a function read the clusters' kubeconfigs (clusterhub-stack.ts, with the cdk-nag acknowledgement that needs). */
  readClusterSecrets: (fn: HubFunction) => void;
}

/** One job's queue and the dead-letter queue its messages move to after the job's receives. */
export interface JobQueue {
  kind: JobKind;
  /** `HealthSweep` for `health-sweep`: the construct ids and stack outputs are named by it. */
  name: string;
  queue: Queue;
  deadLetters: Queue;
  /** Receives before a message is dead-lettered (the redrive policy's count), which the worker is told too. */
  maxReceives: number;
}

/** One job's queue, dead-letter queue and worker. */
export interface JobResources extends JobQueue {
  worker: HubFunction;
  /** The worker's event source mapping: disabling it pauses the queue. */
  mappingId: string;
  mappingArn: string;
}

/** `health-sweep` as `HealthSweep`, for construct ids. */
const pascal = (kind: string) => kind.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());

/**
 * The stateful half of the background work (clusterhub-data-stack.ts): per job of shared/workers/jobs.ts a
 * queue with a dead-letter queue after the job's receives (CDK context `<cadence key>MaxReceives` or the job's own).
 */
export class JobQueues extends Construct {
  readonly queues: JobQueue[];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.queues = JOB_KINDS.map((kind) => {
      const job = JOBS[kind];
      const name = pascal(kind);
      const maxReceives = Number(this.node.tryGetContext(`${job.cadence.contextKey}MaxReceives`) ?? job.maxReceives);
      const deadLetters = new Queue(this, `${name}DeadLetters`, { retentionPeriod: Duration.days(14), enforceSSL: true });
      const queue = new Queue(this, `${name}Queue`, {
        // Six times the worker's timeout, as AWS advises for a queue behind an event source mapping.
        visibilityTimeout: Duration.seconds(job.timeoutSeconds * 6),
        retentionPeriod: Duration.days(4),
        deadLetterQueue: { queue: deadLetters, maxReceiveCount: maxReceives },
        enforceSSL: true,
      });
      return { kind, name, queue, deadLetters, maxReceives };
    });
  }
}

/**
 * The stateless half of the background work on AWS (clusterhub-stack.ts): per job queue of JobQueues, a
 * worker fed by an event source mapping (partial batch responses, bounded concurrency), and an
 * EventBridge Scheduler schedule at the job's cadence (CDK context) that invokes the planner. The
 * planner reads only the cluster list; each worker its own queue and partitions. The operator alarms
 * watch the dead letters (stateful stack) and the workers' errors (this stack).
 */
export class BackgroundWork extends Construct {
  readonly planner: HubFunction;
  readonly jobs: JobResources[];

  constructor(scope: Construct, id: string, props: BackgroundWorkProps) {
    super(scope, id);
    const context = (key: string) => this.node.tryGetContext(key);
    this.planner = new HubFunction(this, 'PlannerFunction', {
      folder: 'planner',
      environment: props.environment,
      description: 'clusterhub: fans each scheduled job out to the active clusters',
      timeout: Duration.seconds(60),
    });
    props.grantTable(this.planner, TABLE_ACCESS.planner);
    // The schedules share one role, made in the stack by CDK's LambdaInvoke target, which grants the planner's ARN
    // and `<ARN>:*` whatever the target: the wildcard covers only the planner's versions and aliases.
    const stack = Stack.of(this);
    acknowledgeNag(
      stack,
      `IAM5[Resource::<${stack.getLogicalId(this.planner.node.defaultChild as CfnFunction)}.Arn>:*]`,
      "The schedules' role may invoke the planner and nothing else: `:*` names that one function's versions and aliases, which CDK's LambdaInvoke target always grants beside the function.",
    );

    this.jobs = props.queues.map(({ kind, name, queue, deadLetters, maxReceives }) => {
      const job = JOBS[kind];
      const worker = new HubFunction(this, `${name}WorkerFunction`, {
        folder: `workers/${kind}`,
        environment: {
          ...props.environment,
          [queueVariable(kind, 'URL')]: queue.queueUrl,
          [queueVariable(kind, 'DLQ_URL')]: deadLetters.queueUrl,
          // The redrive policy's count, so the worker knows a message's last delivery and fails its operation then.
          [queueVariable(kind, 'MAX_RECEIVES')]: String(maxReceives),
        },
        description: `clusterhub ${kind} worker: ${job.description}`,
        timeout: Duration.seconds(job.timeoutSeconds),
        talksToKubernetes: true,
      });
      props.grantTable(worker, jobWorkerAccess(kind));
      // It reads the clusters' kubeconfigs, never writes one; and it sends a message that can never succeed to its dead letters.
      props.readClusterSecrets(worker);
      deadLetters.grantSendMessages(worker);
      const source = new SqsEventSource(queue, { batchSize: job.batchSize, reportBatchItemFailures: true, maxConcurrency: job.maxConcurrency });
      worker.addEventSource(source);

      this.planner.addEnvironment(queueVariable(kind, 'URL'), queue.queueUrl);
      this.planner.addEnvironment(queueVariable(kind, 'DLQ_URL'), deadLetters.queueUrl);
      queue.grantSendMessages(this.planner);

      new Schedule(this, `${name}Schedule`, {
        description: `clusterhub: plans a run of ${kind} on every active cluster`,
        schedule: ScheduleExpression.rate(Duration.minutes(cadenceMinutes(kind, context))),
        target: new LambdaInvoke(this.planner, {
          input: ScheduleTargetInput.fromObject({ job: kind, scheduled_at: ContextAttribute.scheduledTime, execution_id: ContextAttribute.executionId }),
          // A run missed by more than its own cadence is better skipped: the next one comes.
          maxEventAge: Duration.minutes(Math.max(1, Math.min(cadenceMinutes(kind, context), 1440))),
          retryAttempts: 2,
        }),
      });

      // The alarms on its dead letters and its errors are the operator alarms' (operator-alarms.ts), which find every function and dead-letter queue.
      return { kind, name, queue, deadLetters, maxReceives, worker, mappingId: source.eventSourceMappingId, mappingArn: source.eventSourceMappingArn };
    });
  }

  /**
   * Lets a function start operations: send to the job queues (startOperation) and see them. With
   * `administer`, also what the queue admin routes do: count, redrive and drop dead letters, and
   * pause or resume a worker by disabling or enabling its event source mapping.
   */
  grantOperations(fn: HubFunction, options: { administer?: boolean } = {}): void {
    for (const job of this.jobs) {
      fn.addEnvironment(queueVariable(job.kind, 'URL'), job.queue.queueUrl);
      fn.addEnvironment(queueVariable(job.kind, 'DLQ_URL'), job.deadLetters.queueUrl);
      job.queue.grantSendMessages(fn);
      if (!options.administer) continue;
      fn.addEnvironment(queueVariable(job.kind, 'MAPPING'), job.mappingId);
      fn.addToRolePolicy(new PolicyStatement({ actions: ['sqs:GetQueueAttributes'], resources: [job.queue.queueArn, job.deadLetters.queueArn] }));
      job.deadLetters.grantConsumeMessages(fn);
      fn.addToRolePolicy(new PolicyStatement({ actions: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'], resources: [job.mappingArn] }));
    }
  }
}
