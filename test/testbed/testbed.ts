import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startDynamoDbLocal } from '#infra/local/dynamodb-local.ts';
import { AWS_EMULATORS, testbedDir, testbedEnvFile, type AwsEmulator, type AwsEmulatorName, type TestbedEnv, type TestCluster } from './env.ts';
import { prepareExternalCluster } from './external-cluster.ts';
import { ensureKubeBinaries, startClusters, stopClusters } from './kube.ts';
import { isLocalStack, startLocalStack, stopLocalStack } from './localstack.ts';
import { ensureMoto, startMoto, stopMoto } from './moto.ts';
import { groupAlive, isZombie, processStartTime, stopProcessGroup } from './process-group.ts';

/** The processes a running test bed consists of, so that `down` (or a second `up`) can find them. */
interface TestbedState {
  env: TestbedEnv;
  pids: { dynamodb?: number; moto?: number; localstack?: number; kube?: number };
  /** Each pid's start time, so a pid reused by another process after a reboot is not taken for ours. */
  startTimes?: Record<string, string>;
  /** The CLUSTERHUB_TEST_KUBECONFIG it was started with (env.json lists the kubeconfigs made from it). */
  externalKubeconfig?: string;
  /** The CLUSTERHUB_TEST_AWS it was started with, normalised (absent: moto). */
  awsAsked?: string;
}

const stateFile = join(testbedDir, 'state.json');
export const TEST_CLUSTER_NAMES = ['alpha', 'beta'];
const REGION = 'us-east-1';

type Log = (line: string) => void;

/**
 * The AWS emulators CLUSTERHUB_TEST_AWS asks for: `moto`, `localstack`, or both (`moto,localstack`, the
 * default). The first serves every suite; the AWS contract suites run on each.
 */
export function askedAwsEmulators(value = process.env.CLUSTERHUB_TEST_AWS): AwsEmulatorName[] {
  // Both by default, so that `npm test` anywhere is the run CI makes.
  const names = (value || 'moto,localstack').split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(AWS_EMULATORS as readonly string[]).includes(name));
  if (unknown.length) {
    throw new Error(`CLUSTERHUB_TEST_AWS=${value} names no emulator the test bed knows (${unknown.join(', ')}): use moto, localstack or moto,localstack`);
  }
  return [...new Set(names as AwsEmulatorName[])];
}

/** An emulator of the test bed: one to start, or the AWS_ENDPOINT_URL it borrows. */
interface PlannedEmulator {
  name: AwsEmulator['name'];
  borrowed?: string;
}

/**
 * Which emulators to start: those CLUSTERHUB_TEST_AWS asks for, except that AWS_ENDPOINT_URL
 * replaces the first (a LocalStack there also serves DynamoDB, unless AWS_ENDPOINT_URL_DYNAMODB says otherwise).
 */
async function planAwsEmulators(): Promise<PlannedEmulator[]> {
  const asked = askedAwsEmulators();
  const borrowed = process.env.AWS_ENDPOINT_URL;
  if (!borrowed) return asked.map((name) => ({ name }));
  const name = (await isLocalStack(borrowed)) ? 'localstack' : 'other';
  if (asked[0] === 'localstack' && name !== 'localstack') {
    throw new Error(
      `CLUSTERHUB_TEST_AWS asks for LocalStack first, but AWS_ENDPOINT_URL=${borrowed} is not one (it has no /_localstack/health): unset one of them.`,
    );
  }
  return [
    { name, borrowed },
    ...asked
      .slice(1)
      .filter((other) => other !== name)
      .map((other) => ({ name: other })),
  ];
}

/**
 * Starts the test bed: the AWS emulators CLUSTERHUB_TEST_AWS asks for (moto unless it says
 * otherwise; AWS_ENDPOINT_URL names one to use instead of the first), DynamoDB Local beside
 * moto (unless AWS_ENDPOINT_URL_DYNAMODB names a DynamoDB; LocalStack brings its own), and two
 * real Kubernetes clusters (unless CLUSTERHUB_TEST_KUBECONFIG names one). Reuses a test bed that
 * is already running. Returns whether it started one.
 */
export async function upTestbed(log: Log): Promise<{ env: TestbedEnv; started: boolean }> {
  const previous = readState();
  if (previous && testbedAlive(previous)) {
    if (!servesWhatIsAsked(previous)) {
      throw new Error(
        'The running test bed uses other parts than CLUSTERHUB_TEST_AWS, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB or CLUSTERHUB_TEST_KUBECONFIG name: run "npm run testbed:down" first, or unset them.',
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
  const planned = await planAwsEmulators();
  const awsAsked = askedAwsEmulators().join(',');
  mkdirSync(testbedDir, { recursive: true });
  const pids: TestbedState['pids'] = {};
  let externalKubeconfig: string | undefined;
  const save = (env: TestbedEnv) => {
    const startTimes = Object.fromEntries(Object.values(pids).flatMap((pid) => (pid === undefined ? [] : [[String(pid), processStartTime(pid) ?? '']])));
    writeFileSync(stateFile, JSON.stringify({ env, pids, startTimes, externalKubeconfig, awsAsked } satisfies TestbedState, null, 2));
  };
  const givenDynamoDb = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  // LocalStack serves DynamoDB itself; moto and a borrowed emulator go with DynamoDB Local.
  const needsDynamoDbLocal = !givenDynamoDb && planned.some((emulator) => emulator.name !== 'localstack');
  try {
    // Every part runs to its end, even when another fails, so that what did start is known and stopped.
    const results = await Promise.allSettled([
      part('DynamoDB Local', async () => {
        if (givenDynamoDb) log(`using the DynamoDB at AWS_ENDPOINT_URL_DYNAMODB=${givenDynamoDb}`);
        if (!needsDynamoDbLocal) return givenDynamoDb;
        const db = await startDynamoDbLocal({ detached: true });
        pids.dynamodb = db.pid;
        log(`DynamoDB Local on ${db.endpoint}`);
        return db.endpoint;
      }),
      allOrFirstFailure(planned.map((emulator) => startAwsEmulator(emulator, pids, log))),
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
    const [dynamoDbLocal, emulators, clusters] = results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
      string | undefined,
      { name: AwsEmulator['name']; endpoint: string; region: string }[],
      TestbedEnv['clusters'],
    ];
    const awsEmulators: AwsEmulator[] = emulators.map((emulator, i) => ({
      ...emulator,
      // The first emulator's DynamoDB is the one AWS_ENDPOINT_URL_DYNAMODB names, if it does.
      dynamodbEndpoint: (i === 0 && givenDynamoDb) || (emulator.name === 'localstack' ? emulator.endpoint : dynamoDbLocal!),
    }));
    const [first] = awsEmulators as [AwsEmulator];
    const env: TestbedEnv = { aws: { endpoint: first.endpoint, region: first.region }, dynamodb: { endpoint: first.dynamodbEndpoint }, clusters, awsEmulators };
    save(env);
    writeFileSync(testbedEnvFile, JSON.stringify(env, null, 2));
    return { env, started: true };
  } catch (err) {
    await stopPids(pids);
    throw err;
  }
}

/** Starts one planned emulator (or names the borrowed one), recording its pid. */
async function startAwsEmulator({ name, borrowed }: PlannedEmulator, pids: TestbedState['pids'], log: Log) {
  if (borrowed) {
    log(`using the AWS emulator at AWS_ENDPOINT_URL=${borrowed}${name === 'localstack' ? ' (a LocalStack: its DynamoDB too)' : ''}`);
    return { name, endpoint: borrowed, region: process.env.AWS_REGION ?? REGION };
  }
  if (name === 'localstack') {
    return part('LocalStack (DynamoDB, SQS, Secrets Manager, EventBridge)', async () => {
      const localstack = await startLocalStack({ log });
      pids.localstack = localstack.pid;
      return { name, endpoint: localstack.endpoint, region: REGION };
    });
  }
  return part('moto (SQS, Secrets Manager, EventBridge)', async () => {
    await ensureMoto(log);
    const moto = await startMoto({ log });
    pids.moto = moto.pid;
    log(`moto on ${moto.endpoint}`);
    return { name, endpoint: moto.endpoint, region: REGION };
  });
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
    pids.localstack ? stopLocalStack(pids.localstack) : undefined,
    pids.dynamodb ? stopProcessGroup(pids.dynamodb, 5_000) : undefined,
  ]);
}

/** Like Promise.all, but rejects only once every promise has settled, so that each started process is recorded before a stop. */
async function allOrFirstFailure<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
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
function servesWhatIsAsked({ env, externalKubeconfig, awsAsked }: TestbedState): boolean {
  const { AWS_ENDPOINT_URL: aws, AWS_ENDPOINT_URL_DYNAMODB: dynamodb, CLUSTERHUB_TEST_KUBECONFIG: kubeconfig, CLUSTERHUB_TEST_AWS: emulators } = process.env;
  return (
    (!emulators || askedAwsEmulators(emulators).join(',') === (awsAsked ?? 'moto')) &&
    (!aws || aws === env.aws.endpoint) &&
    (!dynamodb || dynamodb === env.dynamodb.endpoint) &&
    (!kubeconfig || resolve(kubeconfig) === externalKubeconfig || env.clusters.some((c) => c.kubeconfig === kubeconfig))
  );
}

export const testbedRegion = REGION;
