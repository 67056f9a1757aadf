import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFiles } from '#test/bench/bundles.ts';

/**
 * `npx cdk synth` as the README promises it: the real CLI through cdk.json's app command,
 * with no AWS credentials, no AWS config files, no emulator endpoints and no network calls
 * of its own, bundling every function with esbuild. Slow (bundling), so run once.
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const SYNTH_TIMEOUT_MS = 10 * 60_000;

// The Lambda folders: one function each, the thin entry of an endpoint group or of a worker (functions/workers/<job>).
const functionFolders = readdirSync(join(repoRoot, 'functions'), { recursive: true, encoding: 'utf8' })
  .filter((path) => basename(path) === 'handler.ts')
  .map((path) => dirname(path));

/** The caller's environment without anything that could reach AWS or name an account. */
function offlineEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // AWS_*: credentials, profiles, regions and the test bed's AWS_ENDPOINT_URL*; CDK_*: CDK_DEFAULT_ACCOUNT/REGION, CDK_CONTEXT_JSON.
    if (key.startsWith('AWS_') || key.startsWith('CDK_')) continue;
    env[key] = value;
  }
  return {
    ...env,
    // No ~/.aws (the SDK reads the files under HOME); the CLI's cache and notices state live under CDK_HOME,
    // which it otherwise takes from the passwd entry rather than HOME.
    HOME: home,
    CDK_HOME: join(home, '.cdk'),
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    // No instance role either, even when the tests run on EC2.
    AWS_EC2_METADATA_DISABLED: 'true',
    // No npm registry look-up (npx runs the local aws-cdk), no version check, no telemetry.
    npm_config_offline: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: '1',
  };
}

/**
 * Whether the CLI can be run in a network namespace of its own (unprivileged user namespaces),
 * which makes "offline" a fact rather than a setting: any network call would fail.
 */
const canIsolateNetwork = process.platform === 'linux' && spawnSync('unshare', ['-rn', 'true'], { stdio: 'ignore' }).status === 0;

interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
}

let work: string;
let outDir: string;
let template: Template;
let dataTemplate: Template;
let serviceTemplate: Template;
let assets: { files: Record<string, { source: { path: string; packaging?: string } }> };
let stackEnvironments: (string | undefined)[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'clusterhub-synth-'));
  const home = join(work, 'home');
  mkdirSync(home);
  outDir = join(work, 'cdk.out');
  const synth = ['npx', 'cdk', 'synth', '--quiet', '--no-notices', '--no-version-reporting', '-o', outDir];
  const [command, ...args] = canIsolateNetwork ? ['unshare', '-rn', ...synth] : synth;
  try {
    await promisify(execFile)(command!, args, { cwd: repoRoot, env: offlineEnv(home), maxBuffer: 64 * 1024 * 1024, timeout: SYNTH_TIMEOUT_MS });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${synth.join(' ')} failed${canIsolateNetwork ? ' (without network)' : ''}:\n${stderr ?? ''}\n${stdout ?? ''}`, { cause: err });
  }
  const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; environment?: string; properties?: { templateFile?: string } }>;
  };
  const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  // The stateful stack keeps the single stack's name; the stateless one is beside it (infra/stack/clusterhub.ts).
  expect(stacks.map(([name]) => name).sort()).toEqual(['Clusterhub', 'ClusterhubService']);
  stackEnvironments = stacks.map(([, stack]) => stack.environment);
  const read = (name: string) => JSON.parse(readFileSync(join(outDir, manifest.artifacts[name]!.properties!.templateFile!), 'utf8')) as Template;
  dataTemplate = read('Clusterhub');
  serviceTemplate = read('ClusterhubService');
  template = { Resources: { ...dataTemplate.Resources, ...serviceTemplate.Resources } };
  // The functions' bundles are the stateless stack's assets.
  assets = JSON.parse(readFileSync(join(outDir, 'ClusterhubService.assets.json'), 'utf8'));
}, SYNTH_TIMEOUT_MS + 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const resourcesOf = (type: string, of: Template = template) => Object.values(of.Resources).filter((r) => r.Type === type);

describe(`npx cdk synth with no AWS credentials${canIsolateNetwork ? ', no network' : ''}`, () => {
  it('synthesizes two environment-agnostic stacks (no account was needed)', () => {
    expect(stackEnvironments).toEqual(['aws://unknown-account/unknown-region', 'aws://unknown-account/unknown-region']);
  });

  it('has the table in the stateful stack and the HTTP API in the stateless one', () => {
    expect(resourcesOf('AWS::DynamoDB::GlobalTable', dataTemplate)).toHaveLength(1);
    expect(resourcesOf('AWS::DynamoDB::GlobalTable', serviceTemplate)).toHaveLength(0);
    expect(resourcesOf('AWS::ApiGatewayV2::Api', dataTemplate)).toHaveLength(0);
    const apis = resourcesOf('AWS::ApiGatewayV2::Api', serviceTemplate);
    expect(apis).toHaveLength(1);
    expect(apis[0]!.Properties).toMatchObject({ ProtocolType: 'HTTP' });
  });

  it('has one Lambda per function folder, each with its esbuild bundle staged as an asset', () => {
    expect(functionFolders).toEqual(expect.arrayContaining(['system', 'identity', 'audit', 'clusters']));
    const bundled: string[] = [];
    for (const fn of resourcesOf('AWS::Lambda::Function')) {
      expect(fn.Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs22.x', Architectures: ['arm64'] });
      const assetPath = fn.Metadata?.['aws:asset:path'] as string;
      const dir = join(outDir, assetPath);
      // The zip the template deploys is this directory, as the asset manifest says.
      const { S3Key } = (fn.Properties!.Code ?? {}) as { S3Key?: string };
      const hash = S3Key?.replace(/\.zip$/, '') ?? '';
      expect(assets.files[hash]?.source).toEqual({ path: assetPath, packaging: 'zip' });

      const bundle = join(dir, 'index.mjs');
      // A small entry; the handler's code is in the chunks beside it that its first call imports.
      expect(bundleFiles(bundle).reduce((sum, f) => sum + statSync(f).size, 0)).toBeGreaterThan(10_000);
      expect(readFileSync(bundle, 'utf8')).toMatch(/export\s*\{[^}]*\bas handler\s*\}/);
      // The source map tells which function's handler.ts the bundle was built from.
      const map = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
      const entries = map.sources.flatMap((source) => /(?:^|\/)functions\/(.+)\/handler\.ts$/.exec(source)?.[1] ?? []);
      expect(entries).toHaveLength(1);
      bundled.push(entries[0]!);
    }
    expect(bundled.sort()).toEqual([...functionFolders].sort());
  });
});
