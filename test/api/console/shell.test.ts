import * as k8s from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';

/**
 * The shell of issue 15 item 6 over real HTTP against a test bed cluster, each command compared
 * with what the real kubectl (the test machine's, run by the test, never by the hub) prints and
 * does on the same cluster.
 */
let hub: TestHub;
let admin: Record<string, string>;
let operator: Record<string, string>;
let viewer: Record<string, string>;
let clusterId: string;
const [alpha] = testClusters();
const direct = directClient(alpha!.adminKubeconfig);
const namespace = `shell-test-${randomBytes(3).toString('hex')}`;

/** The real kubectl on the same cluster, in the test's namespace. */
function kubectl(...args: string[]): string {
  return execFileSync('kubectl', ['--kubeconfig', alpha!.kubeconfig, '-n', namespace, ...args], { encoding: 'utf8', timeout: 30_000 });
}

async function shell(command: string, as = operator, extra: { stdin?: string; headers?: Record<string, string>; path?: string } = {}) {
  const res = await hub.fetch(
    `/api/v1/clusters/${clusterId}/${extra.path ?? 'shell'}`,
    jsonPost({ command, namespace, ...(extra.stdin ? { stdin: extra.stdin } : {}) }, { ...as, ...extra.headers }),
  );
  return { status: res.status, body: await json(res) };
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The columns of a kubectl table's header: separated by at least two spaces (headers hold single spaces: NOMINATED NODE). */
const columns = (text: string) =>
  text
    .split('\n')[0]!
    .trim()
    .split(/\s{2,}/);
const firstColumn = (text: string) =>
  text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(/\s+/)[0])
    .sort();
/** The keys a describe prints at the left margin, in order. */
const topKeys = (text: string) => text.split('\n').flatMap((l) => /^([A-Z][A-Za-z ]*):/.exec(l)?.[1] ?? []);

const imageOf = async (name: string) => (await direct.apps.readNamespacedDeployment({ namespace, name })).spec!.template.spec!.containers[0]!.image;

async function deployment(name: string, image: string, replicas = 1) {
  await direct.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name, labels: { app: name } },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
      },
    },
  });
}

async function revision(name: string, n: number) {
  await eventually(
    () => direct.apps.readNamespacedDeployment({ namespace, name }),
    (d) => d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === String(n) && (d.status?.availableReplicas ?? 0) === (d.spec?.replicas ?? 1),
    `revision ${n} of ${name} available`,
  );
}

beforeAll(async () => {
  hub = await startTestHub();
  const adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  admin = bearer(adminToken);
  operator = bearer((await login(hub, 'ops', (await createUser(hub, adminToken, 'ops', 'operator')).password)).access_token);
  viewer = bearer((await login(hub, 'watcher', (await createUser(hub, adminToken, 'watcher', 'viewer')).password)).access_token);
  const registered = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha', kubeconfig: alpha!.adminKubeconfig }, admin));
  expect(registered.status).toBe(201);
  clusterId = (await json(registered)).id;
  await direct.core.createNamespace({ body: { metadata: { name: namespace } } });
  await deployment('web', 'nginx:1.25', 2);
  await revision('web', 1);
  await direct.apps.patchNamespacedDeployment(
    { namespace, name: 'web', body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.26' }] } } } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
  );
  await revision('web', 2);
  await direct.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'db' }, stringData: { password: 'hunter2-shell-test', user: 'app' } } });
});

afterAll(async () => {
  await direct.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await hub?.stop();
});

describe('reading', () => {
  it('get pods -o wide has the columns and rows kubectl prints', async () => {
    const { status, body } = await shell('get pods -o wide', viewer);
    expect(status).toBe(200);
    expect(body.exit_code).toBe(0);
    const real = kubectl('get', 'pods', '-o', 'wide');
    expect(columns(body.stdout)).toEqual(columns(real));
    expect(columns(body.stdout)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    expect(firstColumn(body.stdout)).toEqual(firstColumn(real));
    // Row by row, every column but AGE (the two reads are moments apart) says what kubectl says.
    const rows = (text: string) =>
      text
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s{2,}/))
        .map((cells) => [...cells.slice(0, 4), ...cells.slice(5)])
        .sort((a, b) => a[0]!.localeCompare(b[0]!));
    expect(rows(body.stdout)).toEqual(rows(real));
  });

  it('get -o name, -o json, -l and -A answer as kubectl does', async () => {
    expect((await shell('get deployments -o name', viewer)).body.stdout).toBe(kubectl('get', 'deployments', '-o', 'name'));
    expect((await shell('get pods -l app=web -o name', viewer)).body.stdout.split('\n').sort()).toEqual(
      kubectl('get', 'pods', '-l', 'app=web', '-o', 'name').split('\n').sort(),
    );
    const one = JSON.parse((await shell('get deploy/web -o json', viewer)).body.stdout);
    expect(one).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace } });
    expect(one.metadata.managedFields).toBeUndefined();
    const all = await shell('get deployments -A', viewer);
    expect(columns(all.body.stdout)).toEqual(columns(kubectl('get', 'deployments', '-A')));
    const none = await shell('get configmaps -l nothing=here', viewer);
    expect(none.body).toEqual({ stdout: '', stderr: `No resources found in ${namespace} namespace.\n`, exit_code: 0 });
    const missing = await shell('get deployment nosuch', viewer);
    expect(missing.body).toMatchObject({ exit_code: 1, stderr: 'Error from server (NotFound): deployments.apps "nosuch" not found\n' });
  });

  it('describe deployment has the sections of kubectl describe, in its order', async () => {
    const { body } = await shell('describe deployment web', viewer);
    expect(body.exit_code).toBe(0);
    const real = kubectl('describe', 'deployment', 'web');
    expect(topKeys(body.stdout)).toEqual(topKeys(real));
    // Everything but the events (whose ages move between the two reads) is what kubectl prints, to the space.
    const beforeEvents = (text: string) => text.slice(0, text.indexOf('\nEvents:'));
    expect(beforeEvents(body.stdout)).toBe(beforeEvents(real));
    for (const line of ['Name:                   web', `Namespace:              ${namespace}`, 'StrategyType:           RollingUpdate']) {
      expect(body.stdout).toContain(line);
      expect(real).toContain(line);
    }
    expect(body.stdout).toMatch(/Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable/);
    expect(body.stdout).toMatch(/NewReplicaSet:\s+web-[a-z0-9]+ \(2\/2 replicas created\)/);
    expect(body.stdout).toMatch(/Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/);
  });

  it('describe secret shows key names and sizes, never values or hashes', async () => {
    const { body } = await shell('describe secret db', viewer);
    expect(body.exit_code).toBe(0);
    expect(body.stdout).toMatch(/password:\s+18 bytes/);
    expect(body.stdout).toMatch(/user:\s+3 bytes/);
    expect(body.stdout).not.toContain('hunter2');
    expect(body.stdout).not.toContain(Buffer.from('hunter2-shell-test').toString('base64'));
    expect(body.stdout).not.toMatch(/sha256|[0-9a-f]{64}/);
    // kubectl walks the data map in Go's random order; the hub sorts the keys. Line for line otherwise.
    const lines = (text: string) => text.split('\n').sort();
    expect(lines(body.stdout)).toEqual(lines(kubectl('describe', 'secret', 'db')));
  });

  it('rollout history and status read as kubectl prints them', async () => {
    expect((await shell('rollout history deployment/web', viewer)).body.stdout).toBe(kubectl('rollout', 'history', 'deployment/web'));
    expect((await shell('rollout status deployment/web', viewer)).body.stdout).toBe(kubectl('rollout', 'status', 'deployment/web', '--watch=false'));
  });

  it('events, api-resources and version', async () => {
    const events = await shell('events', viewer);
    const realEvents = kubectl('events');
    expect(columns(events.body.stdout)).toEqual(columns(realEvents));
    // The same objects, named as kubectl events names them (Kind/name).
    const objects = (text: string) => [...new Set(text.split('\n').flatMap((l) => /\s((?:Deployment|ReplicaSet|Pod)\/\S+)/.exec(l)?.[1] ?? []))].sort();
    expect(objects(events.body.stdout)).toEqual(objects(realEvents));
    const resources = await shell('api-resources', viewer);
    expect(columns(resources.body.stdout)).toEqual(columns(kubectl('api-resources')));
    expect(resources.body.stdout).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    const version = await shell('version', viewer);
    const server = /Server Version: (\S+)/.exec(kubectl('version'))![1];
    expect(version.body.stdout).toContain(`Server Version: ${server}`);
  });
});

describe('changing', () => {
  it('rollout undo and scale have the effect and the words of kubectl', async () => {
    const undo = await shell('rollout undo deployment/web');
    expect(undo.body).toEqual({ stdout: 'deployment.apps/web rolled back\n', stderr: '', exit_code: 0 });
    expect(await imageOf('web')).toBe('nginx:1.25');
    await revision('web', 3);
    // kubectl itself undoes the hub's undo, and says the same thing.
    expect(kubectl('rollout', 'undo', 'deployment/web')).toBe(undo.body.stdout);
    expect(await imageOf('web')).toBe('nginx:1.26');

    const scaled = await shell('scale deployment/web --replicas=3');
    expect(scaled.body).toEqual({ stdout: kubectl('scale', 'deployment/web', '--replicas=3'), stderr: '', exit_code: 0 });
    expect(scaled.body.stdout).toBe('deployment.apps/web scaled\n');
    await shell('scale deployment web --replicas=1');
    expect((await direct.apps.readNamespacedDeployment({ namespace, name: 'web' })).spec!.replicas).toBe(1);
  });

  it('label, annotate, apply and delete answer as kubectl does', async () => {
    const labeled = await shell('label deployment web tier=front');
    expect(labeled.body.stdout).toBe('deployment.apps/web labeled\n');
    expect(kubectl('label', 'deployment', 'web', 'zone=a')).toBe('deployment.apps/web labeled\n');
    const clash = await shell('label deployment web tier=back');
    expect(clash.body).toMatchObject({ exit_code: 1, stderr: "error: 'tier' already has a value (front), and --overwrite is false\n" });
    expect((await shell('label deployment web tier=back --overwrite')).body.exit_code).toBe(0);
    expect((await direct.apps.readNamespacedDeployment({ namespace, name: 'web' })).metadata!.labels).toMatchObject({ tier: 'back', zone: 'a' });
    expect((await shell('annotate deployment web note=hello')).body.stdout).toBe('deployment.apps/web annotated\n');

    const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n';
    const applied = await shell('apply -f -', operator, { stdin: manifest });
    expect(applied.body).toEqual({ stdout: 'configmap/settings created\n', stderr: '', exit_code: 0 });
    expect((await direct.core.readNamespacedConfigMap({ namespace, name: 'settings' })).data).toEqual({ mode: 'fast' });

    await deployment('doomed', 'nginx:1.25', 0);
    await deployment('doomed-too', 'nginx:1.25', 0);
    const unconfirmed = await shell('delete deployment doomed');
    expect(unconfirmed.status).toBe(428);
    const deleted = await shell('delete deployment doomed', operator, { headers: { 'X-Confirm-Destructive': 'true' } });
    expect(deleted.body).toEqual({ stdout: 'deployment.apps "doomed" deleted\n', stderr: '', exit_code: 0 });
    expect(kubectl('delete', 'deployment', 'doomed-too')).toBe('deployment.apps "doomed-too" deleted\n');
  });

  it("refuses a viewer's delete (403) and audits the refusal with the command", async () => {
    const refused = await shell('delete deployment web', viewer, { headers: { 'X-Confirm-Destructive': 'true' } });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('FORBIDDEN');
    expect(await imageOf('web')).toBe('nginx:1.26');
    const trail = await hub.fetch(`/api/v1/audit-log?action=shell.exec&cluster_id=${clusterId}`, { headers: admin });
    const entries = (await json(trail)).items;
    const entry = entries.find((e: { username: string; status_code: number }) => e.username === 'watcher' && e.status_code === 403);
    expect(entry).toBeDefined();
    expect(entry.details).toMatchObject({ argv: ['delete', 'deployment', 'web'], verb: 'delete', operation: 'resource.delete' });
    // The operator's changes are in the trail with the objects they touched.
    const scale = entries.find((e: { details: { argv: string[] } }) => e.details.argv.join(' ') === 'scale deployment/web --replicas=3');
    expect(scale).toMatchObject({ username: 'ops', status_code: 200, details: { objects: [{ kind: 'Deployment', namespace, name: 'web' }] } });
  });

  it('answers an unsupported command with exit code 1 and why, and refuses pipes', async () => {
    const logs = await shell('logs web-0', viewer);
    expect(logs.status).toBe(200);
    expect(logs.body).toMatchObject({ stdout: '', exit_code: 1 });
    expect(logs.body.stderr).toMatch(/"logs" is not supported by the clusterhub shell: pod logs/);
    const piped = await shell('get pods | grep web', viewer);
    expect(piped.body.exit_code).toBe(1);
    expect(piped.body.stderr).toMatch(/not supported/);
  });
});

describe('status, completion and the kcli aliases', () => {
  it('says what the shell runs for the caller', async () => {
    const res = await hub.fetch(`/api/v1/clusters/${clusterId}/shell/status?namespace=${namespace}`, { headers: viewer });
    const body = await json(res);
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ cluster_id: clusterId, namespace, role: 'viewer' });
    expect(body.verbs.find((v: { verb: string }) => v.verb === 'delete')).toMatchObject({ allowed: false, role: 'operator', tier: 'exec' });
    expect(body.verbs.find((v: { verb: string }) => v.verb === 'get')).toMatchObject({ allowed: true });
    expect(body.unsupported.map((u: { verb: string }) => u.verb)).toEqual(expect.arrayContaining(['logs', 'top', 'exec']));
  });

  it('completes verbs, kinds, names, namespaces and flags', async () => {
    const complete = async (command: string, path = 'shell/complete') => {
      const res = await hub.fetch(`/api/v1/clusters/${clusterId}/${path}?namespace=${namespace}&command=${encodeURIComponent(command)}`, { headers: viewer });
      return (await json(res)).items.map((i: { value: string }) => i.value);
    };
    expect(await complete('ro')).toEqual(['rollout']);
    expect(await complete('rollout ')).toEqual(['history', 'restart', 'status', 'undo']);
    expect(await complete('get deploy')).toEqual(expect.arrayContaining(['deploy', 'deployments']));
    expect(await complete('get deployments w')).toEqual(['web']);
    expect(await complete('describe deployments/w')).toEqual(['deployments/web']);
    expect(await complete(`get pods -n ${namespace.slice(0, -2)}`)).toEqual([namespace]);
    expect(await complete('get pods --sh')).toEqual(['--show-labels']);
    expect(await complete('get deployments w', 'kcli/complete')).toEqual(['web']);
  });

  it('runs the same commands at kcli/exec', async () => {
    const { body } = await shell('get deployments -o name', viewer, { path: 'kcli/exec' });
    expect(body.stdout).toBe(kubectl('get', 'deployments', '-o', 'name'));
  });
});
