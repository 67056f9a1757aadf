import { Tags } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** `prod` keeps the data whatever else is asked (clusterhub-data-stack.ts); `dev` stacks may be thrown away. */
export type Stage = 'prod' | 'dev';

/** Who owns a resource and what it is for, on every resource of a stack (cost reports, access reviews, clean-up). */
export function tagStack(stack: IConstruct, stage: Stage): void {
  Tags.of(stack).add('project', 'clusterhub');
  Tags.of(stack).add('stage', stage);
}
