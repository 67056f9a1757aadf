import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubFunction } from '#infra/constructs/hub-function.ts';
import { SWAGGER_UI_FILES, SWAGGER_UI_FOLDER } from '#shared/api/system/swagger-ui-files.ts';
import { BUNDLE_ENV, bundledSources, bundleFiles } from '#test/bench/bundles.ts';

/**
 * The docs page from the Lambda bundle the CDK bundling builds: Swagger UI's files are copied
 * beside the bundle (never into it) and the deployed handler serves them from there. The
 * bundle is run from a temporary directory, where no node_modules could stand in for the copy.
 */

const swaggerUiDist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

// Imports a bundle in a fresh Node process and answers one API Gateway (payload 2.0) event with it.
const INVOKE = `
import { pathToFileURL } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
const [file, eventFile, out] = process.argv.slice(1);
const { handler } = await import(pathToFileURL(file).href);
const res = await handler(JSON.parse(readFileSync(eventFile, 'utf8')), { awsRequestId: 'docs-req-1', functionName: 'SystemFunction' });
writeFileSync(out, JSON.stringify(res));
process.exit(0);
`;

interface LambdaResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

let outdir: string;
const bundleDirs: Record<string, string> = {};
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'clusterhub-docs-bundle-'));
  const app = new App({ outdir: join(outdir, 'cdk.out'), context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'Docs');
  new HubFunction(stack, 'System', { folder: 'system', servesMetrics: true });
  new HubFunction(stack, 'Audit', { folder: 'audit' });
  const template = Template.fromStack(stack);
  app.synth();
  for (const [logicalId, resource] of Object.entries(template.findResources('AWS::Lambda::Function'))) {
    bundleDirs[logicalId.replace(/[0-9A-F]{8}$/, '')] = join(outdir, 'cdk.out', resource.Metadata['aws:asset:path'] as string);
  }
}, 180_000);
afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

async function invoke(path: string): Promise<LambdaResult> {
  const sample = JSON.parse(readFileSync(new URL('../../events/api-gateway/get-unknown-route.json', import.meta.url), 'utf8'));
  const event = {
    ...sample,
    rawPath: path,
    headers: { ...sample.headers, accept: '*/*' },
    requestContext: { ...sample.requestContext, http: { ...sample.requestContext.http, path } },
  };
  const eventFile = join(outdir, 'event.json');
  const out = join(outdir, 'result.json');
  writeFileSync(eventFile, JSON.stringify(event));
  await promisify(execFile)(process.execPath, ['--input-type=module', '-e', INVOKE, join(bundleDirs.System!, 'index.mjs'), eventFile, out], {
    cwd: outdir,
    env: BUNDLE_ENV,
    timeout: 60_000,
  });
  return JSON.parse(readFileSync(out, 'utf8')) as LambdaResult;
}

describe('Swagger UI in the system Lambda bundle', () => {
  it('has the files beside the bundle, copied from swagger-ui-dist, and none of them inside it', () => {
    const dir = bundleDirs.System!;
    for (const name of ['package.json', ...Object.keys(SWAGGER_UI_FILES)]) {
      expect(readFileSync(join(dir, SWAGGER_UI_FOLDER, name)).equals(readFileSync(join(swaggerUiDist, name))), name).toBe(true);
    }
    const bundle = join(dir, 'index.mjs');
    expect(bundledSources(bundle).filter((s) => s.includes('swagger-ui-dist'))).toEqual([]);
    for (const file of bundleFiles(bundle)) expect(readFileSync(file, 'utf8'), file).not.toContain('SwaggerUIBundle=');
  });

  it('copies them for the function that serves the docs only', () => {
    expect(existsSync(join(bundleDirs.Audit!, 'index.mjs'))).toBe(true);
    expect(existsSync(join(bundleDirs.Audit!, SWAGGER_UI_FOLDER))).toBe(false);
  });

  it('serves the page and its files from the deployed handler', { timeout: 120_000 }, async () => {
    const page = await invoke('/api/v1/docs');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('/api/v1/docs/assets/swagger-ui-bundle.js');

    const script = await invoke('/api/v1/docs/assets/swagger-ui-bundle.js');
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.isBase64Encoded).toBe(false);
    expect(script.body).toBe(readFileSync(join(swaggerUiDist, 'swagger-ui-bundle.js'), 'utf8'));

    const icon = await invoke('/api/v1/docs/assets/favicon-32x32.png');
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toBe('image/png');
    expect(icon.isBase64Encoded).toBe(true);
    expect(Buffer.from(icon.body, 'base64').equals(readFileSync(join(swaggerUiDist, 'favicon-32x32.png')))).toBe(true);
  });
});
