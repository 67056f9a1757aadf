import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ClusterChanges, ClusterListFilter, ClusterObservation, ClusterRecord, ClusterRepository } from '#shared/domain/clusters/cluster.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import type { Page } from '#shared/ports/page.ts';
import type { StoredItem, Table } from '../table.ts';

export const clusterKey = (id: string) => ({ pk: `CLUSTER#${id}`, sk: 'CLUSTER' });
const nameKey = (name: string) => ({ pk: `CLUSTERNAME#${name.toLowerCase()}`, sk: 'CLUSTERNAME' });
const LIST_PARTITION = 'CLUSTERS';
/** DynamoDB's IN takes at most 100 operands. */
const MAX_IN_OPERANDS = 100;
/** Queries per list call when hidden clusters leave a page short; past it, the page is returned short with its continue token. */
const MAX_LIST_ROUNDS = 5;

interface ClusterItem extends StoredItem {
  id: string;
  name: string;
  name_lower: string;
  context: string;
  description: string;
  labels: Record<string, string>;
  server_url: string;
  kubernetes_version: string;
  provider: string;
  node_count: number;
  status: ClusterRecord['status'];
  active: boolean;
  credential_ref: string;
  credential_kind: ClusterRecord['credentialKind'];
  service_account?: ClusterRecord['serviceAccount'];
  impersonate?: boolean;
  created_at: string;
  updated_at: string;
  last_connected?: string;
  last_check?: string;
  last_error?: string;
}

const toRecord = (i: ClusterItem): ClusterRecord => ({
  id: i.id,
  name: i.name,
  context: i.context,
  description: i.description ?? '',
  labels: i.labels ?? {},
  serverUrl: i.server_url,
  kubernetesVersion: i.kubernetes_version,
  provider: i.provider,
  nodeCount: i.node_count,
  status: i.status,
  active: i.active,
  credentialRef: i.credential_ref,
  credentialKind: i.credential_kind,
  serviceAccount: i.service_account,
  ...(i.impersonate ? { impersonate: true } : {}),
  createdAt: i.created_at,
  updatedAt: i.updated_at,
  lastConnected: i.last_connected,
  lastCheck: i.last_check,
  lastError: i.last_error,
  version: i.version,
});

/**
 * Labels go to the marshaller as a Map: it refuses a plain object whose own key `constructor`
 * shadows Object.prototype's (and a label may be called that), a Map has no such keys.
 */
const storedLabels = (labels: Record<string, string> | undefined) => labels && new Map(Object.entries(labels));

const toAttributes = (c: ClusterChanges): Record<string, unknown> => ({
  name: c.name,
  name_lower: c.name?.toLowerCase(),
  gsi1sk: c.name?.toLowerCase(),
  context: c.context,
  description: c.description,
  labels: storedLabels(c.labels),
  server_url: c.serverUrl,
  kubernetes_version: c.kubernetesVersion,
  provider: c.provider,
  node_count: c.nodeCount,
  status: c.status,
  active: c.active,
  credential_ref: c.credentialRef,
  credential_kind: c.credentialKind,
  service_account: c.serviceAccount,
  impersonate: c.impersonate,
  updated_at: c.updatedAt,
  last_connected: c.lastConnected,
  last_check: c.lastCheck,
  last_error: c.lastError,
});

/** Registered clusters, listed by name through gsi1, names unique through a claim item. */
export class DynamoClusterRepository implements ClusterRepository {
  constructor(private readonly table: Table) {}

  async create(c: Omit<ClusterRecord, 'version'>): Promise<ClusterRecord> {
    const item = {
      ...clusterKey(c.id),
      entity: 'cluster',
      version: 1,
      gsi1pk: LIST_PARTITION,
      gsi1sk: c.name.toLowerCase(),
      id: c.id,
      created_at: c.createdAt,
      ...toAttributes(c),
    };
    try {
      await this.table.transact(
        [
          { Put: { TableName: this.table.name, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Put: {
              TableName: this.table.name,
              Item: { ...nameKey(c.name), entity: 'cluster-name', cluster_id: c.id, version: 1 },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
        `A cluster named ${c.name} is already registered.`,
      );
    } catch (err) {
      if (err instanceof ConflictError) throw new ConflictError(err.message, 'CLUSTER_EXISTS');
      throw err;
    }
    return { ...toRecord(JSON.parse(JSON.stringify({ ...item, labels: undefined })) as ClusterItem), labels: { ...c.labels } };
  }

  async get(id: string): Promise<ClusterRecord | undefined> {
    const item = await this.table.get<ClusterItem>(clusterKey(id), true);
    return item && toRecord(item);
  }

  async findByName(name: string): Promise<ClusterRecord | undefined> {
    const claim = await this.table.get<StoredItem & { cluster_id: string }>(nameKey(name), true);
    return claim ? this.get(claim.cluster_id) : undefined;
  }

  async list(filter: ClusterListFilter, limit: number, cursor?: string): Promise<Page<ClusterRecord>> {
    const conditions: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    if (filter.status) {
      conditions.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = filter.status;
    }
    if (filter.provider) {
      conditions.push('provider = :provider');
      values[':provider'] = filter.provider;
    }
    Object.entries(filter.labels ?? {}).forEach(([key, value], i) => {
      conditions.push(`#labels.#l${i} = :l${i}`);
      names['#labels'] = 'labels';
      names[`#l${i}`] = key;
      values[`:l${i}`] = value;
    });
    if (filter.search) {
      conditions.push('contains(name_lower, :search)');
      values[':search'] = filter.search.toLowerCase();
    }
    const hidden = new Set(filter.hidden ?? []);
    if (hidden.size) {
      // The table drops the first 100 hidden clusters; the code below drops every one, however many.
      const operands = [...hidden].slice(0, MAX_IN_OPERANDS).map((id, i) => {
        values[`:h${i}`] = id;
        return `:h${i}`;
      });
      conditions.push(`NOT (id IN (${operands.join(', ')}))`);
    }
    const expression = conditions.length ? { expression: conditions.join(' AND '), names, values } : undefined;
    const items: ClusterRecord[] = [];
    let next = cursor;
    // Dropping hidden clusters here can leave a page short: read on from where the last query stopped.
    // Every item before its continue token was evaluated, so resuming there skips and repeats nothing.
    for (let round = 0; round < MAX_LIST_ROUNDS; round++) {
      const page = await this.table.query<ClusterItem>({
        index: 'gsi1',
        partition: LIST_PARTITION,
        limit: limit - items.length,
        cursor: next,
        filter: expression,
        // The token is bound to what the client asked, not to whose grants hide what: each page is filtered afresh.
        bindTo: { ...filter, hidden: undefined },
      });
      items.push(...page.items.filter((i) => !hidden.has(i.id)).map(toRecord));
      next = page.continue;
      if (!next || items.length >= limit) break;
    }
    return next ? { items, continue: next } : { items };
  }

  async update(c: ClusterRecord, changes: ClusterChanges): Promise<ClusterRecord> {
    const all: Record<string, unknown> = { ...toAttributes(changes), updated_at: changes.updatedAt ?? new Date().toISOString() };
    const remove = Object.keys(all).filter((k) => all[k] === null);
    const attributes = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== null));
    const renamed = changes.name !== undefined && changes.name.toLowerCase() !== c.name.toLowerCase();
    if (!renamed) return toRecord(await this.table.update<ClusterItem>(clusterKey(c.id), attributes, c.version, remove));
    await this.table.updateMovingClaim(
      this.table.versionedUpdate(clusterKey(c.id), attributes, c.version, remove),
      { from: nameKey(c.name), to: nameKey(changes.name!), attributes: { entity: 'cluster-name', cluster_id: c.id } },
      `A cluster named ${changes.name} is already registered, or the cluster changed meanwhile.`,
    );
    const updated = await this.get(c.id);
    if (!updated) throw new ConflictError('The cluster was removed meanwhile.');
    return updated;
  }

  async recordObservation(id: string, o: ClusterObservation): Promise<ClusterRecord | undefined> {
    const observed: Record<string, unknown> = {
      status: o.status,
      last_check: o.checkedAt,
      kubernetes_version: o.kubernetesVersion,
      provider: o.provider,
      node_count: o.nodeCount,
      last_connected: o.lastConnected,
      last_error: o.lastError ?? undefined,
    };
    const names: Record<string, string> = { '#check': 'last_check' };
    const values: Record<string, unknown> = { ':check': o.checkedAt };
    const sets = Object.entries(observed)
      .filter(([, v]) => v !== undefined)
      .map(([attr, v], i) => {
        names[`#o${i}`] = attr;
        values[`:o${i}`] = v;
        return `#o${i} = :o${i}`;
      });
    if (o.lastError === null) names['#error'] = 'last_error';
    try {
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: clusterKey(id),
          // Neither the version nor anything an admin edits: only what the probe saw.
          UpdateExpression: `SET ${sets.join(', ')}${o.lastError === null ? ' REMOVE #error' : ''}`,
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#check) OR #check <= :check)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRecord(out.Attributes as ClusterItem);
    } catch (err) {
      // A newer observation is stored (it stays), or the cluster was deleted meanwhile.
      if (err instanceof ConditionalCheckFailedException) return this.get(id);
      throw err;
    }
  }

  async delete(c: ClusterRecord): Promise<void> {
    await this.table.transact(
      [
        { Delete: { TableName: this.table.name, Key: clusterKey(c.id) } },
        { Delete: { TableName: this.table.name, Key: nameKey(c.name) } },
        { Delete: { TableName: this.table.name, Key: { pk: `CIRCUIT#${c.id}`, sk: 'CIRCUIT' } } },
      ],
      'The cluster changed meanwhile.',
    );
  }
}
