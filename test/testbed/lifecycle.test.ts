/**
 * `npm run testbed:up` / `testbed:down` as a developer runs them, on a second test bed of
 * its own (CLUSTERHUB_TESTBED_DIR). To stay cheap it borrows the running test bed's AWS
 * emulator and first cluster, so only its own DynamoDB Local starts and stops.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTestbedEnv } from './env.ts';
import { secondTestbed } from './second-testbed.ts';

const running = loadTestbedEnv();
const dir = mkdtempSync(join(tmpdir(), 'clusterhub-testbed-'));

const testbed = secondTestbed(dir);

/** Processes started on behalf of this second test bed: they inherit its directory variable. */
function processesOfThisTestbed(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`CLUSTERHUB_TESTBED_DIR=${dir}`);
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    })
    .map(Number);
}

const borrowed = { AWS_ENDPOINT_URL: running.aws.endpoint, CLUSTERHUB_TEST_KUBECONFIG: running.clusters[0]!.kubeconfig };

afterAll(async () => {
  await testbed('down', borrowed);
  rmSync(dir, { recursive: true, force: true });
});

describe('test bed lifecycle', { timeout: 120_000 }, () => {
  it('stops what it started when another part cannot start, and says which part in one sentence', async () => {
    const { code, out } = await testbed('up', { ...borrowed, CLUSTERHUB_TEST_KUBECONFIG: join(dir, 'missing-kubeconfig') });
    expect(code).toBe(1);
    expect(out).toContain(`The test bed could not start Kubernetes clusters: CLUSTERHUB_TEST_KUBECONFIG=${join(dir, 'missing-kubeconfig')} does not exist`);
    // DynamoDB Local had started meanwhile; it must not outlive the failed start.
    expect(processesOfThisTestbed()).toEqual([]);
  });

  it('starts, is reused by a second up, refuses other settings, and leaves nothing behind on down', async () => {
    const first = await testbed('up', borrowed);
    expect(first.code).toBe(0);
    const env = JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8'));
    expect(env.aws.endpoint).toBe(running.aws.endpoint);
    expect(env.dynamodb.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(processesOfThisTestbed().length).toBeGreaterThan(0);

    const second = await testbed('up', borrowed);
    expect(second.code).toBe(0);
    expect(second.out).toContain('already running; reusing it');
    expect(JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8'))).toEqual(env);

    // A process the test setup already pointed at this test bed (as vitest workers are) reuses it too.
    const pointed = await testbed('up', { ...borrowed, AWS_ENDPOINT_URL_DYNAMODB: env.dynamodb.endpoint });
    expect(pointed.code).toBe(0);
    expect(pointed.out).toContain('already running; reusing it');

    const other = await testbed('up', { ...borrowed, AWS_ENDPOINT_URL: 'http://127.0.0.1:1' });
    expect(other.code).toBe(1);
    expect(other.out).toContain('run "npm run testbed:down" first');

    const down = await testbed('down', borrowed);
    expect(down.code).toBe(0);
    expect(processesOfThisTestbed()).toEqual([]);
    expect(readdirSync(dir)).not.toContain('env.json');
  });

  it('replaces a test bed of which a part has died', async () => {
    expect((await testbed('up', borrowed)).code).toBe(0);
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    process.kill(-state.pids.dynamodb, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    const again = await testbed('up', borrowed);
    expect(again.code).toBe(0);
    expect(again.out).toContain('partly gone');
    const fresh = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    expect(fresh.pids.dynamodb).not.toBe(state.pids.dynamodb);
    expect((await testbed('down', borrowed)).code).toBe(0);
    expect(processesOfThisTestbed()).toEqual([]);
  });
});
