/**
 * A function that never talks to a cluster must not load @kubernetes/client-node (it is large
 * and slows every cold start), and one that does loads it on first use. Checked on the sources
 * in a fresh Node process whose module resolution is watched, so nothing this test runner loaded
 * can hide it; and on the bundles the CDK stack deploys, where the client is a file of its own
 * beside the clusters bundle (the bundle's source map names none of it), and the evidence that a
 * bundle does not run what it carries is V8's coverage of a fresh import mapped back through its source map.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBERNETES_CLIENT_FILE } from '#infra/constructs/hub-function.ts';
import {
  bundleFiles,
  bundleLikeTheStack,
  checkKubernetesClient,
  kubernetesClientInBundle,
  synthesizeBundles,
  type DeployedBundle,
} from '#test/bench/bundles.ts';

const root = resolve(import.meta.dirname, '../../../..');

const probe = `
import { registerHooks } from 'node:module';
const loaded = () => seen.length > 0;
const seen = [];
registerHooks({
  resolve(specifier, context, next) {
    if (specifier === '@kubernetes/client-node' || specifier.startsWith('@kubernetes/client-node/')) seen.push(specifier);
    return next(specifier, context);
  },
});
const steps = {};
await import('#shared/ports/cluster-gateway.ts');
await import('#shared/domain/clusters/kubeconfig-policy.ts');
const { createKubernetesGatewayFactory } = await import('#shared/adapters/kubernetes/kubernetes-gateway.ts');
const { parseNetworkPolicy } = await import('#shared/domain/clusters/network-policy.ts');
const { checkKubeconfig } = await import('#shared/domain/clusters/kubeconfig-policy.ts');
steps.afterImport = loaded();
const policy = { networks: parseNetworkPolicy('127.0.0.0/8'), allowInsecureTls: false };
const text = 'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\\nusers: [{name: u, user: {token: t0ken}}]\\ncontexts: [{name: x, context: {cluster: c, user: u}}]\\n';
const gateway = createKubernetesGatewayFactory({ policy, timeoutMs: 2000 })(checkKubeconfig({ text }, policy));
steps.afterConstruction = loaded();
const result = await gateway.testConnection();
steps.afterFirstCall = loaded();
steps.reason = result.reason;
gateway.close();
console.log(JSON.stringify(steps));
`;

describe('loading @kubernetes/client-node', () => {
  it('happens on the first call to a cluster, not on import or construction', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], {
      cwd: root,
      timeout: 30_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({
      afterImport: false,
      afterConstruction: false,
      afterFirstCall: true,
      reason: 'refused',
    });
  });
});

describe('@kubernetes/client-node in the deployed bundles (cdk synth output)', () => {
  let outdir: string;
  let bundles: DeployedBundle[];
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'clusterhub-lazy-'));
    bundles = synthesizeBundles(outdir);
  }, 120_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('is inside no bundle: only the functions that talk to clusters ship it, in a file of its own beside their bundles', () => {
    const carrying = bundles.filter((b) => kubernetesClientInBundle(b.file)).map((b) => b.name);
    expect(carrying).toEqual([]);
    const shipping = bundles.filter((b) => existsSync(join(b.dir, KUBERNETES_CLIENT_FILE))).map((b) => b.name);
    expect(shipping.sort()).toEqual([
      'BackgroundWorkHealthSweepWorker',
      'BackgroundWorkInventoryWorker',
      'Clusters',
      'Console',
      'Environments',
      'Resources',
      'Topology',
    ]);
    for (const name of shipping) expect(kubernetesClientInBundle(join(bundles.find((b) => b.name === name)!.dir, KUBERNETES_CLIENT_FILE)), name).toBe(true);
  });

  it('is not evaluated when a fresh Node process imports the Clusters bundle', { timeout: 60_000 }, async () => {
    const clusters = bundles.find((b) => b.name === 'Clusters')!;
    expect(await checkKubernetesClient(clusters.file)).toEqual({ inBundle: false, evaluatedOnImport: false });
    // What the first live call loads: the bundle (one of the chunks its handler imports on its first call) leaves the client's import() to Node's resolution.
    expect(bundleFiles(clusters.file).filter((f) => readFileSync(f, 'utf8').includes('import("@kubernetes/client-node")'))).toHaveLength(1);
  });

  // The same check must see the client run when a bundle built the same way does evaluate it.
  it.each([
    { how: 'a static import', code: `import { KubeConfig } from '@kubernetes/client-node'; export const kubeConfig = KubeConfig;`, evaluated: true },
    { how: 'a dynamic import awaited at the top level', code: `export const client = await import('@kubernetes/client-node');`, evaluated: true },
    { how: 'a dynamic import inside a function never called', code: `export const load = () => import('@kubernetes/client-node');`, evaluated: false },
  ])('judges a bundle with $how: evaluated on import = $evaluated', { timeout: 60_000 }, async ({ how, code, evaluated }) => {
    const entry = join(outdir, `${how.replaceAll(' ', '-')}.mjs`);
    writeFileSync(entry, `import { Hono } from 'hono';\nexport const app = new Hono();\n${code}\n`);
    const file = entry.replace(/\.mjs$/, '.bundle.mjs');
    await bundleLikeTheStack(entry, file);
    expect(await checkKubernetesClient(file)).toMatchObject({ inBundle: true, evaluatedOnImport: evaluated });
  });
});
