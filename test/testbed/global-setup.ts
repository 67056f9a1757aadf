import type { TestProject } from 'vitest/node';
import type { TestbedEnv } from './env.ts';
import { downTestbed, upTestbed, useTestbedEnv } from './testbed.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    testbed: TestbedEnv;
  }
}

/**
 * Starts the test bed unless one runs, points the AWS SDK at it through its
 * standard variables, and stops afterwards only what it started itself.
 */
export default async function setup(project: TestProject) {
  const log = (line: string) => process.stderr.write(`testbed: ${line}\n`);
  const { env, started } = await upTestbed(log);
  // Handlers log every request; tests look at logs through their own loggers, so keep the run readable.
  process.env.LOG_LEVEL ??= 'warn';
  useTestbedEnv(env);
  project.provide('testbed', env);
  return async () => {
    if (started) await downTestbed(log);
  };
}
