import { inject, it } from 'vitest';
import type { AwsEmulator } from '#test/testbed/env.ts';

const inCi = !!process.env.CI && !['false', '0'].includes(process.env.CI);

/** Why the AWS adapters cannot be tested here, or undefined when an emulator is configured. */
export function awsBackendMissing(): string | undefined {
  return process.env.AWS_ENDPOINT_URL ? undefined : 'AWS_ENDPOINT_URL is not set: run through the test bed (npm test) or point it at moto or LocalStack';
}

/** An AWS emulator an AWS adapter's contract suite runs on, or why there is none. */
export interface AwsTarget {
  /** moto, localstack, ...: what the suite's title says it ran on. */
  name: string;
  /** The endpoint and region for the adapter's SDK client. */
  client: { endpoint?: string; region?: string };
  /** The DynamoDB that goes with it. */
  dynamodbEndpoint?: string;
  unavailable?: string;
}

/**
 * Every AWS emulator of the test bed (CLUSTERHUB_TEST_AWS=moto,localstack starts both): the AWS
 * adapters' contract suites run once on each, so they hold on moto and on LocalStack alike.
 */
export function awsTargets(): AwsTarget[] {
  const testbed = inject('testbed');
  // A description written before the test bed listed its emulators has only the one it serves.
  const emulators: AwsEmulator[] = testbed?.awsEmulators ?? [
    {
      name: 'other',
      endpoint: testbed?.aws.endpoint ?? process.env.AWS_ENDPOINT_URL ?? '',
      region: testbed?.aws.region ?? '',
      dynamodbEndpoint: testbed?.dynamodb.endpoint ?? '',
    },
  ];
  return emulators.map((emulator) =>
    emulator.endpoint
      ? { name: emulator.name, client: { endpoint: emulator.endpoint, region: emulator.region }, dynamodbEndpoint: emulator.dynamodbEndpoint }
      : { name: 'no emulator', client: {}, unavailable: awsBackendMissing() },
  );
}

/**
 * Declares the outcome of a suite whose backend is missing: a failure in CI
 * (a missing part must never pass silently), a visible skip on a laptop.
 * Returns true when the suite must declare nothing else.
 */
export function reportMissingBackend(adapterName: string, unavailable: string | undefined): boolean {
  if (!unavailable) return false;
  if (inCi) {
    it('has the backend it needs', () => {
      throw new Error(`${adapterName} cannot be tested: ${unavailable}`);
    });
  } else {
    it.skip(`skipped: ${unavailable}`, () => {});
  }
  return true;
}
