import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterhubStack } from '#infra/stack/clusterhub-stack.ts';
import { round, summarize } from '../stats.ts';
import type { BenchResult, Scenario } from '../result.ts';

// A method of @kubernetes/client-node's KubeConfig: present only when the client itself is bundled.
const KUBERNETES_CLIENT_MARKER = 'loadFromCluster';

const MINIMAL_HONO = `
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
const app = new Hono();
app.get('/health', (c) => c.json({ ok: true }));
export const handler = handle(app);
`;

/** Milliseconds to start Node, import `file` (if any) and exit, in a fresh process each time. */
function importTimes(file: string | undefined, times: number): number[] {
  const script = file
    ? `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`
    : `process.stdout.write('0');`;
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', HUB_TABLE_NAME: 'bench', LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    out.push(performance.now() - started);
  }
  return out;
}

/**
 * Each function's bundle exactly as the CDK stack deploys it: its size, and
 * the time a fresh Node process takes to start and import it, against a bare
 * Node start and a minimal Hono-on-Lambda bundle built with the same options.
 */
export const coldStart: Scenario = async (ctx) => {
  const outdir = mkdtempSync(join(tmpdir(), 'clusterhub-bench-'));
  try {
    ctx.log('synthesizing the stack (esbuild bundles)');
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    const template = Template.fromStack(new ClusterhubStack(app, 'Bench', { deletionProtection: false }));
    app.synth();
    const functions = Object.entries(template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }));

    const minimalFile = join(outdir, 'minimal-hono.mjs');
    const entry = join(outdir, 'minimal-entry.mjs');
    writeFileSync(entry, MINIMAL_HONO);
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      minify: true,
      outfile: minimalFile,
      nodePaths: [join(process.cwd(), 'node_modules')],
      banner: { js: "import { createRequire as __createRequire } from 'module'; const require = __createRequire(import.meta.url);" },
    });
    const times = ctx.quick ? 3 : 15;
    const bare = summarize(importTimes(undefined, times));
    const minimal = summarize(importTimes(minimalFile, times));
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
    ];
    for (const [logicalId, resource] of functions) {
      const assetDir = resource.Metadata?.['aws:asset:path'] as string | undefined;
      if (!assetDir) throw new Error(`no asset path for ${logicalId}`);
      const file = join(outdir, assetDir, 'index.mjs');
      const bytes = statSync(file).size;
      const carriesClient = readFileSync(file, 'utf8').includes(KUBERNETES_CLIENT_MARKER);
      const sample = summarize(importTimes(file, times));
      const name = logicalId.replace(/Function[0-9A-F]{8}$/, '');
      ctx.log(`${name}: ${round(bytes / 1024, 1)} KiB, ${sample.median} ms`);
      results.push({
        scenario: 'cold-start',
        name: `${name} Lambda bundle${carriesClient ? ' (Kubernetes client inside, evaluated lazily on the first live call)' : ' (no Kubernetes client)'}`,
        figure: `${sample.median} ms, ${round(bytes / 1024, 1)} KiB`,
        reference: `${minimal.median} ms, ${round(statSync(minimalFile).size / 1024, 1)} KiB (minimal Hono)`,
        ratio: round(sample.median / minimal.median),
        how: 'fresh process: start, import the deployed bundle (cdk synth output), exit',
        samples: { process: sample },
        budget: { bytes, kubernetes_client_in_bundle: carriesClient ? 1 : 0 },
        noisy: sample.noisy,
      });
    }
    return results;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
};
