import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { clusterhubStacks } from './stack/clusterhub.ts';

// `npx cdk synth` needs no credentials: the stack is environment-agnostic unless CDK_DEFAULT_* are set.
const app = new App();
// Every synth (and so every deploy) checks the stack against cdk-nag's AwsSolutions pack and fails on a finding
// nobody acknowledged; each acknowledgement sits beside its resource with the reason (infra/stack/nag.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
const stage = app.node.tryGetContext('stage') ?? 'dev';
if (stage !== 'prod' && stage !== 'dev') throw new Error(`-c stage=${stage}: the stage is prod or dev`);
// Two stacks: `<stackName>` holds the data, `<stackName>Service` the code (infra/stack/clusterhub.ts); deploy both with
// `cdk deploy --all`, or the data alone with `cdk deploy <stackName>`.
clusterhubStacks(app, app.node.tryGetContext('stackName') ?? 'Clusterhub', {
  stage,
  alarmEmail: app.node.tryGetContext('alarmEmail'),
  deletionProtection: app.node.tryGetContext('deletionProtection') !== 'false',
  secretPrefix: app.node.tryGetContext('secretPrefix'),
  throttle: app.node.tryGetContext('throttleRate')
    ? {
        ratePerSecond: Number(app.node.tryGetContext('throttleRate')),
        burst: Number(app.node.tryGetContext('throttleBurst') ?? app.node.tryGetContext('throttleRate')),
      }
    : undefined,
  env:
    process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
      ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
      : undefined,
});
