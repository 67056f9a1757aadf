import type { DynamoDBStreamEvent } from 'aws-lambda';
import { awsDependencies } from '#shared/runtime/aws.ts';
import { sweepGrants } from '#shared/workers/grant-sweeper.ts';

// The table's stream, filtered to removed cluster records: the grants on each such cluster go too.
const deps = awsDependencies();

export const handler = (event: DynamoDBStreamEvent) => sweepGrants(event, deps.identity.users, deps.logger);
