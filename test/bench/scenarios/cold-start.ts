import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_ENV, bundleLikeTheStack, checkKubernetesClient, withDeployedBundles, type KubernetesClientCheck } from '../bundles.ts';
import { round, summarize } from '../stats.ts';
import type { BenchResult, Scenario } from '../result.ts';

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
      env: BUNDLE_ENV,
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
export const coldStart: Scenario = (ctx) => {
  ctx.log('synthesizing the stack (esbuild bundles)');
  return withDeployedBundles(async (bundles, outdir) => {
    const minimalFile = join(outdir, 'minimal-hono.mjs');
    const entry = join(outdir, 'minimal-entry.mjs');
    writeFileSync(entry, MINIMAL_HONO);
    await bundleLikeTheStack(entry, minimalFile);
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
    for (const { name, file } of bundles) {
      const bytes = statSync(file).size;
      // The same check as the lazy-loading test: the source map, and V8 coverage of a fresh import.
      const client = await checkKubernetesClient(file);
      const sample = summarize(importTimes(file, times));
      ctx.log(`${name}: ${round(bytes / 1024, 1)} KiB, ${sample.median} ms`);
      results.push({
        scenario: 'cold-start',
        name: `${name} Lambda bundle (${clientLabel(client)})`,
        figure: `${sample.median} ms, ${round(bytes / 1024, 1)} KiB`,
        reference: `${minimal.median} ms, ${round(statSync(minimalFile).size / 1024, 1)} KiB (minimal Hono)`,
        ratio: round(sample.median / minimal.median),
        how: 'fresh process: start, import the deployed bundle (cdk synth output), exit',
        samples: { process: sample },
        budget: { bytes, kubernetes_client_in_bundle: client.inBundle ? 1 : 0, kubernetes_client_evaluated_on_import: client.evaluatedOnImport ? 1 : 0 },
        noisy: sample.noisy,
      });
    }
    return results;
  });
};

function clientLabel(client: KubernetesClientCheck): string {
  if (!client.inBundle) return 'no Kubernetes client';
  return client.evaluatedOnImport ? 'Kubernetes client inside, evaluated on import' : 'Kubernetes client inside, not evaluated on import';
}
