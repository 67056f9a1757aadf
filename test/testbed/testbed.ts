import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startDynamoDbLocal } from '#infra/local/dynamodb-local.ts';
import { testbedDir, testbedEnvFile, type TestbedEnv, type TestCluster } from './env.ts';
import { prepareExternalCluster } from './external-cluster.ts';
import { ensureKubeBinaries, startClusters, stopClusters } from './kube.ts';
import { ensureMoto, startMoto, stopMoto } from './moto.ts';
import { groupAlive, isZombie, processStartTime, stopProcessGroup } from './process-group.ts';

/** The processes a running test bed consists of, so that `down` (or a second `up`) can find them. */
interface TestbedState {
  env: TestbedEnv;
  pids: { dynamodb?: number; moto?: number; kube?: number };
  /** Each pid's start time, so a pid reused by another process after a reboot is not taken for ours. */
  startTimes?: Record<string, string>;
  /** The CLUSTERHUB_TEST_KUBECONFIG it was started with (env.json lists the kubeconfigs made from it). */
  externalKubeconfig?: string;
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
  const previous = readState();
  if (previous && testbedAlive(previous)) {
    if (!servesWhatIsAsked(previous)) {
      throw new Error(
        'The running test bed uses other parts than AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB or CLUSTERHUB_TEST_KUBECONFIG name: run "npm run testbed:down" first, or unset them.',
      );
    }
    log('test bed already running; reusing it');
    return { env: previous.env, started: false };
  }
  if (previous) {
    // Part of an earlier test bed died: stop what is left of it, or it would hold its ports and locks.
    log('an earlier test bed is partly gone; stopping what is left of it');
    await stopPids(ownedPids(previous));
    forgetState();
  }
  mkdirSync(testbedDir, { recursive: true });
  const pids: TestbedState['pids'] = {};
  let externalKubeconfig: string | undefined;
  const save = (env: TestbedEnv) => {
    const startTimes = Object.fromEntries(Object.values(pids).flatMap((pid) => (pid === undefined ? [] : [[String(pid), processStartTime(pid) ?? '']])));
    writeFileSync(stateFile, JSON.stringify({ env, pids, startTimes, externalKubeconfig } satisfies TestbedState, null, 2));
  };
  try {
    // Every part runs to its end, even when another fails, so that what did start is known and stopped.
    const results = await Promise.allSettled([
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
          // Its own kubeconfig may authenticate in any way (kind's: a client certificate): the suites get bearer-token ones.
          externalKubeconfig = resolve(external);
          return [await prepareExternalCluster({ kubeconfigPath: external, dir: join(testbedDir, 'external'), log })];
        }
        await ensureKubeBinaries(log);
        const kube = await startClusters({ dir: join(testbedDir, 'kube'), names: TEST_CLUSTER_NAMES, log });
        pids.kube = kube.pid;
        log(`Kubernetes clusters ${kube.clusters.map((c) => `${c.name} on ${c.server}`).join(', ')}`);
        return kube.clusters;
      }),
    ]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [dynamodb, aws, clusters] = results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
      TestbedEnv['dynamodb'],
      TestbedEnv['aws'],
      TestbedEnv['clusters'],
    ];
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
  await stopPids(ownedPids(state));
  forgetState();
  log('test bed stopped');
}

/** The process-group leaders of the running test bed's own parts (none for a part it borrows), for tests that inspect them. */
export function runningTestbedProcesses(): TestbedState['pids'] | undefined {
  const state = readState();
  return state && ownedPids(state);
}

function forgetState() {
  rmSync(stateFile, { force: true });
  rmSync(testbedEnvFile, { force: true });
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

function readState(): TestbedState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')) as TestbedState;
  } catch {
    return undefined;
  }
}

/** Whether `pid` is still the process the state recorded (not a stranger that reused the number). */
function isOurs(state: TestbedState, pid: number): boolean {
  if (!groupAlive(pid) || isZombie(pid)) return false;
  const recorded = state.startTimes?.[String(pid)];
  return !recorded || recorded === processStartTime(pid);
}

function testbedAlive(state: TestbedState): boolean {
  return Object.values(state.pids).every((pid) => pid === undefined || isOurs(state, pid));
}

/** The recorded pids that are still ours; the others must not be signalled. */
function ownedPids(state: TestbedState): TestbedState['pids'] {
  const owned = Object.entries(state.pids).filter(([, pid]) => pid !== undefined && isOurs(state, pid));
  return Object.fromEntries(owned) as TestbedState['pids'];
}

/**
 * Whether the running test bed is what this caller's variables ask for: each variable that is set
 * must name the part the test bed uses (a process the test setup already pointed at it agrees).
 */
function servesWhatIsAsked({ env, externalKubeconfig }: TestbedState): boolean {
  const { AWS_ENDPOINT_URL: aws, AWS_ENDPOINT_URL_DYNAMODB: dynamodb, CLUSTERHUB_TEST_KUBECONFIG: kubeconfig } = process.env;
  return (
    (!aws || aws === env.aws.endpoint) &&
    (!dynamodb || dynamodb === env.dynamodb.endpoint) &&
    (!kubeconfig || resolve(kubeconfig) === externalKubeconfig || env.clusters.some((c) => c.kubeconfig === kubeconfig))
  );
}

export const testbedRegion = REGION;
