import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { clusterhub } from './stacks.ts';
import { tableDefinition } from '#shared/data/table-definition.ts';
import { IDENTITY_KEY_SECRETS } from '#shared/domain/identity/keyring.ts';
import { KEYED_TABLE_ACTIONS } from '#infra/stack/table-access.ts';
import { decide, isAllowed, type Statement, type TableRequest } from './iam-policy.ts';

let template: Template;
let dataTemplate: Template;
let serviceTemplate: Template;
// Bundles every function: on a loaded two-core machine that has taken over two minutes.
beforeAll(() => {
  const app = new App();
  const built = clusterhub(app, 'Test', { deletionProtection: true });
  template = built.template;
  dataTemplate = Template.fromStack(built.data);
  serviceTemplate = Template.fromStack(built.service);
}, 300_000);

/** Every statement of a function's role. */
function statementsOf(role: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const FUNCTIONS = [
  'SystemFunction',
  'IdentityFunction',
  'AuditFunction',
  'ClustersFunction',
  'ResourcesFunction',
  'TopologyFunction',
  'GrantSweeperFunction',
  'OperationsFunction',
  'PlannerFunction',
  'HealthSweepWorker',
  'InventoryWorker',
  'ConsoleFunction',
  'EnvironmentsFunction',
];
const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'];
const item = (action: string, key: string, more: Partial<TableRequest> = {}): TableRequest => ({ action: `dynamodb:${action}`, leadingKeys: [key], ...more });
const query = (index: string | undefined, partition: string): TableRequest => ({
  action: 'dynamodb:Query',
  leadingKeys: [partition],
  ...(index ? { index } : {}),
});
/** The requests a role allows, of those given, as readable strings. */
const allowedOf = (role: string, requests: TableRequest[]) =>
  requests
    .filter((r) => isAllowed(statementsOf(role), r))
    .map((r) => `${r.action.replace('dynamodb:', '')} ${r.index ? `${r.index} ` : ''}${r.leadingKeys.join(',')}`);

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
    // Only the table is looked at: the functions need no bundling (a second one takes over 30 s on a busy machine).
    const t = clusterhub(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Dev', { deletionProtection: false }).template;
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
        'ANY /api/v1/auth',
        'ANY /api/v1/auth/{proxy+}',
        'ANY /api/v1/users',
        'ANY /api/v1/users/{proxy+}',
        'ANY /api/v1/audit-log',
        'ANY /api/v1/audit-log/{proxy+}',
        'ANY /api/v1/clusters',
        'ANY /api/v1/clusters/{proxy+}',
        'ANY /api/v1/clusters/{clusterId}/resources/{proxy+}',
        'ANY /api/v1/clusters/{clusterId}/crd-instances/{proxy+}',
        'ANY /api/v1/clusters/{clusterId}/apply',
        'ANY /api/v1/clusters/{clusterId}/features/{proxy+}',
        'ANY /api/v1/clusters/{clusterId}/topology',
        'ANY /api/v1/clusters/{clusterId}/topology/{proxy+}',
        'ANY /api/v1/clusters/{clusterId}/events',
        'ANY /api/v1/clusters/{clusterId}/search',
        'ANY /api/v1/clusters/{clusterId}/shell/{proxy+}',
        'ANY /api/v1/clusters/{clusterId}/kcli/{proxy+}',
        'ANY /api/v1/search',
        '$default',
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
    expect(JSON.stringify(byName[0]!.Properties.PolicyDocument)).toMatch(
      /"Action":\["secretsmanager:PutSecretValue","secretsmanager:CreateSecret","secretsmanager:DeleteSecret"\]/,
    );
  });

  it('gives no function Scan or wildcard table or secret access, and secrets only under the prefix', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).not.toMatch(/dynamodb:\*|dynamodb:Scan|secretsmanager:\*/);
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        const actions = [statement.Action].flat();
        if (actions.some((a: string) => a.startsWith('secretsmanager:')) && !JSON.stringify(statement.Resource).includes('BootstrapAdminPassword')) {
          for (const resource of [statement.Resource].flat()) {
            expect(JSON.stringify(resource)).toMatch(
              /:secret:clusterhub\/(identity\/(keyring|verification-keys)-\?{6}"|bootstrap\/admin-password-\?{6}"|clusters\/\*|imports\/\*)/,
            );
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
    for (const role of ['AuditFunction', 'ClustersFunction', 'ResourcesFunction', 'TopologyFunction']) {
      const statements = secretsOf(role);
      expect(JSON.stringify(statements)).not.toMatch(/identity\/keyring/);
      const readingKeys = statements.filter((s) => JSON.stringify(s.Resource).includes(verificationKeys));
      expect(readingKeys.map((s) => s.Action)).toEqual(['secretsmanager:GetSecretValue']);
    }
    // Nothing but identity may touch either identity secret, and no wildcard may reach them.
    for (const role of ['SystemFunction', 'AuditFunction', 'ClustersFunction', 'ResourcesFunction', 'TopologyFunction']) {
      expect(JSON.stringify(secretsOf(role))).not.toMatch(/identity\/keyring|identity\/\*|clusterhub\/\*/);
    }
  });

  it('lets only the clusters function delete a consumed kubeconfig import, and nothing else under imports/', () => {
    const onImports = FUNCTIONS.flatMap((role) =>
      statementsOf(role)
        .filter((st) => JSON.stringify(st.Resource).includes(':secret:clusterhub/imports/*'))
        .flatMap((st) => [st.Action].flat().map((action) => `${role} ${action}`)),
    );
    expect(onImports.sort()).toEqual(['ClustersFunction secretsmanager:DeleteSecret', 'ClustersFunction secretsmanager:GetSecretValue']);
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

  it.each(['ResourcesFunction', 'TopologyFunction'])(
    'lets the %s read cluster credentials and never write a secret, a cluster record or an identity item',
    (role) => {
      const secrets = statementsOf(role).filter((st) => [st.Action].flat().some((a) => a.startsWith('secretsmanager:')));
      expect(new Set(secrets.flatMap((st) => [st.Action].flat()))).toEqual(new Set(['secretsmanager:GetSecretValue']));
      expect(JSON.stringify(secrets)).toContain(':secret:clusterhub/clusters/*');
      for (const key of ['CLUSTER#c1', 'CLUSTERNAME#prod', 'USER#u1', 'SESSION#s1']) {
        for (const action of ['PutItem', 'UpdateItem', 'DeleteItem']) expect(isAllowed(statementsOf(role), item(action, key)), `${action} ${key}`).toBe(false);
      }
      expect(isAllowed(statementsOf(role), item('GetItem', 'CLUSTER#c1'))).toBe(true);
      expect(isAllowed(statementsOf(role), item('UpdateItem', 'CIRCUIT#c1'))).toBe(true);
    },
  );

  it('lets the environments function read cluster credentials, write its own records, and never a secret, a cluster record or an identity item', () => {
    const role = 'EnvironmentsFunction';
    const secrets = statementsOf(role).filter((st) => [st.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    expect(new Set(secrets.flatMap((st) => [st.Action].flat()))).toEqual(new Set(['secretsmanager:GetSecretValue']));
    for (const key of ['CLUSTER#c1', 'CLUSTERNAME#prod', 'USER#u1', 'SESSION#s1', 'OPERATION#o1']) {
      for (const action of ['PutItem', 'UpdateItem', 'DeleteItem']) expect(isAllowed(statementsOf(role), item(action, key)), `${action} ${key}`).toBe(false);
    }
    for (const key of ['ENV#e1', 'ENVNAME#prod', 'ENVCOUNT', 'APPINSTANCE#a1', 'APPINSTANCENAME#e1#shop', 'CIRCUIT#c1'])
      expect(isAllowed(statementsOf(role), item('PutItem', key)), key).toBe(true);
    expect(isAllowed(statementsOf(role), query('gsi2', 'APPINSTANCES#CLUSTER#c1'))).toBe(true);
    expect(isAllowed(statementsOf(role), query('gsi1', 'CLUSTERS'))).toBe(false);
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
    const allowed = statementsOf('SystemFunction').filter((st) => st.Effect === 'Allow');
    expect(JSON.stringify(allowed)).not.toMatch(/dynamodb:\*|PutItem|UpdateItem|DeleteItem|Scan|secretsmanager/);
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
  it('scopes every table statement of every function to leading keys, on keyed actions only, never on every index', () => {
    for (const role of FUNCTIONS) {
      const table = statementsOf(role).filter(
        (st) => [st.Action].flat().some((a) => a.startsWith('dynamodb:')) && !JSON.stringify(st.Resource).includes('StreamArn'),
      );
      expect(table.length, role).toBeGreaterThan(0);
      for (const st of table) {
        expect(
          st.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ??
            st.Condition?.['ForAllValues:StringEquals']?.['dynamodb:LeadingKeys'] ??
            st.Condition?.['ForAnyValue:StringLike']?.['dynamodb:LeadingKeys'],
          `${role} ${JSON.stringify(st)}`,
        ).toBeDefined();
        for (const action of [st.Action].flat()) expect(KEYED_TABLE_ACTIONS, role).toContain(action);
        expect(JSON.stringify(st.Resource), role).not.toContain('/index/*');
      }
    }
  });

  it('never lets the clusters function (which parses hostile kubeconfigs) write an identity item, whatever the action', () => {
    const identityItems = ['USER#u1', 'USERNAME#admin', 'SESSION#s1', 'APIKEY#k1', 'LOGIN#admin', 'LOGINSOURCE#203.0.113.7'];
    // What a taken-over function would write: a role, an owner, a hash (an update names the attributes it sets).
    const attempts = identityItems.flatMap((key) =>
      WRITES.map((action) => item(action.replace('dynamodb:', ''), key, { attributes: ['pk', 'sk', 'role', 'user_id', 'hash'] })),
    );
    // A grant (USER#<id> / GRANT#<cluster>) is a USER# key too: no Put, Update, Delete or ConditionCheck of one.
    expect(allowedOf('ClustersFunction', attempts)).toEqual([]);
    for (const request of attempts.filter((r) => r.leadingKeys[0] !== 'APIKEY#k1' || r.action !== 'dynamodb:UpdateItem')) {
      expect(decide(statementsOf('ClustersFunction'), request), JSON.stringify(request)).toBe('denied');
    }
    // An API key's last use is the one identity attribute it may set (authenticating with a key notes it).
    const touch = item('UpdateItem', 'APIKEY#k1', { attributes: ['pk', 'sk', 'last_used_at'] });
    expect(isAllowed(statementsOf('ClustersFunction'), touch)).toBe(true);
    for (const attributes of [
      ['pk', 'sk', 'user_id'],
      ['pk', 'sk', 'hash', 'last_used_at'],
      ['pk', 'sk', 'expires'],
    ]) {
      expect(isAllowed(statementsOf('ClustersFunction'), item('UpdateItem', 'APIKEY#k1', { attributes }))).toBe(false);
    }
    expect(isAllowed(statementsOf('ClustersFunction'), { ...touch, returnValues: 'ALL_OLD' })).toBe(false);
    // Its own partitions it may change.
    expect(
      allowedOf('ClustersFunction', [item('PutItem', 'CLUSTER#c1'), item('DeleteItem', 'CLUSTERNAME#prod'), item('UpdateItem', 'CIRCUIT#c1')]),
    ).toHaveLength(3);
  });

  it('lets no function update or delete an audit entry; entries are only ever put, by the functions that audit', () => {
    for (const role of FUNCTIONS) {
      for (const action of ['UpdateItem', 'DeleteItem']) {
        expect(decide(statementsOf(role), item(action, 'AUDIT')), `${role} ${action}`).toBe('denied');
        expect(decide(statementsOf(role), item(action, 'AUDIT#2026-12-01')), `${role} ${action} on a sharded partition`).toBe('denied');
      }
      expect(isAllowed(statementsOf(role), item('ConditionCheckItem', 'AUDIT')), role).toBe(false);
    }
    const writers = FUNCTIONS.filter((role) => isAllowed(statementsOf(role), item('PutItem', 'AUDIT')));
    expect(writers).toEqual([
      'IdentityFunction',
      'AuditFunction',
      'ClustersFunction',
      'ResourcesFunction',
      'TopologyFunction',
      'OperationsFunction',
      'ConsoleFunction',
      'EnvironmentsFunction',
    ]);
    // Only the audit function reads the trail, so the others cannot learn an entry's key to overwrite it.
    const readers = FUNCTIONS.filter((role) =>
      [item('GetItem', 'AUDIT'), query(undefined, 'AUDIT'), query('gsi1', 'AUDIT#USER#u1'), query('gsi2', 'AUDIT#CLUSTER#c1')].some((r) =>
        isAllowed(statementsOf(role), r),
      ),
    );
    expect(readers).toEqual(['AuditFunction']);
  });

  it('keeps the cache of built topology graphs to the topology function, which reads snapshot pointers and writes none', () => {
    const cache = [item('GetItem', 'TOPOGRAPH#c1'), item('PutItem', 'TOPOGRAPH#c1')];
    for (const role of FUNCTIONS)
      expect(allowedOf(role, cache), role).toEqual(role === 'TopologyFunction' ? ['GetItem TOPOGRAPH#c1', 'PutItem TOPOGRAPH#c1'] : []);
    expect(isAllowed(statementsOf('TopologyFunction'), item('GetItem', 'INVENTORY#c1'))).toBe(true);
    for (const action of ['PutItem', 'UpdateItem', 'DeleteItem'])
      expect(isAllowed(statementsOf('TopologyFunction'), item(action, 'INVENTORY#c1')), action).toBe(false);
  });

  it('scopes index queries by the index partition key, to the lists each function reads', () => {
    const lists = [
      query('gsi1', 'USERS'),
      query('gsi1', 'CLUSTERS'),
      query('gsi1', 'USER#u1#SESSIONS'),
      query('gsi1', 'USER#u1#APIKEYS'),
      query('gsi1', 'CLUSTER#c1#GRANTS'),
      query('gsi1', 'AUDIT#USER#u1'),
      query('gsi2', 'AUDIT#CLUSTER#c1'),
      // The table's own partition values name nothing on an index.
      query('gsi1', 'USER#u1'),
      query('gsi2', 'CLUSTER#c1'),
    ];
    expect(allowedOf('SystemFunction', lists)).toEqual(['Query gsi1 USERS', 'Query gsi1 CLUSTERS']);
    expect(allowedOf('IdentityFunction', lists)).toEqual(['Query gsi1 USERS', 'Query gsi1 USER#u1#SESSIONS', 'Query gsi1 USER#u1#APIKEYS']);
    expect(allowedOf('AuditFunction', lists)).toEqual(['Query gsi1 AUDIT#USER#u1', 'Query gsi2 AUDIT#CLUSTER#c1']);
    expect(allowedOf('ClustersFunction', lists)).toEqual(['Query gsi1 CLUSTERS']);
    expect(allowedOf('GrantSweeperFunction', lists)).toEqual(['Query gsi1 CLUSTER#c1#GRANTS']);
  });

  it('gives each function the table items of its own partitions, and reads of the principal to the authenticated ones', () => {
    const requests = [
      item('GetItem', 'HEALTH'),
      item('GetItem', 'SESSION#s1'),
      item('GetItem', 'APIKEY#k1'),
      query(undefined, 'USER#u1'),
      item('GetItem', 'USERNAME#admin'),
      item('GetItem', 'CLUSTER#c1'),
      item('GetItem', 'CLUSTERNAME#prod'),
      item('GetItem', 'CIRCUIT#c1'),
      item('UpdateItem', 'RATE#read#principal:u1'),
      item('PutItem', 'USER#u1'),
      item('PutItem', 'SESSION#s1'),
      item('PutItem', 'CLUSTER#c1'),
      item('DeleteItem', 'USER#u1'),
      // Login counters: per account and source, and per source.
      item('UpdateItem', 'LOGIN#admin'),
      item('UpdateItem', 'LOGINSOURCE#203.0.113.7'),
    ];
    expect(allowedOf('SystemFunction', requests)).toEqual(['GetItem HEALTH', 'GetItem CIRCUIT#c1']);
    expect(allowedOf('IdentityFunction', requests)).toEqual([
      'GetItem SESSION#s1',
      'GetItem APIKEY#k1',
      'Query USER#u1',
      'GetItem USERNAME#admin',
      'GetItem CLUSTER#c1',
      'UpdateItem RATE#read#principal:u1',
      'PutItem USER#u1',
      'PutItem SESSION#s1',
      'DeleteItem USER#u1',
      'UpdateItem LOGIN#admin',
      'UpdateItem LOGINSOURCE#203.0.113.7',
    ]);
    expect(allowedOf('AuditFunction', requests)).toEqual(['GetItem SESSION#s1', 'GetItem APIKEY#k1', 'Query USER#u1', 'UpdateItem RATE#read#principal:u1']);
    expect(allowedOf('ClustersFunction', requests)).toEqual([
      'GetItem SESSION#s1',
      'GetItem APIKEY#k1',
      'Query USER#u1',
      'GetItem CLUSTER#c1',
      'GetItem CLUSTERNAME#prod',
      'GetItem CIRCUIT#c1',
      'UpdateItem RATE#read#principal:u1',
      'PutItem CLUSTER#c1',
    ]);
    // The sweeper deletes grants (USER# items) and does nothing else with the table.
    expect(allowedOf('GrantSweeperFunction', requests)).toEqual(['DeleteItem USER#u1']);
  });

  it("streams the table's keys to the grant sweeper, filtered to removed cluster records, with retries, partial batch failures and a dead-letter queue", () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { StreamSpecification: { StreamViewType: 'KEYS_ONLY' } });
    const onStream = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter((m) =>
      JSON.stringify(m.Properties.EventSourceArn).includes('StreamArn'),
    );
    expect(onStream).toHaveLength(1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('GrantSweeperFunction') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: Match.anyValue(),
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('GrantSweeperDeadLetters'), 'Arn'] } } },
      FilterCriteria: {
        Filters: [{ Pattern: JSON.stringify({ eventName: ['REMOVE'], dynamodb: { Keys: { pk: { S: [{ prefix: 'CLUSTER#' }] }, sk: { S: ['CLUSTER'] } } } }) }],
      },
    });
  });
});

describe('the stateful and the stateless stack', () => {
  const typesOf = (t: Template) => new Set(Object.values(t.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type));

  it('keeps what holds data in the stateful stack, and every function, the API, schedules and mappings in the stateless one', () => {
    expect([...typesOf(dataTemplate)].sort()).toEqual([
      'AWS::CloudWatch::Alarm',
      'AWS::DynamoDB::GlobalTable',
      'AWS::S3::Bucket',
      'AWS::S3::BucketPolicy',
      'AWS::SNS::Topic',
      'AWS::SNS::TopicPolicy',
      'AWS::SQS::Queue',
      'AWS::SQS::QueuePolicy',
      'AWS::SecretsManager::Secret',
    ]);
    const service = typesOf(serviceTemplate);
    for (const stateful of ['AWS::DynamoDB::GlobalTable', 'AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::SecretsManager::Secret', 'AWS::SNS::Topic'])
      expect(service.has(stateful), stateful).toBe(false);
    for (const stateless of ['AWS::Lambda::Function', 'AWS::ApiGatewayV2::Api', 'AWS::Scheduler::Schedule', 'AWS::Lambda::EventSourceMapping'])
      expect(service.has(stateless), stateless).toBe(true);
    // The dead letters' alarms are the stateful stack's; the functions' and the API's, the stateless stack's.
    for (const alarm of Object.values(dataTemplate.findResources('AWS::CloudWatch::Alarm'))) expect(alarm.Properties.Namespace).toBe('AWS/SQS');
    for (const alarm of Object.values(serviceTemplate.findResources('AWS::CloudWatch::Alarm')))
      expect(['AWS/Lambda', 'AWS/ApiGateway']).toContain(alarm.Properties.Namespace);
  });

  it('gives the stateful resources the logical ids they had in the single stack, so a deployment of it keeps them in place', () => {
    // Renaming one of these makes CloudFormation replace the resource: a new, empty table or queue (docs/operations.md).
    expect(Object.keys(dataTemplate.toJSON().Resources).sort()).toEqual([
      'BackgroundWorkHealthSweepDeadLettersE191CAC0',
      'BackgroundWorkHealthSweepDeadLettersPolicy353E0DE2',
      'BackgroundWorkHealthSweepQueue3C9F8EAB',
      'BackgroundWorkHealthSweepQueuePolicy9C8FDD72',
      'BackgroundWorkInventoryDeadLetters5590F226',
      'BackgroundWorkInventoryDeadLettersPolicy51A0BAB0',
      'BackgroundWorkInventoryQueue31F7C789',
      'BackgroundWorkInventoryQueuePolicy4642AB2C',
      'BootstrapAdminPassword0857046D',
      'GrantSweeperDeadLetters1EEC1701',
      'GrantSweeperDeadLettersPolicy7BDC6DFF',
      'InventorySnapshotAccessLogsC43FB025',
      'InventorySnapshotAccessLogsPolicyA35C6FF6',
      'InventorySnapshots0376EF5B',
      'InventorySnapshotsPolicyCAEC5A32',
      'OperatorAlarmsGrantSweeperDeadLettersDepth8753B30D',
      'OperatorAlarmsHealthSweepDeadLettersDepth9076F143',
      'OperatorAlarmsInventoryDeadLettersDepth69D050FF',
      'OperatorAlarmsTopic14F3D9A2',
      'OperatorAlarmsTopicPolicy54495478',
      'TableCD117FA1',
    ]);
  });

  it('names the deployed resources in the stateful stack’s outputs, and the API in the stateless one’s', () => {
    const plain = (t: Template) => Object.keys(t.toJSON().Outputs ?? {}).filter((id) => !id.startsWith('Export'));
    expect(plain(dataTemplate).sort()).toEqual(
      [
        'AdminPasswordSecret',
        'AlarmTopic',
        'GrantSweeperDeadLettersUrl',
        'HealthSweepDeadLettersUrl',
        'HealthSweepQueueUrl',
        'InventoryDeadLettersUrl',
        'InventoryQueueUrl',
        'SecretPrefix',
        'SnapshotsBucket',
        'TableName',
      ].sort(),
    );
    expect(plain(serviceTemplate)).toEqual(['ApiUrl']);
  });
});
