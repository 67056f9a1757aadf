import { App } from 'aws-cdk-lib';
import { ClusterhubStack } from './stack/clusterhub-stack.ts';

// `npx cdk synth` needs no credentials: the stack is environment-agnostic unless CDK_DEFAULT_* are set.
const app = new App();
new ClusterhubStack(app, app.node.tryGetContext('stackName') ?? 'Clusterhub', {
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
