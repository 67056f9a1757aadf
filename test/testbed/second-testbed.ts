import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

/** The variables that replace a part of the test bed with an existing one. */
const PART_VARIABLES = ['CLUSTERHUB_TEST_AWS', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_DYNAMODB', 'CLUSTERHUB_TEST_KUBECONFIG'];

/**
 * The test bed command line (`npm run testbed:up|down`) for a second test bed kept in `dir`
 * (CLUSTERHUB_TESTBED_DIR), as a developer runs it: resolves to its exit code and output.
 */
export function secondTestbed(dir: string) {
  return (command: 'up' | 'down', env: Record<string, string | undefined>): Promise<{ code: number; out: string }> => {
    const childEnv: Record<string, string | undefined> = { ...process.env, CLUSTERHUB_TESTBED_DIR: dir, ...env };
    // The borrowed parts come from `env` only: this process's own test bed variables must not leak in.
    for (const name of PART_VARIABLES) if (!(name in env)) delete childEnv[name];
    // moto alone unless asked: a LocalStack per second test bed would add its start to every lifecycle test.
    childEnv.CLUSTERHUB_TEST_AWS = env.CLUSTERHUB_TEST_AWS ?? 'moto';
    return new Promise((done, fail) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/testbed/cli.ts', command], { cwd: root, env: childEnv });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('error', fail);
      child.on('exit', (code) => done({ code: code ?? -1, out }));
    });
  };
}
