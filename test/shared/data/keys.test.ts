/**
 * The entity declarations of shared/data/entities/ are the table's one description of its keys:
 * docs/data-model.md lists exactly them, and the items the repositories really write on DynamoDB
 * Local carry exactly the keys and attributes their declaration gives them.
 */
import { DynamoTopologyCache } from '#shared/adapters/dynamodb/topology/graph-cache.ts';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoLeaseStore } from '#shared/adapters/dynamodb/background/lease-store.ts';
import { DynamoOperationStore } from '#shared/adapters/dynamodb/background/operation-store.ts';
import { DynamoCircuitBreaker } from '#shared/adapters/dynamodb/clusters/circuit-breaker.ts';
import { DynamoClusterRepository } from '#shared/adapters/dynamodb/clusters/cluster-repository.ts';
import { ensureTable } from '#shared/adapters/dynamodb/create-table.ts';
import { DynamoHealthStore } from '#shared/adapters/dynamodb/health/health-store.ts';
import { DynamoHubEventLog } from '#shared/adapters/dynamodb/hub-event-log.ts';
import { DynamoApiKeyRepository } from '#shared/adapters/dynamodb/identity/api-key-repository.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/identity/audit-log.ts';
import { DynamoLoginCounterStore } from '#shared/adapters/dynamodb/identity/login-counters.ts';
import { DynamoSessionRepository } from '#shared/adapters/dynamodb/identity/session-repository.ts';
import { DynamoUserRepository } from '#shared/adapters/dynamodb/identity/user-repository.ts';
import { DynamoEnvironmentStore } from '#shared/adapters/dynamodb/environments/environment-store.ts';
import { DynamoPromotionStore } from '#shared/adapters/dynamodb/environments/promotion-store.ts';
import { DynamoSyncHistory } from '#shared/adapters/dynamodb/environments/sync-history.ts';
import { DynamoInventoryStore } from '#shared/adapters/dynamodb/inventory/inventory-store.ts';
import { DynamoRateLimiter } from '#shared/adapters/dynamodb/rate-limiter.ts';
import { Table } from '#shared/adapters/dynamodb/table.ts';
import { Entity, KeyTemplate } from '#shared/data/entity.ts';
import { tableDefinition } from '#shared/data/table-definition.ts';
import { localDynamoDbClient } from '#infra/local/dynamodb-local.ts';
import { clusterRecord } from '#test/support/clusters.ts';

type AnyEntity = Entity<{ entity: string; pk: string; sk: string }, unknown>;

/** Every declaration, found by reading the folder: a new context's file is checked without being listed here. */
async function declaredEntities(): Promise<{ name: string; entity: AnyEntity }[]> {
  const folder = join(import.meta.dirname, '../../../shared/data/entities');
  const found: { name: string; entity: AnyEntity }[] = [];
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.ts'))) {
    const module = (await import(join(folder, file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) if (value instanceof Entity) found.push({ name: `${file}:${name}`, entity: value as AnyEntity });
  }
  return found;
}

interface DocumentedEntity {
  entity: string;
  pk: string;
  sk: string;
  indexes: Record<string, string>;
}

/** The rows of the Entities table of docs/data-model.md. */
function documentedEntities(): DocumentedEntity[] {
  const text = readFileSync(join(import.meta.dirname, '../../../docs/data-model.md'), 'utf8');
  const section = text.slice(text.indexOf('## Entities'), text.indexOf('\n## ', text.indexOf('## Entities') + 1));
  const rows = section.split('\n').filter((line) => line.startsWith('| '));
  const header = rows[0]!.split('|').map((c) => c.trim());
  return rows.slice(2).map((row) => {
    const cells = Object.fromEntries(
      row
        .split('|')
        .map((c) => c.trim())
        .map((c, i) => [header[i], c]),
    ) as Record<string, string>;
    const code = (cell: string) => /^`([^`]*)`$/.exec(cell)?.[1] ?? `not one template: ${cell}`;
    const indexes = Object.fromEntries(
      tableDefinition.indexes
        .map((i) => [i.name, cells[`${i.name} (pk / sk)`] ?? ''] as const)
        .filter(([, cell]) => cell !== '')
        .map(([name, cell]) => [name, cell]),
    );
    return { entity: /^`([^`]+)`/.exec(cells.entity!)?.[1] ?? '', pk: code(cells.pk!), sk: code(cells.sk!), indexes };
  });
}

const indexCell = (index: { pk: KeyTemplate; sk: KeyTemplate }) => `\`${index.pk.template}\` / \`${index.sk.template}\``;

describe('docs/data-model.md', () => {
  it('lists each declared entity once, with each of its key templates, and nothing that is not declared', async () => {
    const declared = (await declaredEntities()).map(({ entity }) => ({
      entity: entity.entity,
      pk: entity.pk.template,
      sk: entity.sk.template,
      indexes: Object.fromEntries(entity.indexes.map((i) => [i.name, indexCell(i)])),
    }));
    expect(declared.length).toBeGreaterThan(10);
    const byKey = (e: DocumentedEntity) => `${e.entity} ${e.pk} ${e.sk}`;
    const sorted = (list: DocumentedEntity[]) => [...list].sort((a, b) => byKey(a).localeCompare(byKey(b)));
    expect(sorted(documentedEntities())).toEqual(sorted(declared));
  });
});

describe('what the repositories write', () => {
  const client = localDynamoDbClient(process.env.AWS_ENDPOINT_URL_DYNAMODB!);
  const table = new Table(client, `keys-${randomUUID()}`);
  const at = '2026-03-01T10:00:00.000Z';
  const later = '2026-04-01T10:00:00.000Z';

  beforeAll(async () => {
    await ensureTable(client, table.name);
  });
  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName: table.name }));
  });

  /** One of every entity the hub writes, through the adapters the functions use. */
  async function writeOneOfEach() {
    const users = new DynamoUserRepository(table);
    const user = await users.create({
      id: randomUUID(),
      username: 'Keys-Zoe',
      role: 'viewer',
      passwordHash: 'h',
      failedLogins: 0,
      createdAt: at,
      updatedAt: at,
    });
    await users.update(user, { username: 'Keys-Zed', totp: { sealedSecret: 'sealed', enabled: true } });
    await users.recordLogin(user.id, at, undefined, { '192.0.2.1': at });
    const clusters = new DynamoClusterRepository(table);
    const cluster = await clusters.create(clusterRecord('Keys-Prod'));
    await clusters.recordObservation(cluster.id, { status: 'connected', checkedAt: at, kubernetesVersion: 'v1.31.0', nodeCount: 2, lastError: null });
    await users.setClusterPermission(user.id, cluster.id, 'operator');
    await new DynamoSessionRepository(table).create({ id: randomUUID(), userId: user.id, refreshHash: 'r', revoked: false, createdAt: at, expiresAt: later });
    await new DynamoApiKeyRepository(table).create({
      id: randomUUID(),
      userId: user.id,
      name: 'ci',
      hash: 'h',
      prefix: 'chk_',
      createdAt: at,
      expiresAt: later,
      owner: { role: 'viewer', passwordStamp: 'stamp' },
    });
    const audit = new DynamoAuditLog(table, 30);
    const entry = { username: null, resourceKind: null, resourceId: null, statusCode: 200, requestIp: null, requestId: null, details: {} };
    await audit.record({ ...entry, id: randomUUID(), timestamp: at, userId: user.id, clusterId: cluster.id, action: 'cluster.update' });
    await audit.record({ ...entry, id: randomUUID(), timestamp: at, userId: null, clusterId: null, action: 'auth.login_failed' });
    const counters = new DynamoLoginCounterStore(table);
    const now = Math.floor(Date.parse(at) / 1000);
    await counters.count({ kind: 'source', source: '192.0.2.7' }, 20, now, now + 900);
    await counters.count({ kind: 'source-on-account', account: 'keys-zed', source: '192.0.2.7' }, 5, now, now + 900);
    await counters.count({ kind: 'account', account: 'keys-zed' }, 5, now, now + 900);
    await counters.replace({ kind: 'account', account: 'keys-zed' }, { count: 1, expiresAt: now + 900 }, { count: 1, expiresAt: now + 3600, nextAt: now + 30 });
    await new DynamoRateLimiter(table).hit('auth', 'ip:192.0.2.7', 10, 60, new Date(at));
    await new DynamoCircuitBreaker(table).recordFailure(cluster.id, new Date(at));
    await writeBackgroundAndFleetItems(cluster.id, user.id);
    const environments = new DynamoEnvironmentStore(table);
    const stamps = { createdBy: user.id, createdAt: at, updatedAt: at };
    const env = await environments.createEnvironment(
      { id: randomUUID(), name: 'Keys-Staging', description: '', color: '#123456', order: 10, requireApproval: true, instanceCount: 0, ...stamps },
      100,
    );
    const instance = await environments.createInstance(
      { id: randomUUID(), name: 'Keys-Shop', environmentId: env.id, clusterId: cluster.id, namespace: 'shop', ...stamps },
      200,
    );
    await environments.updateInstance(instance, { name: 'Keys-Store' }, later);
    await environments.updateEnvironment((await environments.getEnvironment(env.id))!, { name: 'Keys-Stage', order: 5 }, later);
    const history = new DynamoSyncHistory(table);
    const syncId = randomUUID();
    await history.record({
      id: syncId,
      kind: 'services',
      sourceAppInstanceId: instance.id,
      targetAppInstanceIds: [instance.id],
      environmentIds: [env.id],
      clusterIds: [cluster.id],
      objects: ['web'],
      requestedBy: user.id,
      username: 'Keys-Zed',
      at,
      state: 'applied',
      results: [
        {
          app_instance_id: instance.id,
          environment_id: env.id,
          state: 'applied',
          changes: [{ object: 'deployments/web', field: 'app', before: 'a:1', after: 'a:2' }],
        },
      ],
    });
    await history.markRolledBack(syncId);
    const promotions = new DynamoPromotionStore(table);
    const asked = await promotions.create({
      id: randomUUID(),
      sourceAppInstanceId: instance.id,
      targetAppInstanceId: instance.id,
      clusterId: cluster.id,
      environmentId: env.id,
      services: ['web'],
      configmaps: [{ name: 'app-config', keys: ['LOG_LEVEL'] }],
      secrets: [],
      reason: 'release',
      state: 'pending',
      requestedBy: user.id,
      requesterName: 'Keys-Zed',
      syncIds: [],
      createdAt: at,
      updatedAt: at,
    });
    await promotions.update(asked, { state: 'applied', decidedBy: user.id, deciderName: 'Keys-Zed', decidedAt: later, syncIds: [syncId], updatedAt: later });
  }

  /** The background backbone's, the health sweep's and the inventory's items, on one cluster. */
  async function writeBackgroundAndFleetItems(clusterId: string, userId: string) {
    const progress = { state: 'succeeded' as const, detail: 'swept', data: { status: 'healthy' }, updatedAt: at };
    const operation = { id: randomUUID(), kind: 'health-sweep', requestedBy: userId, createdAt: at, clusters: { [clusterId]: progress } };
    await new DynamoOperationStore(table).create(operation, 'keys-idempotency-key');
    await new DynamoLeaseStore(table, { now: () => new Date(at) }).acquire(clusterId, 'health-sweep', randomUUID(), 900);
    const facts = {
      reachable: true,
      latency_ms: 12,
      version: 'v1.31.0',
      nodes: null,
      pods: null,
      workloads: null,
      expiring: [],
      expiring_total: 0,
      unreadable: [],
    };
    await new DynamoHealthStore(table).record({
      ...facts,
      cluster_id: clusterId,
      cluster_name: 'Keys-Prod',
      checked_at: at,
      status: 'healthy',
      reasons: [],
      consecutive_failures: 0,
      transition: { from: null, to: 'healthy', at },
    });
    await new DynamoHubEventLog(table).publish({ type: 'cluster.health.changed', id: randomUUID(), at, cluster_id: clusterId, detail: { to: 'healthy' } });
    const snapshot = {
      cluster_id: clusterId,
      taken_at: at,
      blob_key: `inventory/${clusterId}/${at}.json.gz`,
      object_count: 1,
      counts: { Pod: 1 },
      unreadable: [],
      digest: 'd1',
    };
    const change = {
      cluster_id: clusterId,
      at,
      change: 'added' as const,
      kind: 'Pod',
      api_version: 'v1',
      namespace: 'default',
      name: 'web',
      uid: randomUUID(),
      changed: [],
      old_images: null,
      new_images: ['nginx:1.27'],
      old_status: null,
      new_status: 'Running',
    };
    const use = { image: 'nginx:1.27', cluster_id: clusterId, cluster_name: 'Keys-Prod', taken_at: at, pods: 1, workloads: [], workload_count: 0 };
    await new DynamoInventoryStore(table).saveSnapshot({ ...snapshot, checked_at: at }, [change], [{ image: use.image, after: use }]);
    await new DynamoTopologyCache(table).put(clusterId, 'view-digest', { body: new Uint8Array([31, 139]), builtAt: at, expiresAt: Date.parse(at) + 30_000 });
  }

  /** Maps (labels go to the marshaller as one) compare as the plain objects they are read back as. */
  const plain = (value: unknown): unknown => (value instanceof Map ? Object.fromEntries(value) : value);

  it('keys every item as its declaration says, and its declaration reads and writes back every attribute it names', async () => {
    await writeOneOfEach();
    const declared = await declaredEntities();
    // A scan is fine here: the table is this test's own.
    const items = (await table.doc.send(new ScanCommand({ TableName: table.name }))).Items ?? [];
    const keyAttributes = ['pk', 'sk', 'entity', ...tableDefinition.indexes.flatMap((i) => [i.partitionKey, i.sortKey])];
    const seen = new Set<string>();
    for (const item of items) {
      const owners = declared.filter(({ entity }) => entity.holds(item as { pk: string; sk: string; entity: string }));
      expect(
        owners.map((o) => o.name),
        `the declaration of ${item.pk} / ${item.sk}`,
      ).toHaveLength(1);
      const { name, entity } = owners[0]!;
      seen.add(name);
      // The values the stored keys were built from, each placeholder read out of the key it stands in...
      const parsed: Record<string, string> = {};
      const templates: [KeyTemplate, unknown][] = [
        [entity.pk, item.pk],
        [entity.sk, item.sk],
        ...entity.indexes.flatMap((i) => [[i.pk, item[`${i.name}pk`]] as [KeyTemplate, unknown], [i.sk, item[`${i.name}sk`]] as [KeyTemplate, unknown]]),
      ];
      for (const [template, value] of templates) if (typeof value === 'string') Object.assign(parsed, template.parse(value));
      // ...and from the record the item holds: built again from those, the keys are the stored ones, no more, no fewer.
      const record = Object.fromEntries(
        Object.entries(entity.attributes ? (entity.read(item) as object) : {}).filter(([, v]) => v !== undefined && v !== null),
      );
      const rebuilt = entity.keys({ ...parsed, ...record } as never) as Record<string, unknown>;
      const stored = Object.fromEntries(keyAttributes.filter((a) => item[a] !== undefined).map((a) => [a, item[a]]));
      expect(stored, name).toEqual(rebuilt);
      if (entity.attributes) {
        // Read, then written again: each attribute the item has comes out as it was stored (absent ones read as their default).
        const written = Object.entries(entity.attributes.write(entity.read(item) as never)).filter(([k]) => item[k] !== undefined);
        expect(written.length, name).toBeGreaterThan(0);
        expect(Object.fromEntries(written.map(([k, v]) => [k, plain(v)])), name).toEqual(Object.fromEntries(written.map(([k]) => [k, item[k]])));
      }
    }
    // The health probe is never written; Powertools writes the job workers' idempotency records in its own
    // layout, with no `entity` attribute (test/functions/background-work.test.ts finds them in their partition).
    const neverWritten = declared.filter(({ entity }) => ['health-probe', 'idempotency'].includes(entity.entity)).map((d) => d.name);
    expect([...seen].sort()).toEqual(
      declared
        .map((d) => d.name)
        .filter((n) => !neverWritten.includes(n))
        .sort(),
    );
  });
});
