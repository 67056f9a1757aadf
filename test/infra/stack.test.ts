import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClusterhubStack } from '#infra/stack/clusterhub-stack.ts';
import { tableDefinition } from '#shared/data/table-definition.ts';
import { IDENTITY_KEY_SECRETS } from '#shared/domain/identity/keyring.ts';

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

  it('throttles the whole API at the gateway, before floods that no per-caller limit sees reach a Lambda', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
  });

  it('runs every function on Node 22 (arm64) as an esbuild bundle', () => {
    const functions = template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } });
    expect(Object.keys(functions).length).toBeGreaterThanOrEqual(3);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
  });

  it('routes each endpoint group to its own function, at its prefix and below', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey);
    expect(routes).toEqual(
      expect.arrayContaining([
        'ANY /api/v1/auth', 'ANY /api/v1/auth/{proxy+}', 'ANY /api/v1/users', 'ANY /api/v1/users/{proxy+}',
        'ANY /api/v1/audit-log', 'ANY /api/v1/audit-log/{proxy+}', 'ANY /api/v1/clusters', 'ANY /api/v1/clusters/{proxy+}', '$default',
      ]),
    );
  });

  it('generates the first admin password into Secrets Manager, readable by the identity function only', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'clusterhub/bootstrap/admin-password',
      GenerateSecretString: Match.objectLike({ PasswordLength: 24 }),
    });
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const readers = policies.filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('BootstrapAdminPassword'));
    expect(readers.map((p) => JSON.stringify(p.Properties.Roles))).toEqual([expect.stringContaining('IdentityFunction')]);
    // Identity may also replace it (a rotation) and delete it (the admin's first change); no other function may touch it.
    const byName = policies.filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('bootstrap/admin-password'));
    expect(byName.map((p) => JSON.stringify(p.Properties.Roles))).toEqual([expect.stringContaining('IdentityFunction')]);
    expect(JSON.stringify(byName[0]!.Properties.PolicyDocument)).toMatch(/"Action":\["secretsmanager:PutSecretValue","secretsmanager:CreateSecret","secretsmanager:DeleteSecret"\]/);
  });

  it('gives no function Scan or wildcard table or secret access, and secrets only under the prefix', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).not.toMatch(/dynamodb:\*|dynamodb:Scan|secretsmanager:\*/);
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        const actions = [statement.Action].flat();
        if (actions.some((a: string) => a.startsWith('secretsmanager:')) && !JSON.stringify(statement.Resource).includes('BootstrapAdminPassword')) {
          for (const resource of [statement.Resource].flat()) {
            expect(JSON.stringify(resource)).toMatch(/:secret:clusterhub\/(identity\/(keyring|verification-keys)-\?{6}"|bootstrap\/admin-password-\?{6}"|clusters\/\*|imports\/\*)/);
          }
        }
      }
    }
  });

  it('lets only the identity function read or write the private keyring; the others read only the public keys', () => {
    const secretsOf = (role: string) =>
      Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
        .filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    const keyring = `:secret:clusterhub/${IDENTITY_KEY_SECRETS.keyring}-??????`;
    const verificationKeys = `:secret:clusterhub/${IDENTITY_KEY_SECRETS.verificationKeys}-??????`;

    const identity = JSON.stringify(secretsOf('IdentityFunction'));
    expect(identity).toContain(keyring);
    expect(identity).toContain(verificationKeys);
    for (const role of ['AuditFunction', 'ClustersFunction']) {
      const statements = secretsOf(role);
      expect(JSON.stringify(statements)).not.toMatch(/identity\/keyring/);
      const readingKeys = statements.filter((s) => JSON.stringify(s.Resource).includes(verificationKeys));
      expect(readingKeys.map((s) => s.Action)).toEqual(['secretsmanager:GetSecretValue']);
    }
    // Nothing but identity may touch either identity secret, and no wildcard may reach them.
    for (const role of ['SystemFunction', 'AuditFunction', 'ClustersFunction']) {
      expect(JSON.stringify(secretsOf(role))).not.toMatch(/identity\/keyring|identity\/\*|clusterhub\/\*/);
    }
  });

  it('lets only the clusters function write kubeconfigs, and only under its prefix', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const writers = policies.filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('secretsmanager:DeleteSecret'));
    const clusters = writers.filter((p) => JSON.stringify(p.Properties.Roles).includes('ClustersFunction'));
    expect(clusters).toHaveLength(1);
    expect(JSON.stringify(clusters[0]!.Properties.PolicyDocument)).toContain(':secret:clusterhub/clusters/*');
    // The one other deleter is identity, of the bootstrap secret alone (after the first admin changed that password).
    const deletes = writers
      .filter((p) => !JSON.stringify(p.Properties.Roles).includes('ClustersFunction'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((st) => [st.Action].flat().includes('secretsmanager:DeleteSecret'));
    expect(writers.filter((p) => !JSON.stringify(p.Properties.Roles).includes('ClustersFunction')).map((p) => JSON.stringify(p.Properties.Roles))).toEqual([
      expect.stringContaining('IdentityFunction'),
    ]);
    expect(deletes.map((st) => JSON.stringify(st.Resource))).toEqual([expect.stringMatching(/:secret:clusterhub\/bootstrap\/admin-password-\?{6}"/)]);
  });

  it('lets the clusters function read an import and delete it once used, never write one', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('ClustersFunction'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((st) => JSON.stringify(st.Resource).includes(':secret:clusterhub/imports/*'));
    expect(statements.map((st) => [st.Action].flat().sort())).toEqual([['secretsmanager:DeleteSecret', 'secretsmanager:GetSecretValue']]);
  });

  it('lets the system function only read the table: items for /health, queries for the /metrics counts', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: ['dynamodb:GetItem', 'dynamodb:Query'], Effect: 'Allow' })]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('SystemFunctionServiceRole') }],
    });
    const policies = template.findResources('AWS::IAM::Policy');
    const systemPolicy = Object.values(policies).find((p) => JSON.stringify(p.Properties.Roles).includes('SystemFunction'));
    expect(JSON.stringify(systemPolicy)).not.toMatch(/dynamodb:\*|PutItem|UpdateItem|DeleteItem|Scan|secretsmanager/);
  });

  it('sends /metrics and /api/v1/metrics to the system function through the $default route, which no group route shadows', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties as { RouteKey: string; Target: unknown });
    const byKey = new Map(routes.map((r) => [r.RouteKey, JSON.stringify(r.Target)]));
    expect(byKey.get('$default')).toContain('SystemIntegration');
    const claims = (path: string) =>
      [...byKey.keys()].filter((key) => {
        const route = key.replace(/^ANY /, '');
        return route === path || (route.endsWith('/{proxy+}') && path.startsWith(route.slice(0, -'{proxy+}'.length)));
      });
    expect(claims('/metrics')).toEqual([]);
    expect(claims('/api/v1/metrics')).toEqual([]);
  });
});
