import { appInstance, appInstanceNameClaim, environment, environmentCount, environmentNameClaim, orderKey } from '#shared/data/entities/environments.ts';
import { ConflictError, NotFoundError } from '#shared/domain/errors.ts';
import type {
  AppInstanceChanges,
  AppInstanceFilter,
  AppInstanceRecord,
  EnvironmentChanges,
  EnvironmentRecord,
  EnvironmentStore,
} from '#shared/domain/environments/records.ts';
import type { Page } from '#shared/ports/page.ts';
import type { StoredItem, Table, TransactItem } from '../table.ts';

const readEnvironment = (item: Record<string, unknown>): EnvironmentRecord => ({ ...environment.read(item), version: item.version as number });
const readInstance = (item: Record<string, unknown>): AppInstanceRecord => ({ ...appInstance.read(item), version: item.version as number });

/** The attributes an update writes, with the index keys that move when the name (or order) changes. */
function setAndRemove(all: Record<string, unknown>) {
  const remove = Object.keys(all).filter((k) => all[k] === null);
  const attributes = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== null && v !== undefined));
  return { attributes, remove };
}

/** Environments and app instances in the one table; names unique through claim items, counts kept in transactions. */
export class DynamoEnvironmentStore implements EnvironmentStore {
  constructor(private readonly table: Table) {}

  /** Adds `delta` to a counter attribute; a counter item of its own (`entity` given) is created by the first add. */
  private counted(key: { pk: string; sk: string }, attribute: string, delta: 1 | -1, max?: number, mustExist = false, entity?: string): TransactItem {
    const condition =
      delta === 1 && max !== undefined
        ? `${mustExist ? 'attribute_exists(pk) AND ' : ''}(attribute_not_exists(#n) OR #n < :max)`
        : mustExist
          ? 'attribute_exists(pk)'
          : undefined;
    return {
      Update: {
        TableName: this.table.name,
        Key: key,
        UpdateExpression: `SET #n = if_not_exists(#n, :zero) + :delta${entity ? ', #e = :entity' : ''}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: { '#n': attribute, ...(entity ? { '#e': 'entity' } : {}) },
        ExpressionAttributeValues: {
          ':zero': 0,
          ':delta': delta,
          ...(condition?.includes(':max') ? { ':max': max } : {}),
          ...(entity ? { ':entity': entity } : {}),
        },
      },
    };
  }

  async createEnvironment(record: Omit<EnvironmentRecord, 'version'>, maxEnvironments: number): Promise<EnvironmentRecord> {
    const item = { ...environment.item({ ...record, rank: orderKey(record.order) }), version: 1 };
    const claim = { ...environmentNameClaim.item({ name: record.name, environmentId: record.id }), version: 1 };
    const [countAttribute] = environmentCount.attributeNames('count');
    try {
      await this.table.transact(
        [
          { Put: { TableName: this.table.name, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
          { Put: { TableName: this.table.name, Item: claim, ConditionExpression: 'attribute_not_exists(pk)' } },
          this.counted(environmentCount.key({}), countAttribute!, 1, maxEnvironments, false, environmentCount.entity),
        ],
        'conflict',
      );
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const counter = await this.table.get(environmentCount.key({}), true);
      if (counter && environmentCount.read(counter).count >= maxEnvironments)
        throw new ConflictError(`There are already ${maxEnvironments} environments, the most the hub keeps.`, 'LIMIT_REACHED');
      throw new ConflictError(`An environment named ${record.name} exists.`, 'ENVIRONMENT_EXISTS');
    }
    return readEnvironment(item);
  }

  async getEnvironment(id: string): Promise<EnvironmentRecord | undefined> {
    const item = await this.table.get(environment.key({ id }), true);
    return item && environment.holds(item) ? readEnvironment(item) : undefined;
  }

  async listEnvironments(limit: number, cursor?: string): Promise<Page<EnvironmentRecord>> {
    const page = await this.table.query<StoredItem>({ index: 'gsi1', partition: environment.indexPartition('gsi1', {}), limit, cursor });
    return { items: page.items.map(readEnvironment), ...(page.continue ? { continue: page.continue } : {}) };
  }

  async updateEnvironment(record: EnvironmentRecord, changes: EnvironmentChanges, at: string): Promise<EnvironmentRecord> {
    const name = changes.name ?? record.name;
    const order = changes.order ?? record.order;
    const { attributes, remove } = setAndRemove({
      ...environment.write({ ...changes, updatedAt: at }),
      ...environment.indexKey('gsi1', { rank: orderKey(order), name }),
    });
    const key = environment.key({ id: record.id });
    const renamed = changes.name !== undefined && changes.name.toLowerCase() !== record.name.toLowerCase();
    if (!renamed) return readEnvironment(await this.table.update(key, attributes, record.version, remove));
    await this.table.updateMovingClaim(
      this.table.versionedUpdate(key, attributes, record.version, remove),
      { from: environmentNameClaim.key({ name: record.name }), to: environmentNameClaim.item({ name, environmentId: record.id }) },
      `An environment named ${name} exists, or the environment changed meanwhile.`,
    );
    const updated = await this.getEnvironment(record.id);
    if (!updated) throw new NotFoundError(`Environment ${record.id} does not exist.`);
    return updated;
  }

  async deleteEnvironment(record: EnvironmentRecord): Promise<void> {
    const [countAttribute] = environment.attributeNames('instanceCount');
    const [environments] = environmentCount.attributeNames('count');
    await this.table
      .transact(
        [
          {
            Delete: {
              TableName: this.table.name,
              Key: environment.key({ id: record.id }),
              ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#n) OR #n = :zero)',
              ExpressionAttributeNames: { '#n': countAttribute! },
              ExpressionAttributeValues: { ':zero': 0 },
            },
          },
          { Delete: { TableName: this.table.name, Key: environmentNameClaim.key({ name: record.name }) } },
          this.counted(environmentCount.key({}), environments!, -1, undefined, false, environmentCount.entity),
        ],
        'The environment holds app instances, or it changed meanwhile.',
      )
      .catch((err: unknown) => {
        if (err instanceof ConflictError) throw new ConflictError(err.message, 'ENVIRONMENT_NOT_EMPTY');
        throw err;
      });
  }

  async createInstance(record: Omit<AppInstanceRecord, 'version'>, maxPerEnvironment: number): Promise<AppInstanceRecord> {
    const item = { ...appInstance.item(record), version: 1 };
    const claim = { ...appInstanceNameClaim.item({ environmentId: record.environmentId, name: record.name, appInstanceId: record.id }), version: 1 };
    const [countAttribute] = environment.attributeNames('instanceCount');
    try {
      await this.table.transact(
        [
          { Put: { TableName: this.table.name, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
          { Put: { TableName: this.table.name, Item: claim, ConditionExpression: 'attribute_not_exists(pk)' } },
          this.counted(environment.key({ id: record.environmentId }), countAttribute!, 1, maxPerEnvironment, true),
        ],
        'conflict',
      );
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const env = await this.getEnvironment(record.environmentId);
      if (!env) throw new NotFoundError(`Environment ${record.environmentId} does not exist.`);
      if (env.instanceCount >= maxPerEnvironment)
        throw new ConflictError(`The environment holds ${maxPerEnvironment} app instances, the most it may.`, 'LIMIT_REACHED');
      throw new ConflictError(`The environment has an app instance named ${record.name}.`, 'APP_INSTANCE_EXISTS');
    }
    return readInstance(item);
  }

  async getInstance(id: string): Promise<AppInstanceRecord | undefined> {
    const item = await this.table.get(appInstance.key({ id }), true);
    return item && appInstance.holds(item) ? readInstance(item) : undefined;
  }

  async listInstances(filter: AppInstanceFilter, limit: number, cursor?: string): Promise<Page<AppInstanceRecord>> {
    const beginsWith = filter.environmentId ? `${filter.environmentId}#` : undefined;
    const page = filter.clusterId
      ? await this.table.query<StoredItem>({
          index: 'gsi2',
          partition: appInstance.indexPartition('gsi2', { clusterId: filter.clusterId }),
          beginsWith,
          limit,
          cursor,
        })
      : await this.table.query<StoredItem>({ index: 'gsi1', partition: appInstance.indexPartition('gsi1', {}), beginsWith, limit, cursor });
    return { items: page.items.map(readInstance), ...(page.continue ? { continue: page.continue } : {}) };
  }

  async updateInstance(record: AppInstanceRecord, changes: AppInstanceChanges, at: string): Promise<AppInstanceRecord> {
    const name = changes.name ?? record.name;
    const index = { environmentId: record.environmentId, name };
    const { attributes, remove } = setAndRemove({
      ...appInstance.write({ ...changes, updatedAt: at }),
      ...appInstance.indexKey('gsi1', index),
      ...appInstance.indexKey('gsi2', { ...index, clusterId: record.clusterId }),
    });
    const key = appInstance.key({ id: record.id });
    const renamed = changes.name !== undefined && changes.name.toLowerCase() !== record.name.toLowerCase();
    if (!renamed) return readInstance(await this.table.update(key, attributes, record.version, remove));
    await this.table.updateMovingClaim(
      this.table.versionedUpdate(key, attributes, record.version, remove),
      {
        from: appInstanceNameClaim.key({ environmentId: record.environmentId, name: record.name }),
        to: appInstanceNameClaim.item({ environmentId: record.environmentId, name, appInstanceId: record.id }),
      },
      `The environment has an app instance named ${name}, or the instance changed meanwhile.`,
    );
    const updated = await this.getInstance(record.id);
    if (!updated) throw new NotFoundError(`App instance ${record.id} does not exist.`);
    return updated;
  }

  async deleteInstance(record: AppInstanceRecord): Promise<void> {
    const [countAttribute] = environment.attributeNames('instanceCount');
    await this.table.transact(
      [
        { Delete: { TableName: this.table.name, Key: appInstance.key({ id: record.id }), ConditionExpression: 'attribute_exists(pk)' } },
        { Delete: { TableName: this.table.name, Key: appInstanceNameClaim.key({ environmentId: record.environmentId, name: record.name }) } },
        this.counted(environment.key({ id: record.environmentId }), countAttribute!, -1, undefined, true),
      ],
      'The app instance was removed meanwhile.',
    );
  }
}
