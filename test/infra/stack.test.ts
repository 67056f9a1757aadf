import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClusterhubStack } from '#infra/stack/clusterhub-stack.ts';
import { tableDefinition } from '#shared/data/table-definition.ts';

let template: Template;
beforeAll(() => {
  const app = new App();
  template = Template.fromStack(new ClusterhubStack(app, 'Test', { deletionProtection: true }));
}, 120_000);

describe('the CDK stack', () => {
  it('has one on-demand table from the shared definition, with PITR, TTL and deletion protection', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
        { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: tableDefinition.indexes.map((i) => Match.objectLike({ IndexName: i.name })),
      TimeToLiveSpecification: { AttributeName: tableDefinition.ttlAttribute, Enabled: true },
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
    });
  });

  it('can drop deletion protection for throwaway stacks', () => {
    const t = Template.fromStack(new ClusterhubStack(new App(), 'Dev', { deletionProtection: false }));
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
    });
  });

  it('serves an HTTP API on the $default stage with unmatched routes going to the system function', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: '$default', AutoDeploy: true });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
  });

  it('runs every function on Node 22 (arm64) as an esbuild bundle', () => {
    const functions = template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } });
    expect(Object.keys(functions).length).toBeGreaterThanOrEqual(1);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
  });

  it('lets the system function only read single items of the table', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'dynamodb:GetItem', Effect: 'Allow' })]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('SystemFunctionServiceRole') }],
    });
    const policies = template.findResources('AWS::IAM::Policy');
    const systemPolicy = Object.values(policies).find((p) => JSON.stringify(p.Properties.Roles).includes('SystemFunction'));
    expect(JSON.stringify(systemPolicy)).not.toMatch(/dynamodb:\*|PutItem|DeleteItem|Scan|secretsmanager/);
  });
});
