import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { tableDefinition } from '#shared/data/table-definition.ts';

/** The single table, built from the same definition as the local run and the tests. */
export function createDataTable(scope: Construct, options: { deletionProtection: boolean }): TableV2 {
  const key = (name: string) => ({ name, type: AttributeType.STRING });
  return new TableV2(scope, 'Table', {
    partitionKey: key(tableDefinition.partitionKey),
    sortKey: key(tableDefinition.sortKey),
    globalSecondaryIndexes: tableDefinition.indexes.map((i) => ({
      indexName: i.name,
      partitionKey: key(i.partitionKey),
      sortKey: key(i.sortKey),
    })),
    timeToLiveAttribute: tableDefinition.ttlAttribute,
    // Keys of changed items, for the grant sweeper (it reacts to removed cluster records).
    dynamoStream: StreamViewType.KEYS_ONLY,
    billing: Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: options.deletionProtection,
    removalPolicy: options.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
}
