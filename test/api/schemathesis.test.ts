import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClusters } from '#test/support/clusters.ts';
import { json } from '#test/support/http.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';
import { testbedClusterSecrets } from '#test/support/leak-sweep.ts';
import { ensurePythonTools } from '#test/testbed/moto.ts';

/**
 * schemathesis against the local run, as an admin and as a viewer: every check and every phase it
 * has (examples, coverage, fuzzing, stateful), a bounded number of examples per operation. Any
 * failure fails the test, with schemathesis' own account of it. What it may not do, and why, is in
 * schemathesis/schemathesis.toml and schemathesis/hooks.py beside this file.
 */

const here = resolve(import.meta.dirname, 'schemathesis');
/** Examples per operation and phase: about two minutes a run on two busy cores. */
const MAX_EXAMPLES = Number(process.env.CLUSTERHUB_SCHEMATHESIS_EXAMPLES ?? 10);
/** Fixed so a run can be repeated; set CLUSTERHUB_SCHEMATHESIS_SEED to explore further. */
const SEED = process.env.CLUSTERHUB_SCHEMATHESIS_SEED ?? '20261201';
/** A run that takes longer is stopped and fails. */
const RUN_TIMEOUT_MS = 8 * 60_000;

let hub: TestHub;
let bin: string;
let workDir: string;
let bootstrapToken: string;
beforeAll(async () => {
  bin = await ensurePythonTools((line) => process.stderr.write(`venv: ${line}\n`));
  hub = await startTestHub();
  workDir = mkdtempSync(join(tmpdir(), 'clusterhub-schemathesis-'));
  bootstrapToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  // A real cluster, so that the live views, the kubeconfig export and onboarding are reached too.
  const alpha = testClusters()[0]!;
  const registered = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'fuzzed-alpha', kubeconfig: alpha.adminKubeconfig }, bearer(bootstrapToken)));
  expect(registered.status, JSON.stringify(await json(registered))).toBe(201);
}, 600_000);
afterAll(async () => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  await hub?.stop();
});

/** The admin run's token: the hooks keep that run from ending its own sessions, unlike anyone else's. */
let adminRunToken: string | undefined;

/**
 * A user of its own for each run, with a name no fuzzer guesses. An admin run may lock, rename or
 * reset every user it finds, the bootstrap admin too (that is what an admin may do), so the viewer
 * is made after it, by the admin run's own user.
 */
async function runUser(role: 'admin' | 'viewer') {
  const username = `fuzz-${role}-${randomUUID().slice(0, 8)}`;
  const { id, password } = await createUser(hub, adminRunToken ?? bootstrapToken, username, role, `Fuzz-${randomUUID()}`);
  return { id, token: (await login(hub, username, password)).access_token };
}

/** Test bed credentials in schemathesis' output (it prints the responses it fails on) are masked before anyone sees them. */
function masked(output: string): string {
  let text = output;
  for (const secret of testbedClusterSecrets())
    for (const form of secret.forms.filter((f) => f.length >= 16)) text = text.replaceAll(form, '[test bed credential]');
  return text;
}

function schemathesis(token: string, selfId: string): Promise<{ code: number; output: string }> {
  const args = [
    '--config-file',
    join(here, 'schemathesis.toml'),
    'run',
    `${hub.url}/api/v1/openapi.json`,
    '--checks',
    'all',
    '--phases',
    'examples,coverage,fuzzing,stateful',
    '--max-examples',
    String(MAX_EXAMPLES),
    '--seed',
    SEED,
    '--workers',
    '1',
    '--continue-on-failure',
    '--request-timeout',
    '20',
    '--no-color',
  ];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(join(bin, 'st'), args, {
      cwd: workDir,
      // The token reaches schemathesis through its environment, never its command line (ps shows that).
      env: { ...process.env, CLUSTERHUB_ST_TOKEN: token, CLUSTERHUB_ST_SELF_ID: selfId, SCHEMATHESIS_HOOKS: join(here, 'hooks.py'), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? 1, output: signal ? `${output}\n(stopped after ${RUN_TIMEOUT_MS / 1000} s: ${signal})` : output });
    });
  });
}

/** From schemathesis' FAILURES heading to the end: each failure with a curl line, then the summary. */
function report(output: string): string {
  const from = output.search(/^=+ (FAILURES|ERRORS) =+$/m);
  const text = masked(from >= 0 ? output.slice(from) : output);
  return text.length > 20_000 ? `${text.slice(0, 8_000)}\n...\n${text.slice(-12_000)}` : text;
}

describe('schemathesis against the local run', () => {
  // Admin first: it may change any user, so the viewer of the second run is made after it.
  it.each(['admin', 'viewer'] as const)('finds nothing as %s', { timeout: RUN_TIMEOUT_MS + 60_000 }, async (role) => {
    const { id, token } = await runUser(role);
    if (role === 'admin') adminRunToken = token;
    const { code, output } = await schemathesis(token, id);
    expect(code, `schemathesis as ${role} (exit ${code}):\n${report(output)}`).toBe(0);
    // It did test: every selected operation, in every phase.
    expect(output).toMatch(/Tested: \d{2}/);
    for (const phase of ['Examples', 'Coverage', 'Fuzzing', 'Stateful']) expect(output, phase).toMatch(new RegExp(`✅ ${phase}`));
  });
});
