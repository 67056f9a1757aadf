import { CloudFormationClient, DeleteStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

/**
 * The README's LocalStack deploy, run by the tests: `cdklocal bootstrap` (once per LocalStack) and
 * `cdklocal deploy <stack>` of the stateful stack, with the project's pinned aws-cdk-local and aws-cdk.
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const cdklocalBin = join(repoRoot, 'node_modules', '.bin', 'cdklocal');
/** LocalStack's account for any access key that is not twelve digits. */
export const LOCALSTACK_ACCOUNT = '000000000000';
const STEP_TIMEOUT_MS = 5 * 60_000;

/**
 * The environment cdklocal runs in: LocalStack at `endpoint` for every service, S3 included (cdklocal's
 * own defaults name *.localhost.localstack.cloud, which need DNS), dummy credentials, no AWS or CDK
 * setting of the caller's (no profile, no account of CDK_DEFAULT_ACCOUNT), no AWS config files, and
 * neither the CLI's version check nor its telemetry.
 */
export function cdklocalEnv(endpoint: string, region: string, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_') && !key.startsWith('CDK_')) env[key] = value;
  mkdirSync(home, { recursive: true });
  return {
    ...env,
    HOME: home,
    CDK_HOME: join(home, '.cdk'),
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    // cdklocal drops every AWS_ variable but these (and the endpoints).
    AWS_ENVAR_ALLOWLIST: 'AWS_REGION,AWS_DEFAULT_REGION',
    AWS_EC2_METADATA_DISABLED: 'true',
    npm_config_offline: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: '1',
  };
}

/** Runs cdklocal with `args` from the repository root; a failure carries what it printed. */
export async function cdklocal(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await promisify(execFile)(cdklocalBin, [...args, '--no-notices', '--no-version-reporting'], {
      cwd: repoRoot,
      env,
      maxBuffer: 64 * 1024 * 1024,
      timeout: STEP_TIMEOUT_MS,
    });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`cdklocal ${args.join(' ')} failed:\n${stderr ?? ''}\n${stdout ?? ''}`.slice(0, 20_000), { cause: err });
  }
}

const cloudFormation = (endpoint: string, region: string) =>
  new CloudFormationClient({ endpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

/** A stack's status, or undefined when there is none. */
async function stackStatus(client: CloudFormationClient, stackName: string): Promise<string | undefined> {
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    return Stacks?.[0]?.StackStatus;
  } catch (err) {
    if (/does not exist/.test((err as Error).message)) return undefined;
    throw err;
  }
}

const settled = (status: string | undefined) => status === 'CREATE_COMPLETE' || status === 'UPDATE_COMPLETE';

/**
 * `cdklocal bootstrap` unless LocalStack has the CDK toolkit stack already. The test bed's LocalStack is
 * shared, so another run may be bootstrapping it at the same moment: a failed bootstrap counts if the
 * toolkit stack settles anyway. Returns whether this call bootstrapped.
 */
export async function ensureBootstrapped(endpoint: string, region: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const client = cloudFormation(endpoint, region);
  try {
    if (settled(await stackStatus(client, 'CDKToolkit'))) return false;
    try {
      await cdklocal(['bootstrap', `aws://${LOCALSTACK_ACCOUNT}/${region}`], env);
    } catch (err) {
      for (let deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(2000)) {
        if (settled(await stackStatus(client, 'CDKToolkit'))) return false;
      }
      throw err;
    }
    return true;
  } finally {
    client.destroy();
  }
}

/**
 * `cdklocal deploy <stackName>`: the stateful stack of infra/app.ts under that name, with its secrets
 * under `<stackName>/` and a table a stack deletion removes. Returns the stack's outputs.
 */
export async function deployDataStack(stackName: string, env: NodeJS.ProcessEnv, workDir: string): Promise<Record<string, string>> {
  const outputsFile = join(workDir, 'outputs.json');
  await cdklocal(
    [
      'deploy',
      stackName,
      '--exclusively',
      '--require-approval',
      'never',
      '--outputs-file',
      outputsFile,
      '-o',
      join(workDir, 'cdk.out'),
      '-c',
      `stackName=${stackName}`,
      '-c',
      `secretPrefix=${stackName}/`,
      '-c',
      'deletionProtection=false',
    ],
    env,
  );
  const outputs = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, string>>;
  if (!outputs[stackName]) throw new Error(`cdklocal deploy wrote no outputs of ${stackName}: ${JSON.stringify(outputs)}`);
  return outputs[stackName];
}

/** Deletes a stack and waits until it is gone; a stack that fails to go is an error. */
export async function deleteStack(endpoint: string, region: string, stackName: string): Promise<void> {
  const client = cloudFormation(endpoint, region);
  try {
    await client.send(new DeleteStackCommand({ StackName: stackName }));
    for (let deadline = Date.now() + 120_000; ; await sleep(1000)) {
      const status = await stackStatus(client, stackName);
      if (status === undefined || status === 'DELETE_COMPLETE') return;
      if (status === 'DELETE_FAILED' || Date.now() > deadline) throw new Error(`stack ${stackName} was not deleted: ${status}`);
    }
  } finally {
    client.destroy();
  }
}
