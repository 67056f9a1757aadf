/**
 * The one table, as a plain description. The local run, the tests and the CDK
 * stack all build their table from this, so the three cannot drift apart.
 * Entities and their access patterns: docs/data-model.md.
 */
export interface IndexDefinition {
  name: string;
  partitionKey: string;
  sortKey: string;
}

export const tableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Generic overloaded indexes; each entity documents what it puts in them. */
  indexes: [
    { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  ] satisfies IndexDefinition[],
  /** Epoch seconds; DynamoDB deletes the item some time after. Readers must still check it. */
  ttlAttribute: 'ttl',
} as const;

export type IndexName = (typeof tableDefinition.indexes)[number]['name'];

export const DEFAULT_TABLE_NAME = 'clusterhub';
