import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { clusterhub } from './stacks.ts';
import { isAllowed, type Statement, type TableRequest } from './iam-policy.ts';

/** The health sweep's and the inventory's part of the stack: the snapshots bucket, the views' functions and routes, least privilege. */

let template: Template;
beforeAll(() => {
  // Bundling skipped: these tests read the template, not the assets (function-bundles.test.ts does), and bundling every function outlasts the hook on a loaded machine.
  template = clusterhub(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test', { deletionProtection: true }).template;
}, 120_000);

function statementsOf(role: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}
const item = (action: string, key: string): TableRequest => ({ action: `dynamodb:${action}`, leadingKeys: [key] });
const s3Actions = (role: string) => statementsOf(role).filter((s) => JSON.stringify(s.Action).includes('s3:'));

describe('the inventory snapshots bucket', () => {
  it('is encrypted, refuses plain HTTP and public access, and expires blobs after 31 days', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [Match.objectLike({ Prefix: 'inventory/', ExpirationInDays: 31, Status: 'Enabled' })] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('is written by the inventory worker only, read by the inventory views, and touched by nothing else', () => {
    expect(JSON.stringify(s3Actions('InventoryWorker'))).toMatch(/s3:PutObject/);
    // The topology reads snapshots for source=inventory, as the inventory views do, and writes none.
    for (const reader of ['InventoryFunction', 'TopologyFunction']) {
      expect(JSON.stringify(s3Actions(reader)), reader).toMatch(/s3:GetObject/);
      expect(JSON.stringify(s3Actions(reader)), reader).not.toMatch(/s3:PutObject|s3:DeleteObject/);
    }
    for (const role of ['HealthSweepWorker', 'HealthFunction', 'ClustersFunction', 'OperationsFunction', 'SystemFunction'])
      expect(s3Actions(role), role).toEqual([]);
  });

  it('lets the inventory worker and views list the bucket, so a snapshot the lifecycle expired reads as missing (404), not as refused', () => {
    const bucket = Object.keys(template.findResources('AWS::S3::Bucket')).find((id) => id.startsWith('InventorySnapshots') && !id.includes('AccessLogs'))!;
    for (const role of ['InventoryWorker', 'InventoryFunction', 'TopologyFunction']) {
      const listing = s3Actions(role).filter((s) => [s.Action].flat().includes('s3:ListBucket'));
      expect(listing, role).toEqual([expect.objectContaining({ Effect: 'Allow', Resource: { 'Fn::GetAtt': [bucket, 'Arn'] } })]);
    }
    for (const role of ['HealthSweepWorker', 'HealthFunction', 'OperationsFunction']) expect(JSON.stringify(s3Actions(role)), role).not.toMatch(/ListBucket/);
  });
});

describe('who may write health and inventory records', () => {
  it('lets each worker write its own records, and no view forge one', () => {
    const sweep = statementsOf('HealthSweepWorker');
    for (const key of ['HEALTH#c1', 'FLEETHEALTH', 'HUBEVENTS#2026-03-02']) expect(isAllowed(sweep, item('PutItem', key)), key).toBe(true);
    expect(isAllowed(sweep, item('PutItem', 'INVENTORY#c1'))).toBe(false);
    const inventory = statementsOf('InventoryWorker');
    for (const key of ['INVENTORY#c1', 'CHANGES#c1', 'IMAGES']) expect(isAllowed(inventory, item('PutItem', key)), key).toBe(true);
    expect(isAllowed(inventory, item('PutItem', 'HEALTH#c1'))).toBe(false);
    for (const role of ['HealthFunction', 'InventoryFunction']) {
      for (const key of ['HEALTH#c1', 'FLEETHEALTH', 'INVENTORY#c1', 'CHANGES#c1', 'IMAGES', 'CLUSTER#c1', 'USER#u1']) {
        expect(isAllowed(statementsOf(role), item('PutItem', key)), `${role} ${key}`).toBe(false);
      }
    }
    expect(isAllowed(statementsOf('HealthFunction'), item('GetItem', 'FLEETHEALTH'))).toBe(true);
    expect(isAllowed(statementsOf('HealthFunction'), item('GetItem', 'INVENTORY#c1'))).toBe(false);
    expect(isAllowed(statementsOf('InventoryFunction'), item('GetItem', 'INVENTORY#c1'))).toBe(true);
  });
});

describe('routes', () => {
  it('sends the health and inventory paths under /clusters/{id} and /fleet to their own functions', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey as string);
    for (const path of [
      '/api/v1/clusters/{clusterId}/health',
      '/api/v1/clusters/{clusterId}/health/{proxy+}',
      '/api/v1/clusters/{clusterId}/sweep',
      '/api/v1/fleet/health',
      '/api/v1/fleet/expiring',
      '/api/v1/clusters/{clusterId}/inventory',
      '/api/v1/clusters/{clusterId}/inventory/{proxy+}',
      '/api/v1/clusters/{clusterId}/changes',
      '/api/v1/fleet/images',
    ]) {
      expect(routes, path).toContain(`ANY ${path}`);
    }
  });
});
