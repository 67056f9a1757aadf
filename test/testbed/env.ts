import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** One Kubernetes cluster of the test bed. */
export interface TestCluster {
  name: string;
  /** https://127.0.0.1:port */
  server: string;
  /**
   * Path to an admin bearer-token kubeconfig file: system:masters in the test bed's own clusters;
   * for an external cluster (CLUSTERHUB_TEST_KUBECONFIG) the service account clusterhub-test-admin,
   * bound to cluster-admin (test/testbed/external-cluster.ts).
   */
  kubeconfig: string;
  /**
   * Path to a bearer-token kubeconfig of a user RBAC restricts to `view` in the namespace team-a:
   * for an external cluster, the service account clusterhub-test-restricted. Absent only in a
   * description written before external clusters got one.
   */
  restrictedKubeconfig?: string;
}

/** The AWS emulators the test bed can start (CLUSTERHUB_TEST_AWS lists them, the first serving every suite). */
export const AWS_EMULATORS = ['moto', 'localstack'] as const;
export type AwsEmulatorName = (typeof AWS_EMULATORS)[number];

/** One AWS emulator of the test bed, with the DynamoDB that goes with it. */
export interface AwsEmulator {
  /** moto or localstack; `other` for an AWS_ENDPOINT_URL that is not a LocalStack. */
  name: AwsEmulatorName | 'other';
  /** The value for AWS_ENDPOINT_URL. */
  endpoint: string;
  /** The value for AWS_ENDPOINT_URL_DYNAMODB: DynamoDB Local beside moto, LocalStack's own DynamoDB beside LocalStack. */
  dynamodbEndpoint: string;
  region: string;
}

/** What `npm run testbed:up` wrote to .testbed/env.json. */
export interface TestbedEnv {
  aws: { endpoint: string; region: string };
  dynamodb: { endpoint: string };
  clusters: TestCluster[];
  /**
   * Every AWS emulator the AWS contract suites run on, the one of `aws` and `dynamodb` first.
   * Absent in a description written before there could be more than one.
   */
  awsEmulators?: AwsEmulator[];
}

/** Where the running test bed keeps its state; CLUSTERHUB_TESTBED_DIR moves it (the lifecycle test runs a second one). */
export const testbedDir = process.env.CLUSTERHUB_TESTBED_DIR ? resolve(process.env.CLUSTERHUB_TESTBED_DIR) : resolve(import.meta.dirname, '../../.testbed');
export const testbedEnvFile = resolve(testbedDir, 'env.json');

/** Reads the running test bed's description; throws with a hint when none runs. */
export function loadTestbedEnv(): TestbedEnv {
  try {
    return JSON.parse(readFileSync(testbedEnvFile, 'utf8')) as TestbedEnv;
  } catch {
    throw new Error(`no test bed description at ${testbedEnvFile}: run "npm run testbed:up" or "npm test"`);
  }
}
