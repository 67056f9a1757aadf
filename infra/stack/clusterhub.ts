import type { Environment } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ClusterhubDataStack, type ClusterhubDataStackProps } from './clusterhub-data-stack.ts';
import { ClusterhubStack, type ClusterhubStackProps } from './clusterhub-stack.ts';

export interface ClusterhubProps extends Omit<ClusterhubDataStackProps, 'env'>, Omit<ClusterhubStackProps, 'data' | 'env'> {
  env?: Environment;
}

/** The stateless stack's name beside the stateful stack's `<name>`. */
export const serviceStackName = (name: string) => `${name}Service`;

/**
 * clusterhub on AWS as two stacks: `<name>`, the data (ClusterhubDataStack), and `<name>Service`, the
 * code (ClusterhubStack), which refers to the data stack's resources and so is deployed after it.
 * The stateful stack keeps the name the single stack had, so that a deployment of it keeps its data
 * where it is (docs/operations.md).
 */
export function clusterhubStacks(scope: Construct, name: string, props: ClusterhubProps = {}): { data: ClusterhubDataStack; service: ClusterhubStack } {
  const { throttle, env, ...dataProps } = props;
  const data = new ClusterhubDataStack(scope, name, { ...dataProps, env, description: 'clusterhub data: table, secrets, queues, buckets, alarm topic' });
  const service = new ClusterhubStack(scope, serviceStackName(name), {
    data,
    throttle,
    env,
    description: 'clusterhub service: API, functions, schedules (stateless; its data is the stack ' + name + ')',
  });
  return { data, service };
}
