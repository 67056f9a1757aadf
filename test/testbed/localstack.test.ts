/**
 * LocalStack as an AWS emulator of the test bed (CLUSTERHUB_TEST_AWS). The contract suites show it
 * serves what the adapters need and loopback.test.ts that it listens on loopback only; this file
 * shows how the test bed chooses and recognises it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { awsTargets, reportMissingBackend } from '#test/contracts/backend.ts';
import { loadTestbedEnv } from './env.ts';
import { isLocalStack } from './localstack.ts';
import { secondTestbed } from './second-testbed.ts';
import { askedAwsEmulators } from './testbed.ts';

describe('CLUSTERHUB_TEST_AWS', () => {
  it('asks for moto when unset, and for the emulators it lists in their order, the first serving every suite', () => {
    expect(askedAwsEmulators('')).toEqual(['moto', 'localstack']);
    expect(askedAwsEmulators('localstack')).toEqual(['localstack']);
    expect(askedAwsEmulators('moto, localstack')).toEqual(['moto', 'localstack']);
    expect(askedAwsEmulators('localstack,moto,localstack')).toEqual(['localstack', 'moto']);
  });

  it('refuses an emulator the test bed does not know, naming it and the ones it does', () => {
    expect(() => askedAwsEmulators('moto,kinesalite')).toThrow(/CLUSTERHUB_TEST_AWS=moto,kinesalite .*\(kinesalite\): use moto, localstack or moto,localstack/);
  });
});

describe('CLUSTERHUB_TEST_AWS=localstack with AWS_ENDPOINT_URL', () => {
  it('refuses an endpoint that is not a LocalStack before starting anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clusterhub-testbed-'));
    try {
      const up = await secondTestbed(dir)('up', { CLUSTERHUB_TEST_AWS: 'localstack', AWS_ENDPOINT_URL: 'http://127.0.0.1:1' });
      expect(up.code).toBe(1);
      expect(up.out).toContain('CLUSTERHUB_TEST_AWS asks for LocalStack first, but AWS_ENDPOINT_URL=http://127.0.0.1:1 is not one');
      expect(existsSync(join(dir, 'state.json'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the test bed's AWS emulators", () => {
  it.each(awsTargets())('tells whether $name is a LocalStack', async ({ name, client }) => {
    expect(await isLocalStack(client.endpoint!)).toBe(name === 'localstack');
  });
});

describe('a LocalStack of your own at AWS_ENDPOINT_URL', { timeout: 120_000 }, () => {
  const running = loadTestbedEnv();
  const localstack = running.awsEmulators?.find((emulator) => emulator.name === 'localstack');
  if (
    reportMissingBackend('borrowing a LocalStack', localstack ? undefined : 'the test bed runs no LocalStack (CLUSTERHUB_TEST_AWS=moto,localstack starts one)')
  )
    return;

  const dir = mkdtempSync(join(tmpdir(), 'clusterhub-testbed-'));
  const testbed = secondTestbed(dir);
  const borrowed = { AWS_ENDPOINT_URL: localstack!.endpoint, CLUSTERHUB_TEST_KUBECONFIG: running.clusters[0]!.kubeconfig };
  afterAll(async () => {
    await testbed('down', borrowed);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves DynamoDB too, so the test bed starts no DynamoDB Local of its own', async () => {
    const up = await testbed('up', { ...borrowed, CLUSTERHUB_TEST_AWS: 'localstack' });
    expect(up.code, up.out).toBe(0);
    const env = JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8'));
    expect(env).toMatchObject({ aws: { endpoint: localstack!.endpoint }, dynamodb: { endpoint: localstack!.endpoint } });
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).pids).toEqual({});
  });
});
