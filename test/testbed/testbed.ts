import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startDynamoDbLocal } from '#infra/local/dynamodb-local.ts';
import { testbedDir, testbedEnvFile, type TestbedEnv, type TestCluster } from './env.ts';
import { ensureKubeBinaries, startClusters, stopClusters } from './kube.ts';
import { ensureMoto, startMoto, stopMoto } from './moto.ts';
import { groupAlive, stopProcessGroup } from './process-group.ts';

/** The processes a running test bed consists of, so that `down` (or a second `up`) can find them. */
interface TestbedState {
  env: TestbedEnv;
  pids: { dynamodb?: number; moto?: number; kube?: number };
}

const stateFile = join(testbedDir, 'state.json');
export const TEST_CLUSTER_NAMES = ['alpha', 'beta'];
const REGION = 'us-east-1';

type Log = (line: string) => void;

/**
 * Starts the test bed: DynamoDB Local (unless AWS_ENDPOINT_URL_DYNAMODB names
 * one), moto (unless AWS_ENDPOINT_URL names an emulator), and two real
 * Kubernetes clusters (unless CLUSTERHUB_TEST_KUBECONFIG names one). Reuses a
 * test bed that is already running. Returns whether it started one.
 */
export async function upTestbed(log: Log): Promise<{ env: TestbedEnv; started: boolean }> {
  const running = await runningTestbed();
  if (running) {
    log('test bed already running; reusing it');
    return { env: running.env, started: false };
  }
  mkdirSync(testbedDir, { recursive: true });
  const pids: TestbedState['pids'] = {};
  const save = (env: TestbedEnv) => writeFileSync(stateFile, JSON.stringify({ env, pids } satisfies TestbedState, null, 2));
  try {
    const [dynamodb, aws, clusters] = await Promise.all([
      part('DynamoDB Local', async () => {
        if (process.env.AWS_ENDPOINT_URL_DYNAMODB) {
          log(`using the DynamoDB at AWS_ENDPOINT_URL_DYNAMODB=${process.env.AWS_ENDPOINT_URL_DYNAMODB}`);
          return { endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB };
        }
        const db = await startDynamoDbLocal({ detached: true });
        pids.dynamodb = db.pid;
        log(`DynamoDB Local on ${db.endpoint}`);
        return { endpoint: db.endpoint };
      }),
      part('moto (SQS, Secrets Manager, EventBridge)', async () => {
        if (process.env.AWS_ENDPOINT_URL) {
          log(`using the AWS emulator at AWS_ENDPOINT_URL=${process.env.AWS_ENDPOINT_URL}`);
          return { endpoint: process.env.AWS_ENDPOINT_URL, region: process.env.AWS_REGION ?? REGION };
        }
        await ensureMoto(log);
        const moto = await startMoto({ log });
        pids.moto = moto.pid;
        log(`moto on ${moto.endpoint}`);
        return { endpoint: moto.endpoint, region: REGION };
      }),
      part('Kubernetes clusters', async (): Promise<TestCluster[]> => {
        const external = process.env.CLUSTERHUB_TEST_KUBECONFIG;
        if (external) {
          if (!existsSync(external)) throw new Error(`CLUSTERHUB_TEST_KUBECONFIG=${external} does not exist`);
          log(`using the cluster of CLUSTERHUB_TEST_KUBECONFIG=${external}`);
          return [{ name: 'external', server: currentServer(readFileSync(external, 'utf8')), kubeconfig: external }];
        }
        await ensureKubeBinaries(log);
        const kube = await startClusters({ dir: join(testbedDir, 'kube'), names: TEST_CLUSTER_NAMES, log });
        pids.kube = kube.pid;
        log(`Kubernetes clusters ${kube.clusters.map((c) => `${c.name} on ${c.server}`).join(', ')}`);
        return kube.clusters;
      }),
    ]);
    const env: TestbedEnv = { aws, dynamodb, clusters };
    save(env);
    writeFileSync(testbedEnvFile, JSON.stringify(env, null, 2));
    return { env, started: true };
  } catch (err) {
    await stopPids(pids);
    throw err;
  }
}

/** Points this process's AWS SDK (its standard variables) at the test bed. */
export function useTestbedEnv(env: TestbedEnv): void {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: env.aws.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: env.dynamodb.endpoint,
    AWS_REGION: env.aws.region,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'testing',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'testing',
  });
}

/** Stops every process of the running test bed and forgets it. */
export async function downTestbed(log: Log): Promise<void> {
  const state = readState();
  if (!state) {
    log('no test bed is running');
    return;
  }
  await stopPids(state.pids);
  rmSync(stateFile, { force: true });
  rmSync(testbedEnvFile, { force: true });
  log('test bed stopped');
}

async function stopPids(pids: TestbedState['pids']) {
  await Promise.all([
    pids.kube ? stopClusters(pids.kube) : undefined,
    pids.moto ? stopMoto(pids.moto) : undefined,
    pids.dynamodb ? stopProcessGroup(pids.dynamodb, 5_000) : undefined,
  ]);
}

/** Names the part that failed, so the one sentence a developer reads says what to fix. */
async function part<T>(name: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`The test bed could not start ${name}: ${reason}`, { cause: err });
  }
}

/** The server of a kubeconfig's current context. */
function currentServer(kubeconfig: string): string {
  const doc = parseYaml(kubeconfig) as {
    'current-context'?: string;
    contexts?: { name: string; context: { cluster: string } }[];
    clusters?: { name: string; cluster: { server: string } }[];
  };
  const context = doc.contexts?.find((c) => c.name === doc['current-context']) ?? doc.contexts?.[0];
  return doc.clusters?.find((c) => c.name === context?.context.cluster)?.cluster.server ?? '';
}

function readState(): TestbedState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')) as TestbedState;
  } catch {
    return undefined;
  }
}

async function runningTestbed(): Promise<TestbedState | undefined> {
  const state = readState();
  if (!state) return undefined;
  const alive = Object.values(state.pids).every((pid) => pid === undefined || groupAlive(pid));
  return alive ? state : undefined;
}



export const testbedRegion = REGION;
