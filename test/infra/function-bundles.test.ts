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
import { BUNDLE_ENV, bundledSources, bundleLikeTheStack, endpointGroupsInBundle, synthesizeBundles, type DeployedBundle } from '#test/bench/bundles.ts';

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
      GrantSweeper: [],
      Operations: ['operations'],
      Health: ['health'],
      Inventory: ['inventory'],
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
    expect(readFileSync(clusters.file, 'utf8')).toContain('import("@kubernetes/client-node")');
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
