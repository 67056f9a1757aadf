import { execFileSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KUBERNETES_CLIENT_FILE } from '#infra/constructs/hub-function.ts';
import {
  BUNDLE_ENV,
  bundleFiles,
  bundleLikeTheStack,
  checkKubernetesClient,
  endpointGroupsInBundle,
  withDeployedBundles,
  type KubernetesClientCheck,
} from '../bundles.ts';
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
  /** The same, up to the answer to its first request (NaN when none was sent). */
  firstRequestCpu: number;
}

/**
 * The first request a cold function answers, one that needs no I/O: an API Gateway (payload 2.0)
 * GET of a path no function serves. The function answers it with the hub's 404 after building its
 * app (a handler builds it on its first request, shared/http/lambda-entry.ts), the reference with Hono's.
 */
const FIRST_REQUEST = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/api/v1/cold-start-probe',
  rawQueryString: '',
  headers: { accept: 'application/json' },
  requestContext: {
    http: { method: 'GET', path: '/api/v1/cold-start-probe', protocol: 'HTTP/1.1', sourceIp: '198.51.100.1', userAgent: 'bench' },
    requestId: 'cold-start-1',
  },
  isBase64Encoded: false,
};

/** Starts Node, imports `file` (if any), answers its first request when `request` is set, and exits, in a fresh process. */
function startAndImport(file: string | undefined, request = false): ProcessTimes {
  const cpu = 'const { user, system } = process.threadCpuUsage(); return (user + system) / 1000;';
  const script = [
    `const cpu = () => { ${cpu} };`,
    file ? `const { handler } = await import(${JSON.stringify(file)});` : '',
    'const imported = cpu();',
    request
      ? `const res = await handler(${JSON.stringify(FIRST_REQUEST)}, { awsRequestId: 'cold-start-1' }); if (res.statusCode !== 404) throw new Error('the first request answered ' + res.statusCode);`
      : '',
    `process.stdout.write(JSON.stringify([imported, ${request ? 'cpu()' : 'null'}]));`,
  ].join('\n');
  const started = performance.now();
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: BUNDLE_ENV, stdio: ['ignore', 'pipe', 'inherit'] });
  const [imported, answered] = JSON.parse(out.toString()) as [number, number | null];
  return { wall: performance.now() - started, cpu: imported, firstRequestCpu: answered ?? Number.NaN };
}

/** Whether a function answers API Gateway: the workers (the grant sweeper, the background work) do not. */
const answersApi = (name: string) => !/^(GrantSweeper|BackgroundWork)/.test(name);

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
    const requests = [false, false, true, ...bundles.map((b) => answersApi(b.name))];
    const series = files.map(() => ({ wall: [] as number[], cpu: [] as number[], first: [] as number[] }));
    for (let i = 0; i < times; i++)
      files.forEach((file, k) => {
        const { wall, cpu, firstRequestCpu } = startAndImport(file, requests[k]);
        series[k]!.wall.push(wall);
        series[k]!.cpu.push(cpu);
        if (requests[k]) series[k]!.first.push(firstRequestCpu);
      });
    const [bare, minimal, reference, ...measured] = series.map((s) => summarize(s.wall)) as [Sample, Sample, Sample, ...Sample[]];
    const [, , referenceCpu, ...measuredCpu] = series.map((s) => summarize(s.cpu)) as [Sample, Sample, Sample, ...Sample[]];
    const [, , referenceFirst, ...measuredFirst] = series.map((s) => (s.first.length ? summarize(s.first) : undefined));
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
        figure: `${reference.median} ms, ${referenceCpu.median} ms CPU; ${referenceFirst!.median} ms CPU up to its first answer; ${referenceKiB} KiB`,
        reference: `${bare.median} ms (bare Node)`,
        ratio: round(reference.median / bare.median),
        how: 'fresh process: start, import the bundle, answer one request that needs no I/O (a path not served: 404), exit',
        samples: { process: reference, cpu: referenceCpu, first_request_cpu: referenceFirst! },
        budget: { bytes: statSync(referenceFile).size },
        noisy: reference.noisy,
      },
    ];
    for (const [i, { name, file, dir }] of bundles.entries()) {
      const entryBytes = statSync(file).size;
      const bytes = bundleFiles(file).reduce((sum, f) => sum + statSync(f).size, 0);
      // The same check as the lazy-loading test: the source map, and V8 coverage of a fresh import.
      const client = await checkKubernetesClient(file);
      const beside = existsSync(join(dir, KUBERNETES_CLIENT_FILE));
      const groups = endpointGroupsInBundle(file);
      const own = name === 'GrantSweeper' ? [] : [name.toLowerCase()];
      const sample = measured[i]!;
      const cpu = measuredCpu[i]!;
      const first = measuredFirst[i];
      // Judged on the main thread's CPU time: the wall time of the same run is beside it, but on a
      // machine shared by many it mostly measures the waits for a core.
      const ratio = round(cpu.median / referenceCpu.median);
      // What the import leaves to the first request is counted here, against the reference's own first answer.
      const firstRatio = first ? round(first.median / referenceFirst!.median) : undefined;
      const answered = first ? `; up to its first answer ${first.median} ms CPU, ${firstRatio}x the reference's` : '';
      ctx.log(`${name}: ${round(bytes / 1024, 1)} KiB, ${cpu.median} ms CPU, ${ratio}x the fair reference${answered}`);
      results.push({
        scenario: 'cold-start',
        name: `${name} Lambda bundle (${clientLabel(client, beside)}; ${groups.length ? `group ${groups.join(', ')}` : 'no endpoint group'})`,
        figure: `${cpu.median} ms CPU (${sample.median} ms wall, ${round(sample.median / reference.median)}x)${answered}; ${round(entryBytes / 1024, 1)} KiB entry, ${round(bytes / 1024, 1)} KiB with its chunks`,
        reference: `${referenceCpu.median} ms CPU (${reference.median} ms wall)${first ? `, ${referenceFirst!.median} ms CPU up to its first answer` : ''}, ${referenceKiB} KiB (fair reference)`,
        ratio,
        how:
          `fresh process: start, import the deployed bundle (cdk synth output), exit; the main thread's CPU time, its wall time beside; ` +
          (first
            ? `the same up to the answer to a first request that needs no I/O (a path not served: 404), which builds the app the import leaves to it; `
            : '') +
          `goal ≤ ${IMPORT_RATIO_LIMIT}x the fair reference (${ratio <= IMPORT_RATIO_LIMIT ? 'met' : 'not met'})`,
        samples: first ? { process: sample, cpu, first_request_cpu: first } : { process: sample, cpu },
        budget: {
          bytes,
          entry_bytes: entryBytes,
          kubernetes_client_in_bundle: client.inBundle ? 1 : 0,
          kubernetes_client_evaluated_on_import: client.evaluatedOnImport ? 1 : 0,
          kubernetes_client_beside_bundle: beside ? 1 : 0,
          other_endpoint_groups_in_bundle: groups.filter((g) => !own.includes(g)).length,
          import_ratio_limit: IMPORT_RATIO_LIMIT,
          ...(firstRatio === undefined ? {} : { first_request_ratio: firstRatio }),
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
