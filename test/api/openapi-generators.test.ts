import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from '#test/support/http.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, login } from '#test/support/identity.ts';
import { ensurePythonTools } from '#test/testbed/moto.ts';

/**
 * Client generators on the document the hub serves, as a user of the API would run them: each must
 * take every operation and every component schema, and what it makes must be usable (the
 * TypeScript type-checks; the Python client calls the hub and parses its answers).
 */

const repoRoot = resolve(import.meta.dirname, '../..');

interface Run {
  code: number;
  output: string;
}

/** Runs a command to its end and keeps what it printed (stdout and stderr, interleaved). */
function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? 1, output }));
  });
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

let hub: TestHub;
let dir: string;
let documentFile: string;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let doc: any;
let operationIds: string[];
beforeAll(async () => {
  hub = await startTestHub();
  dir = mkdtempSync(join(tmpdir(), 'clusterhub-clients-'));
  const res = await hub.fetch('/api/v1/openapi.json');
  expect(res.status).toBe(200);
  doc = await json(res);
  documentFile = join(dir, 'openapi.json');
  writeFileSync(documentFile, JSON.stringify(doc));
  operationIds = Object.values<Record<string, { operationId?: string }>>(doc.paths).flatMap((item) =>
    METHODS.filter((m) => item[m]).map((m) => item[m]!.operationId!),
  );
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await hub?.stop();
});

describe('the OpenAPI document for client generators', () => {
  it('names every operation with an operationId of its own, and leaves the unversioned aliases out', () => {
    expect(operationIds.length).toBeGreaterThan(30);
    expect(operationIds.filter((id) => !id)).toEqual([]);
    expect(
      operationIds.filter((id, i) => operationIds.indexOf(id) !== i),
      'duplicate operationIds',
    ).toEqual([]);
    expect(operationIds).toEqual(expect.arrayContaining(['listClusters', 'createCluster', 'getClusterStatus', 'postAuthLogin', 'getHealth']));
    expect(
      Object.keys(doc.paths).filter((path) => !path.startsWith('/api/v1/')),
      'paths outside /api/v1',
    ).toEqual([]);
  });

  it('openapi-typescript turns it into types that type-check, with every operation and component schema', { timeout: 180_000 }, async () => {
    const out = join(dir, 'api.ts');
    const generated = await run(process.execPath, [join(repoRoot, 'node_modules/openapi-typescript/bin/cli.js'), documentFile, '-o', out]);
    expect(generated.code, generated.output).toBe(0);
    const types = readFileSync(out, 'utf8');
    for (const id of operationIds) expect(types, `operation ${id}`).toContain(`    ${id}: {`);
    for (const name of Object.keys(doc.components.schemas)) expect(types, `schema ${name}`).toContain(`        ${name}: `);

    // What a client writes against the types: the status enum, a list page and a problem document.
    writeFileSync(
      join(dir, 'use.ts'),
      [
        "import type { components, operations, paths } from './api.ts';",
        "type Cluster = components['schemas']['Cluster'];",
        "const status: Cluster['status'] = 'connected';",
        "const report: components['schemas']['ClusterStatusReport']['status'] = status;",
        "type Page = operations['listClusters']['responses'][200]['content']['application/json'];",
        'const page: Page = { items: [], metadata: {} };',
        "type Problem = paths['/api/v1/clusters/{clusterId}']['get']['responses'][404]['content']['application/problem+json'];",
        "const problem: Problem = { type: 't', title: 'Not Found', status: 404, detail: 'd', code: 'NOT_FOUND', request_id: 'r' };",
        "type Kubeconfig = operations['getClusterKubeconfig']['responses'][200]['content']['text/plain'];",
        "const kubeconfig: Kubeconfig = 'apiVersion: v1';",
        'export const used = [report, page, problem, kubeconfig];',
        '',
      ].join('\n'),
    );
    const compilerOptions = { strict: true, noEmit: true, target: 'es2022', module: 'nodenext', allowImportingTsExtensions: true, types: [] };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['api.ts', 'use.ts'] }));
    const checked = await run(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', dir]);
    expect(checked.code, checked.output).toBe(0);
  });

  it('openapi-python-client makes a model of every component schema, skips nothing, and its client parses the answers', { timeout: 600_000 }, async () => {
    const bin = await ensurePythonTools((line) => process.stderr.write(`venv: ${line}\n`));
    // On PATH for the generator's post-hook (ruff), as in an activated virtualenv.
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, VIRTUAL_ENV: resolve(bin, '..') };
    // A YAML manifest (POST .../apply) is sent, and a draw.io file (GET .../topology/export/drawio) received, as the
    // bytes it is: the generator has no YAML or draw.io type of its own.
    const config = join(dir, 'openapi-python-client.yaml');
    writeFileSync(
      config,
      'content_type_overrides:\n  application/yaml: application/octet-stream\n  application/vnd.jgraph.mxfile+xml: application/octet-stream\n',
    );
    const generated = await run(
      join(bin, 'openapi-python-client'),
      ['generate', '--path', documentFile, '--config', config, '--output-path', join(dir, 'py', 'hub_client'), '--meta', 'none'],
      { env },
    );
    expect(generated.code, generated.output).toBe(0);
    // It reports each operation, response or schema it could not take, and goes on without it.
    expect(generated.output, 'openapi-python-client warned').not.toMatch(/warning|unable to|cannot parse|removal of|skipping/i);

    const models = readFileSync(join(dir, 'py', 'hub_client', 'models', '__init__.py'), 'utf8');
    const exported = [...models.matchAll(/^from \.\w+ import \(?\s*(\w+),?\s*\)?$/gm)].map((m) => m[1]);
    const missing = Object.keys(doc.components.schemas).filter((name) => !exported.includes(name));
    expect(missing, 'component schemas without a model').toEqual([]);

    // The generated client against the hub: a login, then two typed reads.
    const { access_token } = await login(hub, 'admin', ADMIN_PASSWORD);
    const script = [
      'import os, sys',
      'from hub_client import AuthenticatedClient',
      'from hub_client.api.auth import get_auth_me',
      'from hub_client.api.users import list_users',
      'from hub_client.api.clusters import get_cluster',
      'from hub_client.models import Me, UserList, Problem, Role',
      "client = AuthenticatedClient(base_url=os.environ['HUB_URL'], token=os.environ['HUB_TOKEN'])",
      'me = get_auth_me.sync(client=client)',
      'assert isinstance(me, Me) and me.role == Role.ADMIN, me',
      'users = list_users.sync(client=client, limit=10)',
      "assert isinstance(users, UserList) and any(u.username == 'admin' for u in users.items), users",
      "missing = get_cluster.sync(client=client, cluster_id='no-such-cluster')",
      "assert isinstance(missing, Problem) and missing.code == 'NOT_FOUND', missing",
      "print('python client ok')",
    ].join('\n');
    const called = await run(join(bin, 'python'), ['-c', script], {
      cwd: join(dir, 'py'),
      env: { ...env, HUB_URL: hub.url, HUB_TOKEN: access_token },
    });
    expect(called.code, called.output).toBe(0);
    expect(called.output).toContain('python client ok');
  });
});
