import { circuit, cluster, clusterNameClaim } from '#shared/data/entities/clusters.ts';
import type { ClusterObservation, ClusterRecord } from '#shared/domain/clusters/cluster.ts';
import type { ClusterChanges, ClusterListFilter, ClusterRepository } from '#shared/domain/clusters/ports.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import type { Page } from '#shared/ports/page.ts';
import type { StoredItem, Table } from '../table.ts';

const clusterKey = (id: string) => cluster.key({ id });
const claimOf = (name: string, clusterId: string) => clusterNameClaim.item({ name, clusterId });
/** DynamoDB's IN takes at most 100 operands. */
const MAX_IN_OPERANDS = 100;
/** Queries per list call when hidden clusters leave a page short; past it, the page is returned short with its continue token. */
const MAX_LIST_ROUNDS = 5;

const toRecord = (item: Record<string, unknown>) => cluster.read(item);

/** The attributes an update writes (`null` removes one): a new name moves the cluster in the list by name too. */
const changedAttributes = (changes: ClusterChanges): Record<string, unknown> => ({
  ...cluster.write(changes as Partial<ClusterRecord>),
  ...(changes.name === undefined ? {} : cluster.indexKey('gsi1', { name: changes.name })),
});

/** Registered clusters, listed by name through gsi1, names unique through a claim item. */
export class DynamoClusterRepository implements ClusterRepository {
  constructor(private readonly table: Table) {}

  async create(c: Omit<ClusterRecord, 'version'>): Promise<ClusterRecord> {
    const item = cluster.item({ ...c, version: 1 });
    try {
      await this.table.createAll([item, claimOf(c.name, c.id)], `A cluster named ${c.name} is already registered.`);
    } catch (err) {
      if (err instanceof ConflictError) throw new ConflictError(err.message, 'CLUSTER_EXISTS');
      throw err;
    }
    return { ...toRecord(JSON.parse(JSON.stringify({ ...item, labels: undefined }))), labels: { ...c.labels } };
  }

  async get(id: string): Promise<ClusterRecord | undefined> {
    const item = await this.table.get(clusterKey(id), true);
    return item && toRecord(item);
  }

  async findByName(name: string): Promise<ClusterRecord | undefined> {
    const claim = await this.table.get(clusterNameClaim.key({ name }), true);
    return claim ? this.get(clusterNameClaim.read(claim).clusterId) : undefined;
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
      const page = await this.table.query<StoredItem>({
        index: 'gsi1',
        partition: cluster.indexPartition('gsi1', {}),
        limit: limit - items.length,
        cursor: next,
        filter: expression,
        // The token is bound to what the client asked, not to whose grants hide what: each page is filtered afresh.
        bindTo: { ...filter, hidden: undefined },
      });
      items.push(...page.items.map(toRecord).filter((c) => !hidden.has(c.id)));
      next = page.continue;
      if (!next || items.length >= limit) break;
    }
    return next ? { items, continue: next } : { items };
  }

  async update(c: ClusterRecord, changes: ClusterChanges): Promise<ClusterRecord> {
    const all: Record<string, unknown> = { ...changedAttributes({ ...changes, updatedAt: changes.updatedAt ?? new Date().toISOString() }) };
    const remove = Object.keys(all).filter((k) => all[k] === null);
    const attributes = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== null));
    const renamed = changes.name !== undefined && changes.name.toLowerCase() !== c.name.toLowerCase();
    if (!renamed) return toRecord(await this.table.update(clusterKey(c.id), attributes, c.version, remove));
    await this.table.updateMovingClaim(
      this.table.versionedUpdate(clusterKey(c.id), attributes, c.version, remove),
      { from: clusterNameClaim.key({ name: c.name }), to: claimOf(changes.name!, c.id) },
      `A cluster named ${changes.name} is already registered, or the cluster changed meanwhile.`,
    );
    const updated = await this.get(c.id);
    if (!updated) throw new ConflictError('The cluster was removed meanwhile.');
    return updated;
  }

  async recordObservation(id: string, o: ClusterObservation): Promise<ClusterRecord | undefined> {
    const observed = cluster.write({
      status: o.status,
      lastCheck: o.checkedAt,
      kubernetesVersion: o.kubernetesVersion,
      provider: o.provider,
      nodeCount: o.nodeCount,
      lastConnected: o.lastConnected,
      lastError: o.lastError ?? undefined,
    });
    const [lastCheck] = cluster.attributeNames('lastCheck');
    const [lastError] = cluster.attributeNames('lastError');
    const names: Record<string, string> = { '#check': lastCheck! };
    const values: Record<string, unknown> = { ':check': o.checkedAt };
    const sets = Object.entries(observed).map(([attr, v], i) => {
      names[`#o${i}`] = attr;
      values[`:o${i}`] = v;
      return `#o${i} = :o${i}`;
    });
    if (o.lastError === null) names['#error'] = lastError!;
    const out = await this.table.updateItem(clusterKey(id), {
      // Neither the version nor anything an admin edits: only what the probe saw.
      update: `SET ${sets.join(', ')}${o.lastError === null ? ' REMOVE #error' : ''}`,
      condition: 'attribute_exists(pk) AND (attribute_not_exists(#check) OR #check <= :check)',
      names,
      values,
      returnValues: 'ALL_NEW',
    });
    // Refused: a newer observation is stored (it stays), or the cluster was deleted meanwhile.
    return out.applied ? toRecord(out.attributes) : this.get(id);
  }

  async delete(c: ClusterRecord): Promise<void> {
    await this.table.transact(
      [
        { Delete: { TableName: this.table.name, Key: clusterKey(c.id) } },
        { Delete: { TableName: this.table.name, Key: clusterNameClaim.key({ name: c.name }) } },
        { Delete: { TableName: this.table.name, Key: circuit.key({ clusterId: c.id }) } },
      ],
      'The cluster changed meanwhile.',
    );
  }
}
