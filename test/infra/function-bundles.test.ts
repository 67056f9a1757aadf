import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBERNETES_CLIENT_FILE } from '#infra/constructs/hub-function.ts';
import { ENDPOINT_GROUP_NAMES } from '#shared/api/endpoint-group-names.ts';
import { endpointGroups, openapiDocument } from '#shared/api/catalog.ts';
import { OPENAPI_DOCUMENT_FILE } from '#shared/api/system/openapi-asset.ts';
import {
  BUNDLE_ENV,
  bundledSources,
  bundleFiles,
  bundleLikeTheStack,
  endpointGroupsInBundle,
  synthesizeBundles,
  type DeployedBundle,
} from '#test/bench/bundles.ts';

/**
 * What each Lambda's deployed asset (cdk synth output) carries: its own endpoint group only, the
 * OpenAPI document of every group as a file beside the system bundle, and the Kubernetes client as
 * a file of its own beside the clusters bundle. The assets are run where they were synthesized, in a
 * temporary directory with no node_modules above it, so nothing outside an asset can stand in for it.
 */

let outdir: string;
let bundles: Record<string, DeployedBundle>;
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'clusterhub-function-bundles-'));
  bundles = Object.fromEntries(synthesizeBundles(outdir).map((b) => [b.name, b]));
}, 180_000);
afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

const run = (script: string, args: string[], cwd: string) =>
  promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, ...args], { cwd, env: BUNDLE_ENV, timeout: 60_000 });

// The asset may hold a node_modules of its own; no folder above it may.
function noNodeModulesAbove(dir: string) {
  for (let d = dirname(dir); d !== dirname(d); d = dirname(d)) expect(existsSync(join(d, 'node_modules')), d).toBe(false);
}

describe('each function bundles its own endpoint group only', () => {
  it('names, in each bundle’s source map, the route code of its own group and of no other; the grant sweeper, the planner and the workers none', () => {
    const carried = Object.fromEntries(Object.values(bundles).map((b) => [b.name, endpointGroupsInBundle(b.file)]));
    expect(carried).toEqual({
      System: ['system'],
      Identity: ['identity'],
      Audit: ['audit'],
      Clusters: ['clusters'],
      Resources: ['resources'],
      Topology: ['topology'],
      GrantSweeper: [],
      Operations: ['operations'],
      Health: ['health'],
      Inventory: ['inventory'],
      Console: ['console'],
      Environments: ['environments'],
      BackgroundWorkPlanner: [],
      BackgroundWorkHealthSweepWorker: [],
      BackgroundWorkInventoryWorker: [],
    });
  });

  it('names every group in the capabilities list the system function answers', () => {
    const unread = new Proxy({} as never, { get: () => undefined });
    expect(endpointGroups(unread).map((g) => g.name)).toEqual([...ENDPOINT_GROUP_NAMES]);
  });
});

// Imports a bundle and answers one API Gateway (payload 2.0) GET with it.
const INVOKE = `
import { pathToFileURL } from 'node:url';
const [file, path] = process.argv.slice(1);
const { handler } = await import(pathToFileURL(file).href);
const event = { version: '2.0', routeKey: '$default', rawPath: path, rawQueryString: '', headers: { accept: 'application/json' },
  requestContext: { http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.1', userAgent: 'test' }, requestId: 'bundle-req-1' }, isBase64Encoded: false };
const res = await handler(event, { awsRequestId: 'bundle-req-1' });
// Exit once the pipe has taken all of it: a write to a pipe is asynchronous, and the document is larger than its buffer.
process.stdout.write(JSON.stringify(res), () => process.exit(0));
`;

describe('the system function’s OpenAPI document', () => {
  it('is served from the file beside its bundle, the document of every group the sources generate', { timeout: 60_000 }, async () => {
    const system = bundles.System!;
    noNodeModulesAbove(system.dir);
    expect(existsSync(join(system.dir, OPENAPI_DOCUMENT_FILE))).toBe(true);
    const { stdout } = await run(INVOKE, [system.file, '/api/v1/openapi.json'], system.dir);
    const res = JSON.parse(stdout) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(200);
    const served = JSON.parse(res.body) as { paths: Record<string, unknown> };
    expect(Object.keys(served.paths)).toEqual(expect.arrayContaining(['/api/v1/auth/login', '/api/v1/audit-log', '/api/v1/clusters', '/api/v1/health']));
    expect(served).toEqual(JSON.parse(JSON.stringify(openapiDocument())));
  });
});

// Imports a bundle and calls its handler once with the event given as JSON: its answer, or the message it failed with.
const CALL = `
import { pathToFileURL } from 'node:url';
const [file, event] = process.argv.slice(1);
const { handler } = await import(pathToFileURL(file).href);
// A context as Lambda passes one: the workers give each record a deadline from the time left.
const context = { awsRequestId: 'bundle-call-1', getRemainingTimeInMillis: () => 30_000 };
const outcome = await handler(JSON.parse(event), context).then((answer) => ({ answer }), (err) => ({ failed: err.message }));
process.stdout.write(JSON.stringify(outcome), () => process.exit(0));
`;

const apiEvent = (path: string) => ({
  version: '2.0',
  routeKey: '$default',
  rawPath: path,
  rawQueryString: '',
  headers: { accept: 'application/json' },
  requestContext: { http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.1', userAgent: 'test' }, requestId: 'bundle-call-1' },
  isBase64Encoded: false,
});

describe('the code a handler loads on its first call', () => {
  // Each handler builds its group or worker on its first call, from chunks beside index.mjs: they must be in the asset.
  it('is inside every asset: each function answers its first call with nothing outside the asset', { timeout: 180_000 }, async () => {
    const outcomes: Record<string, unknown> = {};
    for (const bundle of Object.values(bundles)) {
      noNodeModulesAbove(bundle.dir);
      const worker = /^(GrantSweeper|BackgroundWork)/.test(bundle.name);
      // No call needs I/O: an API path no group serves, an empty batch, a planner event that is no schedule's.
      const event = bundle.name === 'BackgroundWorkPlanner' ? {} : worker ? { Records: [] } : apiEvent('/api/v1/no-such-route');
      const { stdout } = await run(CALL, [bundle.file, JSON.stringify(event)], bundle.dir);
      const outcome = JSON.parse(stdout) as { answer?: { statusCode?: number; body?: string; batchItemFailures?: unknown[] }; failed?: string };
      outcomes[bundle.name] =
        outcome.failed ?? (outcome.answer?.body ? [outcome.answer.statusCode, (JSON.parse(outcome.answer.body) as { code: string }).code] : outcome.answer);
    }
    const notServed = [404, 'NOT_FOUND'];
    expect(outcomes).toEqual({
      System: notServed,
      Identity: notServed,
      Audit: notServed,
      Clusters: notServed,
      Resources: notServed,
      Topology: notServed,
      Environments: notServed,
      Operations: notServed,
      Health: notServed,
      Inventory: notServed,
      Console: notServed,
      GrantSweeper: { batchItemFailures: [] },
      BackgroundWorkPlanner: expect.stringContaining('is not a schedule'),
      BackgroundWorkHealthSweepWorker: { batchItemFailures: [] },
      BackgroundWorkInventoryWorker: { batchItemFailures: [] },
    });
  });

  it('is in chunks of their own: a cold import compiles a small entry', () => {
    for (const bundle of Object.values(bundles)) {
      expect(bundleFiles(bundle.file).length, bundle.name).toBeGreaterThan(1);
      expect(readFileSync(bundle.file, 'utf8').length, bundle.name).toBeLessThan(8 * 1024);
    }
  });
});

// Loads @kubernetes/client-node from a module beside the bundle: the resolution the bundle's own import() gets.
const LOAD_CLIENT = `
const resolved = import.meta.resolve('@kubernetes/client-node');
const client = await import('@kubernetes/client-node');
const config = new client.KubeConfig();
config.loadFromString(JSON.stringify({ clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }], users: [{ name: 'u', user: {} }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], 'current-context': 'x' }));
process.stdout.write(JSON.stringify({ resolved, server: config.getCurrentCluster()?.server, api: typeof config.makeApiClient(client.CoreV1Api).listNamespace }));
process.exit(0);
`;

describe('the Kubernetes client of the clusters function', () => {
  it('is a file of its own inside the asset, which loads with nothing outside the asset', { timeout: 60_000 }, async () => {
    const clusters = bundles.Clusters!;
    noNodeModulesAbove(clusters.dir);
    // The bundle imports (and so parses) nothing of the client until the first live call.
    const imported = await run(`await import(${JSON.stringify(clusters.file)}); process.stdout.write('ok'); process.exit(0);`, [], clusters.dir);
    expect(imported.stdout).toBe('ok');
    const probe = join(clusters.dir, 'load-client.mjs');
    writeFileSync(probe, LOAD_CLIENT);
    const { stdout } = await promisify(execFile)(process.execPath, [probe], { cwd: clusters.dir, env: BUNDLE_ENV, timeout: 60_000 });
    const loaded = JSON.parse(stdout) as { resolved: string; server: string; api: string };
    expect(loaded.resolved).toBe(new URL(KUBERNETES_CLIENT_FILE, `file://${clusters.dir}/`).href);
    expect(loaded).toMatchObject({ server: 'https://127.0.0.1:1', api: 'function' });
    expect(bundleFiles(clusters.file).filter((f) => readFileSync(f, 'utf8').includes('import("@kubernetes/client-node")'))).toHaveLength(1);
  });
});

// Draws a PNG as shared/adapters/raster/svg-to-png.ts does, resolving from the asset's index.mjs: the resolution the bundle gets.
const DRAW_PNG = `
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
const require = createRequire(new URL('./index.mjs', import.meta.url));
const wasm = require.resolve('@resvg/resvg-wasm/index_bg.wasm');
const font = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const module = import.meta.resolve('@resvg/resvg-wasm');
const resvg = await import('@resvg/resvg-wasm');
await resvg.initWasm(readFileSync(wasm));
const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><text x="4" y="24" font-size="14">Pod web</text></svg>';
const png = new resvg.Resvg(svg, { font: { fontBuffers: [new Uint8Array(readFileSync(font))], defaultFontFamily: 'DejaVu Sans' } }).render();
process.stdout.write(JSON.stringify({ module, wasm, font, width: png.width, height: png.height, signature: Buffer.from(png.asPng().subarray(1, 4)).toString('latin1') }));
process.exit(0);
`;

describe('the rasteriser of the topology function', () => {
  it('ships beside the bundle (WebAssembly and font), draws a PNG with nothing outside the asset, and is not in the bundle', { timeout: 60_000 }, async () => {
    const topology = bundles.Topology!;
    noNodeModulesAbove(topology.dir);
    const probe = join(topology.dir, 'draw-png.mjs');
    writeFileSync(probe, DRAW_PNG);
    const { stdout } = await promisify(execFile)(process.execPath, [probe], { cwd: topology.dir, env: BUNDLE_ENV, timeout: 60_000 });
    const drawn = JSON.parse(stdout) as { module: string; wasm: string; font: string; width: number; height: number; signature: string };
    expect(drawn).toMatchObject({ width: 120, height: 40, signature: 'PNG' });
    expect(drawn.module).toBe(new URL('node_modules/@resvg/resvg-wasm/index.mjs', `file://${topology.dir}/`).href);
    expect(drawn.wasm.startsWith(topology.dir) && drawn.font.startsWith(topology.dir)).toBe(true);
    // Imported on the first PNG, from one of the bundle's chunks, never at the top of the entry.
    expect(readFileSync(topology.file, 'utf8')).not.toContain('@resvg/resvg-wasm');
    expect(bundleFiles(topology.file).some((f) => readFileSync(f, 'utf8').includes('import("@resvg/resvg-wasm")'))).toBe(true);
    // No other function ships it.
    for (const other of Object.values(bundles).filter((b) => b.name !== 'Topology'))
      expect(existsSync(join(other.dir, 'node_modules/@resvg')), other.name).toBe(false);
  });
});

// Prints what a zod refusal says and which locales the namespace offers.
const ZOD_PROBE = `
import { z } from '@hono/zod-openapi';
const issues = z.object({ name: z.string().min(3), port: z.number().int() }).safeParse({ name: 'a', port: 'x' }).error.issues;
process.stdout.write(JSON.stringify({ messages: issues.map((i) => i.message), locales: Object.keys(z.locales) }));
`;

describe("zod's locales", () => {
  it('are in no bundle but English, the one zod uses by default', () => {
    for (const bundle of Object.values(bundles)) {
      const locales = bundledSources(bundle.file).flatMap((s) => /node_modules\/zod\/v4\/locales\/([^/]+)$/.exec(s)?.[1] ?? []);
      expect(locales, bundle.name).toEqual(['en.js']);
    }
  });

  it('leave every refusal worded as from the sources, in English', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clusterhub-zod-locales-'));
    try {
      writeFileSync(join(dir, 'entry.mjs'), ZOD_PROBE);
      await bundleLikeTheStack(join(dir, 'entry.mjs'), join(dir, 'bundle.mjs'));
      const bundled = JSON.parse((await run(`await import(${JSON.stringify(join(dir, 'bundle.mjs'))});`, [], dir)).stdout) as {
        messages: string[];
        locales: string[];
      };
      const fromSources = JSON.parse((await run(ZOD_PROBE, [], process.cwd())).stdout) as { messages: string[]; locales: string[] };
      expect(bundled.messages).toEqual(fromSources.messages);
      expect(bundled.messages[0]).toMatch(/^Too small: expected string to have >=3 characters/);
      expect(fromSources.locales.length).toBeGreaterThan(40);
      expect(bundled.locales).toEqual(['en']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
