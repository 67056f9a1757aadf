import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** One Kubernetes cluster of the test bed. */
export interface TestCluster {
  name: string;
  /** https://127.0.0.1:port */
  server: string;
  /** Path to an admin (system:masters) kubeconfig file. */
  kubeconfig: string;
  /** Path to a kubeconfig of a user RBAC restricts; absent for an external cluster. */
  restrictedKubeconfig?: string;
}

/** What `npm run testbed:up` wrote to .testbed/env.json. */
export interface TestbedEnv {
  aws: { endpoint: string; region: string };
  dynamodb: { endpoint: string };
  clusters: TestCluster[];
}

/** Where the running test bed keeps its state; CLUSTERHUB_TESTBED_DIR moves it (the lifecycle test runs a second one). */
export const testbedDir = process.env.CLUSTERHUB_TESTBED_DIR
  ? resolve(process.env.CLUSTERHUB_TESTBED_DIR)
  : resolve(import.meta.dirname, '../../.testbed');
export const testbedEnvFile = resolve(testbedDir, 'env.json');

/** Reads the running test bed's description; throws with a hint when none runs. */
export function loadTestbedEnv(): TestbedEnv {
  try {
    return JSON.parse(readFileSync(testbedEnvFile, 'utf8')) as TestbedEnv;
  } catch {
    throw new Error(`no test bed description at ${testbedEnvFile}: run "npm run testbed:up" or "npm test"`);
  }
}
