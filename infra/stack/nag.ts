import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one finding of cdk-nag's AwsSolutions pack (infra/app.ts runs it on every synth) on
 * `scope` and everything below it. `rule` is the pack's rule id with the finding, as the synth
 * error prints it after "Acknowledge with 'AwsSolutions::": `SQS3`, `IAM5[Resource::...]`. The
 * reason is what a reviewer reads in the validation report, so it says why the rule does not apply.
 */
export function acknowledgeNag(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
}
