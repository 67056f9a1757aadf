import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type GlobalSecondaryIndex,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { tableDefinition, type IndexDefinition } from '#shared/data/table-definition.ts';
import { createLogger, type Logger } from '#shared/observability/logger.ts';

/** The shape of a table definition (the shared one, or a narrower one in a test). */
export interface TableShape {
  partitionKey: string;
  sortKey: string;
  indexes: readonly IndexDefinition[];
  ttlAttribute: string;
}

const stringAttributes = (names: string[]) => [...new Set(names)].map((name) => ({ AttributeName: name, AttributeType: 'S' as const }));

function indexSpec(i: IndexDefinition): GlobalSecondaryIndex {
  return {
    IndexName: i.name,
    KeySchema: [
      { AttributeName: i.partitionKey, KeyType: 'HASH' },
      { AttributeName: i.sortKey, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'ALL' },
  };
}

/** The CreateTable request for the table definition (on-demand billing). */
export function createTableInput(tableName: string, definition: TableShape = tableDefinition): CreateTableCommandInput {
  const { partitionKey, sortKey, indexes } = definition;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: stringAttributes([partitionKey, sortKey, ...indexes.flatMap((i) => [i.partitionKey, i.sortKey])]),
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    // DynamoDB refuses an empty list: no indexes means no GlobalSecondaryIndexes at all.
    ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes.map(indexSpec) } : {}),
  };
}

export interface EnsureTableOptions {
  /** The definition to reconcile with; the shared one by default. */
  definition?: TableShape;
  /** Where reconciliation says what it did or left alone. */
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** How often to look whether the table and a new index are ACTIVE, and for how long at most. */
  pollIntervalMs?: number;
  timeoutMs?: number;
}

const sameKeys = (described: { KeySchema?: { AttributeName?: string; KeyType?: string }[] }, wanted: IndexDefinition) =>
  described.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName === wanted.partitionKey &&
  described.KeySchema?.find((k) => k.KeyType === 'RANGE')?.AttributeName === wanted.sortKey;

/**
 * Makes the table match its definition (local run and tests only; the CDK stack owns the
 * deployed table). A missing table is created with its indexes and TTL. An existing one, such as
 * the local run's table kept in `.data/` across restarts, is reconciled: every index of the
 * definition it lacks is created (one UpdateTable at a time, as DynamoDB requires, waiting until
 * it is ACTIVE), and TTL is enabled on the definition's attribute when it is off. Nothing is ever
 * deleted: an index the definition does not know, an index whose keys differ from it, or TTL on
 * another attribute is logged and left alone. Returns what it had to do.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, options: EnsureTableOptions = {}): Promise<'created' | 'updated' | 'exists'> {
  const definition = options.definition ?? tableDefinition;
  const logger = options.logger ?? createLogger({ component: 'ensure-table' });
  const poll = options.pollIntervalMs ?? 500;
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);

  const describe = async (): Promise<TableDescription | undefined> => {
    try {
      return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return undefined;
      throw err;
    }
  };
  /** Waits until the table and all its indexes are ACTIVE (nothing else may change meanwhile). */
  const settled = async (described?: TableDescription): Promise<TableDescription> => {
    for (let table = described ?? (await describe()); ; table = await describe()) {
      if (!table) throw new Error(`table ${tableName} disappeared while it was being reconciled`);
      const busy = table.TableStatus !== 'ACTIVE' || (table.GlobalSecondaryIndexes ?? []).some((i) => i.IndexStatus !== 'ACTIVE');
      if (!busy) return table;
      if (Date.now() > deadline) throw new Error(`table ${tableName} is still ${table.TableStatus} (an index is being built) after the wait`);
      await new Promise((resolve) => setTimeout(resolve, poll));
    }
  };

  let outcome: 'created' | 'updated' | 'exists' = 'exists';
  let table = await describe();
  if (!table) {
    await client.send(new CreateTableCommand(createTableInput(tableName, definition)));
    outcome = 'created';
  }
  table = await settled(table);

  const described = table.GlobalSecondaryIndexes ?? [];
  for (const extra of described.filter((d) => !definition.indexes.some((i) => i.name === d.IndexName))) {
    logger.warn('table index not in the definition: left in place, never deleted', { table: tableName, index: extra.IndexName });
  }
  for (const wanted of definition.indexes) {
    const existing = described.find((d) => d.IndexName === wanted.name);
    if (existing) {
      if (!sameKeys(existing, wanted)) {
        logger.warn('table index keys differ from the definition: left as they are (an index cannot change in place)', {
          table: tableName,
          index: wanted.name,
        });
      }
      continue;
    }
    const provisioned = table.BillingModeSummary?.BillingMode !== 'PAY_PER_REQUEST' && table.ProvisionedThroughput?.ReadCapacityUnits;
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: stringAttributes([wanted.partitionKey, wanted.sortKey]),
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              ...indexSpec(wanted),
              ...(provisioned
                ? {
                    ProvisionedThroughput: {
                      ReadCapacityUnits: table.ProvisionedThroughput!.ReadCapacityUnits!,
                      WriteCapacityUnits: table.ProvisionedThroughput!.WriteCapacityUnits!,
                    },
                  }
                : {}),
            },
          },
        ],
      }),
    );
    table = await settled();
    logger.info('table index created from the definition', { table: tableName, index: wanted.name });
    if (outcome === 'exists') outcome = 'updated';
  }

  const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }))).TimeToLiveDescription;
  const status = ttl?.TimeToLiveStatus ?? 'DISABLED';
  if (status === 'DISABLED') {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true },
      }),
    );
    if (outcome !== 'created') {
      logger.info('table TTL enabled from the definition', { table: tableName, attribute: definition.ttlAttribute });
      outcome = 'updated';
    }
  } else if (ttl?.AttributeName !== definition.ttlAttribute || status === 'DISABLING') {
    logger.warn('table TTL is being turned off or is on another attribute than the definition: left as it is', {
      table: tableName,
      attribute: ttl?.AttributeName,
      wanted: definition.ttlAttribute,
      status,
    });
  }
  return outcome;
}
