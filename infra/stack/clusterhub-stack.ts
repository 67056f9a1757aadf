import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { HubFunction } from '../constructs/hub-function.ts';
import { createDataTable } from './data-table.ts';

export interface ClusterhubStackProps extends StackProps {
  /** Keep the table from being deleted with the stack (default true). */
  deletionProtection?: boolean;
  /** Prefix of every Secrets Manager secret the hub owns. */
  secretPrefix?: string;
}

/**
 * The whole product on AWS: one table, one HTTP API on the $default stage,
 * and one Lambda per endpoint group, each allowed only what its group does.
 */
export class ClusterhubStack extends Stack {
  constructor(scope: Construct, id: string, props: ClusterhubStackProps = {}) {
    super(scope, id, props);
    const secretPrefix = props.secretPrefix ?? 'clusterhub/';
    const table = createDataTable(this, { deletionProtection: props.deletionProtection ?? true });
    const environment = { HUB_TABLE_NAME: table.tableName, HUB_SECRET_PREFIX: secretPrefix };

    // system: health, capabilities, docs, and (as the $default route) every path no other group claims,
    // so unknown routes still answer a problem document.
    const system = new HubFunction(this, 'SystemFunction', { folder: 'system', environment, description: 'clusterhub system endpoints' });
    system.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [table.tableArn] }));
    // A named stage would prefix rawPath and every route would 404: only the $default stage.
    const api = new HttpApi(this, 'HttpApi', {
      description: 'clusterhub API',
      createDefaultStage: true,
      defaultIntegration: new HttpLambdaIntegration('SystemIntegration', system),
    });

    new CfnOutput(this, 'ApiUrl', { value: api.apiEndpoint, description: 'Base URL; the API is under /api/v1' });
    new CfnOutput(this, 'TableName', { value: table.tableName });
  }
}
