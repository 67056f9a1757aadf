import { execFileSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KUBERNETES_CLIENT_FILE } from '#infra/constructs/hub-function.ts';
import { BUNDLE_ENV, bundleLikeTheStack, checkKubernetesClient, endpointGroupsInBundle, withDeployedBundles, type KubernetesClientCheck } from '../bundles.ts';
import { round, summarize, type Sample } from '../stats.ts';
import type { BenchResult, Scenario } from '../result.ts';

const MINIMAL_HONO = `
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
const app = new Hono();
app.get('/health', (c) => c.json({ ok: true }));
export const handler = handle(app);
`;

/**
 * The fair reference for a function: Hono on Lambda with the AWS SDK clients every function
 * builds at its cold start (DynamoDB with the document client, Secrets Manager) and the commands
 * its adapters send, bundled with the stack's options. What a function costs beyond it is its own code.
 */
const HONO_WITH_SDK = `
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { DynamoDBClient, ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SecretsManagerClient, CreateSecretCommand, DeleteSecretCommand, GetSecretValueCommand, PutSecretValueCommand, ResourceExistsException, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
const table = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
const secrets = new SecretsManagerClient({});
export const commands = [DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, CreateSecretCommand, DeleteSecretCommand, GetSecretValueCommand, PutSecretValueCommand];
export const errors = [ConditionalCheckFailedException, TransactionCanceledException, ResourceExistsException, ResourceNotFoundException];
const app = new Hono();
app.get('/health', async (c) => c.json({ item: (await table.send(new GetCommand({ TableName: 't', Key: { pk: 'p', sk: 's' } }))).Item, secrets: Boolean(secrets) }));
export const handler = handle(app);
`;

/** A function's import may take at most this many times the reference's (issue 11). */
export const IMPORT_RATIO_LIMIT = 1.2;

interface ProcessTimes {
  /** Milliseconds from spawning Node to its exit, importing `file` on the way. */
  wall: number;
  /** Milliseconds of CPU its main thread spent, start and import: the same work, without the time it waited for a core. */
  cpu: number;
}

/** Starts Node, imports `file` (if any) and exits, in a fresh process. */
function startAndImport(file: string | undefined): ProcessTimes {
  const script = `${file ? `await import(${JSON.stringify(file)});` : ''} const { user, system } = process.threadCpuUsage(); process.stdout.write(String((user + system) / 1000));`;
  const started = performance.now();
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: BUNDLE_ENV, stdio: ['ignore', 'pipe', 'inherit'] });
  return { wall: performance.now() - started, cpu: Number(out.toString()) };
}

/**
 * Each function's bundle exactly as the CDK stack deploys it: its size, and
 * the time a fresh Node process takes to start and import it, against a bare
 * Node start, a minimal Hono-on-Lambda bundle, and the fair reference (that
 * bundle with the SDK clients the functions use), all built with the same options.
 */
export const coldStart: Scenario = (ctx) => {
  ctx.log('synthesizing the stack (esbuild bundles)');
  return withDeployedBundles(async (bundles, outdir) => {
    const minimalFile = join(outdir, 'minimal-hono.mjs');
    const entry = join(outdir, 'minimal-entry.mjs');
    writeFileSync(entry, MINIMAL_HONO);
    await bundleLikeTheStack(entry, minimalFile);
    const referenceFile = join(outdir, 'hono-with-sdk.mjs');
    const referenceEntry = join(outdir, 'hono-with-sdk-entry.mjs');
    writeFileSync(referenceEntry, HONO_WITH_SDK);
    await bundleLikeTheStack(referenceEntry, referenceFile);
    const times = ctx.quick ? 3 : 15;
    // Interleaved, so that a burst of load on the shared machine falls on every series alike.
    const files = [undefined, minimalFile, referenceFile, ...bundles.map((b) => b.file)];
    const series = files.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
    for (let i = 0; i < times; i++)
      files.forEach((file, k) => {
        const { wall, cpu } = startAndImport(file);
        series[k]!.wall.push(wall);
        series[k]!.cpu.push(cpu);
      });
    const [bare, minimal, reference, ...measured] = series.map((s) => summarize(s.wall)) as [Sample, Sample, Sample, ...Sample[]];
    const [, , referenceCpu, ...measuredCpu] = series.map((s) => summarize(s.cpu)) as [Sample, Sample, Sample, ...Sample[]];
    const referenceKiB = round(statSync(referenceFile).size / 1024, 1);
    const results: BenchResult[] = [
      {
        scenario: 'cold-start',
        name: 'bare Node 22 process (start and exit)',
        figure: `${bare.median} ms`,
        reference: '-',
        ratio: null,
        how: `median of ${times} fresh processes`,
        samples: { process: bare },
        noisy: bare.noisy,
      },
      {
        scenario: 'cold-start',
        name: 'minimal Hono-on-Lambda bundle',
        figure: `${minimal.median} ms, ${round(statSync(minimalFile).size / 1024, 1)} KiB`,
        reference: `${bare.median} ms (bare Node)`,
        ratio: round(minimal.median / bare.median),
        how: 'fresh process: start, import the bundle, exit',
        samples: { process: minimal },
        budget: { bytes: statSync(minimalFile).size },
        noisy: minimal.noisy,
      },
      {
        scenario: 'cold-start',
        name: 'fair reference: Hono-on-Lambda bundle with the SDK clients the functions use (DynamoDB, lib-dynamodb, Secrets Manager)',
        figure: `${reference.median} ms, ${referenceCpu.median} ms CPU, ${referenceKiB} KiB`,
        reference: `${bare.median} ms (bare Node)`,
        ratio: round(reference.median / bare.median),
        how: 'fresh process: start, import the bundle, exit',
        samples: { process: reference, cpu: referenceCpu },
        budget: { bytes: statSync(referenceFile).size },
        noisy: reference.noisy,
      },
    ];
    for (const [i, { name, file, dir }] of bundles.entries()) {
      const bytes = statSync(file).size;
      // The same check as the lazy-loading test: the source map, and V8 coverage of a fresh import.
      const client = await checkKubernetesClient(file);
      const beside = existsSync(join(dir, KUBERNETES_CLIENT_FILE));
      const groups = endpointGroupsInBundle(file);
      const own = name === 'GrantSweeper' ? [] : [name.toLowerCase()];
      const sample = measured[i]!;
      const cpu = measuredCpu[i]!;
      // Judged on the main thread's CPU time: the wall time of the same run is beside it, but on a
      // machine shared by many it mostly measures the waits for a core.
      const ratio = round(cpu.median / referenceCpu.median);
      ctx.log(`${name}: ${round(bytes / 1024, 1)} KiB, ${cpu.median} ms CPU, ${ratio}x the fair reference`);
      results.push({
        scenario: 'cold-start',
        name: `${name} Lambda bundle (${clientLabel(client, beside)}; ${groups.length ? `group ${groups.join(', ')}` : 'no endpoint group'})`,
        figure: `${cpu.median} ms CPU (${sample.median} ms wall, ${round(sample.median / reference.median)}x), ${round(bytes / 1024, 1)} KiB`,
        reference: `${referenceCpu.median} ms CPU (${reference.median} ms wall), ${referenceKiB} KiB (fair reference)`,
        ratio,
        how:
          `fresh process: start, import the deployed bundle (cdk synth output), exit; the main thread's CPU time, its wall time beside; ` +
          `goal ≤ ${IMPORT_RATIO_LIMIT}x the fair reference (${ratio <= IMPORT_RATIO_LIMIT ? 'met' : 'not met'})`,
        samples: { process: sample, cpu },
        budget: {
          bytes,
          kubernetes_client_in_bundle: client.inBundle ? 1 : 0,
          kubernetes_client_evaluated_on_import: client.evaluatedOnImport ? 1 : 0,
          kubernetes_client_beside_bundle: beside ? 1 : 0,
          other_endpoint_groups_in_bundle: groups.filter((g) => !own.includes(g)).length,
          import_ratio_limit: IMPORT_RATIO_LIMIT,
        },
        noisy: sample.noisy,
      });
    }
    return results;
  });
};

function clientLabel(client: KubernetesClientCheck, beside: boolean): string {
  if (!client.inBundle) return beside ? 'Kubernetes client in a file of its own beside it, loaded on the first live call' : 'no Kubernetes client';
  return client.evaluatedOnImport ? 'Kubernetes client inside, evaluated on import' : 'Kubernetes client inside, not evaluated on import';
}
