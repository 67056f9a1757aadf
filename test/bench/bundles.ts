/**
 * The Lambda bundles exactly as the CDK stack deploys them (its esbuild output), and what a
 * fresh Node process does with the Kubernetes client when it imports one. Shared by the
 * cold-start scenario and the test that proves the client is loaded lazily in the bundles.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { BUNDLE_OPTIONS, CHUNK_PREFIX } from '#infra/build/function-bundle.ts';
import { clusterhubStacks } from '#infra/stack/clusterhub.ts';

export interface DeployedBundle {
  /** The function's name in the stack: System, Identity, Audit, Clusters. */
  name: string;
  /** Its index.mjs, with index.mjs.map beside it. */
  file: string;
  /** The asset folder: the bundle and the files shipped beside it. */
  dir: string;
}

/** The environment a bundle is imported with: enough configuration for its module level to run. */
export const BUNDLE_ENV = { PATH: process.env.PATH, AWS_REGION: 'us-east-1', HUB_TABLE_NAME: 'bench', LOG_LEVEL: 'error' };

/** Synthesizes the stack into `outdir` and returns every function's deployed bundle. */
export function synthesizeBundles(outdir: string): DeployedBundle[] {
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  // The functions are all in the stateless stack; the data stack has no assets.
  const template = Template.fromStack(clusterhubStacks(app, 'Bench', { deletionProtection: false }).service);
  app.synth();
  return Object.entries(template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } })).map(([logicalId, resource]) => {
    const assetDir = resource.Metadata?.['aws:asset:path'] as string | undefined;
    if (!assetDir) throw new Error(`no asset path for ${logicalId}`);
    return { name: logicalId.replace(/Function[0-9A-F]{8}$/, ''), file: join(outdir, assetDir, 'index.mjs'), dir: join(outdir, assetDir) };
  });
}

/** Synthesizes into a temporary directory, hands the bundles to `use`, then removes them. */
export async function withDeployedBundles<T>(use: (bundles: DeployedBundle[], outdir: string) => Promise<T>): Promise<T> {
  const outdir = mkdtempSync(join(tmpdir(), 'clusterhub-bundles-'));
  try {
    return await use(synthesizeBundles(outdir), outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Bundles `entry` with the options every function's bundle is built with (infra/build/function-bundle.ts),
 * for the references and controls measured beside the deployed bundles.
 */
export async function bundleLikeTheStack(entry: string, outfile: string): Promise<void> {
  await build({ ...BUNDLE_OPTIONS, entryPoints: [entry], outfile, logLevel: 'silent' });
}

const CLIENT_SOURCE = /(^|\/)node_modules\/@kubernetes\/client-node\//;

interface SourceMapPayload {
  sources: string[];
  mappings: string;
}

const readSourceMap = (file: string) => JSON.parse(readFileSync(`${file}.map`, 'utf8')) as SourceMapPayload;

/**
 * A function's code in its asset: its index.mjs and the chunks beside it that the handler imports
 * on its first call (infra/build/function-bundle.ts), not the Kubernetes client bundled apart.
 */
export function bundleFiles(file: string): string[] {
  const dir = dirname(file);
  const chunks = readdirSync(dir).filter((name) => name.startsWith(CHUNK_PREFIX) && name.endsWith('.mjs'));
  return [file, ...chunks.sort().map((name) => join(dir, name))];
}

/** The source files a bundle and its chunks were built from, as their source maps name them. */
export const bundledSources = (file: string): string[] => bundleFiles(file).flatMap((f) => readSourceMap(f).sources);

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Every mapped position of a bundle: its offset in the bundle's text and the index of the source it came from. */
function mappedOffsets(text: string, map: SourceMapPayload): { offset: number; source: number }[] {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const out: { offset: number; source: number }[] = [];
  let source = 0;
  map.mappings.split(';').forEach((line, lineIndex) => {
    let column = 0;
    for (const segment of line.split(',')) {
      if (!segment) continue;
      // Base64 VLQ: [generated column, source, original line, original column, name], each relative.
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const char of segment) {
        const digit = BASE64.indexOf(char);
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
        } else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += fields[0]!;
      if (fields.length < 4) continue;
      source += fields[1]!;
      out.push({ offset: lineStarts[lineIndex]! + column, source });
    }
  });
  return out;
}

/**
 * The endpoint groups whose route code (shared/api/<group>/) is inside the bundle, by its source
 * map: a function's bundle should name its own group only (none for a worker).
 */
export function endpointGroupsInBundle(file: string): string[] {
  const groups = bundledSources(file).flatMap((s) => /(?:^|\/)shared\/api\/([^/]+)\//.exec(s)?.[1] ?? []);
  return [...new Set(groups)].sort();
}

/** Whether @kubernetes/client-node is inside the bundle or its chunks: their source maps name the client's files. */
export function kubernetesClientInBundle(file: string): boolean {
  return bundledSources(file).some((s) => CLIENT_SOURCE.test(s));
}

// Imports the bundle under V8's precise (block) coverage and writes, for the bundle's script,
// every function and block range with the number of times it ran.
const COVERAGE_PROBE = `
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [file, out] = process.argv.slice(1);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
const url = pathToFileURL(file).href;
await import(url);
const { result } = await session.post('Profiler.takePreciseCoverage');
const script = result.find((s) => s.url === url);
if (!script) throw new Error('no coverage for ' + url);
writeFileSync(out, JSON.stringify(script.functions.map((f) => f.ranges.map((r) => [r.startOffset, r.endOffset, r.count]))));
process.exit(0);
`;

export interface ImportCoverage {
  /** Mapped positions of @kubernetes/client-node in the bundle. */
  clientPositions: number;
  /** Of those, the ones inside a function or initializer that ran while the bundle was imported. */
  clientPositionsRun: number;
  /** The same count for hono: the control that the coverage sees module-level code of a bundled package run. */
  honoPositionsRun: number;
}

interface Range {
  start: number;
  end: number;
  count: number;
  /** False for the ranges of the script's own top level. */
  inFunction: boolean;
}

/**
 * Imports `file` in a fresh Node process under V8 precise coverage and counts, through the
 * bundle's source map, which positions of @kubernetes/client-node (and, as a control, of hono)
 * ran inside a function. Only code inside functions counts: esbuild's own scaffolding for a
 * module it bundles (the lazy initializer's declaration, the export table) sits at the top level
 * and runs in any case, mapped to that module. A module that is evaluated, wrapped or hoisted,
 * runs code inside functions: its lazy initializer, static class fields, the calls its
 * top-level statements make.
 */
export async function importCoverage(file: string): Promise<ImportCoverage> {
  const dir = mkdtempSync(join(tmpdir(), 'clusterhub-coverage-'));
  try {
    const out = join(dir, 'ranges.json');
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', COVERAGE_PROBE, file, out], { env: BUNDLE_ENV, timeout: 60_000 }).catch(
      (err: { stderr?: string }) => {
        const reason = (err.stderr ?? String(err)).split('\n').find((line) => /Error/.test(line)) ?? String(err);
        throw new Error(`a fresh Node process could not import ${file}: ${reason.trim()}`);
      },
    );
    const text = readFileSync(file, 'utf8');
    const functions = JSON.parse(readFileSync(out, 'utf8')) as [number, number, number][][];
    const ranges = functions.flatMap((f) => {
      const script = f[0]![0] === 0 && f[0]![1] >= text.length;
      return f.map(([start, end, count]): Range => ({ start, end, count, inFunction: !script }));
    });
    const map = readSourceMap(file);
    const sourcesOf = (pattern: RegExp) => new Set(map.sources.flatMap((s, i) => (pattern.test(s) ? [i] : [])));
    const client = sourcesOf(CLIENT_SOURCE);
    const hono = sourcesOf(/(^|\/)node_modules\/hono\//);
    const positions = mappedOffsets(text, map).filter((p) => client.has(p.source) || hono.has(p.source));
    const innermost = innermostRanges(
      positions.map((p) => p.offset),
      ranges,
    );
    const result: ImportCoverage = { clientPositions: 0, clientPositionsRun: 0, honoPositionsRun: 0 };
    positions.forEach((p, i) => {
      const range = innermost[i];
      const ran = range !== undefined && range.inFunction && range.count > 0;
      if (client.has(p.source)) {
        result.clientPositions++;
        if (ran) result.clientPositionsRun++;
      } else if (ran) {
        result.honoPositionsRun++;
      }
    });
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The innermost coverage range holding each offset (V8's ranges nest: functions within functions, blocks within them). */
function innermostRanges(offsets: number[], ranges: Range[]): (Range | undefined)[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start || b.end - a.end);
  const order = offsets.map((_, i) => i).sort((a, b) => offsets[a]! - offsets[b]!);
  const found = new Array<Range | undefined>(offsets.length);
  const open: Range[] = [];
  let next = 0;
  for (const i of order) {
    const offset = offsets[i]!;
    while (next < sorted.length && sorted[next]!.start <= offset) {
      const range = sorted[next++]!;
      while (open.length && open.at(-1)!.end <= range.start) open.pop();
      open.push(range);
    }
    while (open.length && open.at(-1)!.end <= offset) open.pop();
    found[i] = open.at(-1);
  }
  return found;
}

export interface KubernetesClientCheck {
  inBundle: boolean;
  /** Whether importing the bundle in a fresh process ran any of the client's code. */
  evaluatedOnImport: boolean;
  /** What the import ran, when the client is in the bundle. */
  coverage?: ImportCoverage;
}

/** The one check behind both the lazy-loading test and the cold-start labels. */
export async function checkKubernetesClient(file: string): Promise<KubernetesClientCheck> {
  if (!kubernetesClientInBundle(file)) return { inBundle: false, evaluatedOnImport: false };
  const coverage = await importCoverage(file);
  if (coverage.honoPositionsRun === 0)
    throw new Error(`${file}: the coverage saw none of hono run on import; it cannot tell whether the Kubernetes client ran`);
  return { inBundle: true, evaluatedOnImport: coverage.clientPositionsRun > 0, coverage };
}
