import type { DynamoDBStreamEvent } from 'aws-lambda';
import { loadConfig } from '#shared/config/config.ts';
import { onFirstCall } from '#shared/runtime/on-first-call.ts';

// The table's stream, filtered to removed cluster records: the grants on each such cluster go too.
// A configuration the hub refuses fails the cold start; the sweeper is wired on its first batch.
loadConfig(process.env);

export const handler = onFirstCall(async () => {
  const [{ awsDependencies }, { sweepGrants }] = await Promise.all([import('#shared/runtime/aws.ts'), import('#shared/workers/grant-sweeper.ts')]);
  const deps = awsDependencies();
  return (event: DynamoDBStreamEvent) => sweepGrants(event, deps.identity.users, deps.logger);
});
