/**
 * The Kubernetes gateway against the real clusters of the test bed (.testbed/env.json): views
 * agree with what a direct client sees, each failure is classified, the network policy holds at
 * connect time, redirects are not followed, and service-account onboarding grants what it says.
 */
import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { InputError } from '#shared/domain/errors.ts';
import { checkKubeconfig, type KubeconfigPolicy } from '#shared/domain/clusters/kubeconfig-policy.ts';
import { parseNetworkPolicy } from '#shared/domain/clusters/network-policy.ts';
import { ClusterUnavailableError, type ClusterCredentials, type ClusterGateway } from '#shared/ports/cluster-gateway.ts';
import { createKubernetesGatewayFactory, type KubernetesGatewayOptions } from '#shared/adapters/kubernetes/kubernetes-gateway.ts';
import { loadTestbedEnv } from '#test/testbed/env.ts';
import { statusOf, tokenOf } from '#test/support/clusters.ts';

const { clusters } = loadTestbedEnv();
const alpha = clusters[0]!;
const beta = clusters[1];
const alphaPki = join(dirname(alpha.kubeconfig), 'pki');
const hasPki = existsSync(join(alphaPki, 'apiserver.crt'));

// The test bed's API servers listen on 127.0.0.1, so loopback is allowed, as an operator would for a lab.
const policy: KubeconfigPolicy = { networks: parseNetworkPolicy('127.0.0.0/8,::1/128'), allowInsecureTls: false };
const gateways: ClusterGateway[] = [];

function gatewayFor(credentials: ClusterCredentials, options: Partial<KubernetesGatewayOptions> = {}): ClusterGateway {
  const gateway = createKubernetesGatewayFactory({ policy, ...options })(credentials);
  gateways.push(gateway);
  return gateway;
}

const adminText = readFileSync(alpha.kubeconfig, 'utf8');
const adminToken: string = parse(adminText).users[0].user.token ?? '';
const admin = checkKubeconfig({ text: adminText }, policy);

/** The admin kubeconfig of alpha with its single cluster and user edited. */
function variant(change: (cluster: Record<string, unknown>, user: Record<string, unknown>) => void, p: KubeconfigPolicy = policy): ClusterCredentials {
  const doc = parse(adminText);
  change(doc.clusters[0].cluster, doc.users[0].user);
  return checkKubeconfig({ text: stringify(doc) }, p);
}

function direct(path: string) {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path);
  return kc;
}
const directAdmin = direct(alpha.kubeconfig);
const core = directAdmin.makeApiClient(k8s.CoreV1Api);
const apps = directAdmin.makeApiClient(k8s.AppsV1Api);
const batch = directAdmin.makeApiClient(k8s.BatchV1Api);
const rbac = directAdmin.makeApiClient(k8s.RbacAuthorizationV1Api);

const suffix = () => `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** The ClusterUnavailableError a call fails with. */
async function failureOf(call: Promise<unknown>): Promise<ClusterUnavailableError> {
  try {
    await call;
  } catch (err) {
    expect(err).toBeInstanceOf(ClusterUnavailableError);
    return err as ClusterUnavailableError;
  }
  throw new Error('the call succeeded');
}

/** Reads a pair until both sides agree (up to 10 tries), for comparisons with a cluster others change meanwhile. */
async function settled<T>(read: () => Promise<[T, T]>): Promise<[T, T]> {
  let pair = await read();
  for (let i = 0; i < 10 && JSON.stringify(pair[0]) !== JSON.stringify(pair[1]); i++) {
    await sleep(300);
    pair = await read();
  }
  return pair;
}

function listen<T extends TcpServer | HttpsServer>(server: T): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}
function closeServer(server: TcpServer | HttpsServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

afterAll(() => {
  for (const gateway of gateways) gateway.close();
});

describe('live views', () => {
  let ns = '';

  beforeAll(async () => {
    ns = `gw-views-${suffix()}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const labels = { app: 'web' };
    const podSpec = { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] };
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } } },
    });
    await apps.createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: 'db' },
        spec: { replicas: 1, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: podSpec } },
      },
    });
    await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: { selector: labels, ports: [{ port: 80 }] } } });
    await batch.createNamespacedCronJob({
      namespace: ns,
      body: {
        metadata: { name: 'nightly' },
        spec: { schedule: '0 3 * * *', suspend: true, jobTemplate: { spec: { template: { spec: { ...podSpec, restartPolicy: 'Never' } } } } },
      },
    });
    await batch.createNamespacedJob({
      namespace: ns,
      body: { metadata: { name: 'once' }, spec: { suspend: true, template: { spec: { ...podSpec, restartPolicy: 'Never' } } } },
    });
    // Counts move while controllers work; compare once the workloads have settled.
    await eventually('the deployment and statefulset to be ready', 90_000, async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
      const s = await apps.readNamespacedStatefulSet({ name: 'db', namespace: ns });
      return d.status?.readyReplicas === 2 && s.status?.readyReplicas === 1 ? true : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    if (ns) await core.deleteNamespace({ name: ns }).catch(() => undefined);
  });

  it('tests the connection: version, node count and latency', async () => {
    const gateway = gatewayFor(admin);
    const result = await gateway.testConnection();
    const version = await directAdmin.makeApiClient(k8s.VersionApi).getCode();
    const nodes = await core.listNode();
    expect(result).toEqual({ ok: true, version: version.gitVersion, nodeCount: nodes.items.length, latencyMs: expect.any(Number) });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('reports version, nodes and the provider for registration', async () => {
    const gateway = gatewayFor(admin);
    const version = await directAdmin.makeApiClient(k8s.VersionApi).getCode();
    const nodes = await core.listNode();
    const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    expect(await gateway.version()).toEqual({ gitVersion: version.gitVersion, major: version.major, minor: version.minor, platform: version.platform });
    expect(await gateway.nodes()).toEqual({ nodeCount: nodes.items.length, readyNodeCount: ready });
    expect(await gateway.inspect()).toEqual({
      version: version.gitVersion,
      nodeCount: nodes.items.length,
      readyNodeCount: ready,
      provider: 'generic',
      latencyMs: expect.any(Number),
    });
  });

  it('summarizes the cluster with the counts a direct client sees', async () => {
    const gateway = gatewayFor(admin);
    const directCounts = async () => {
      const [nodes, namespaces, pods, deployments, services] = await Promise.all([
        core.listNode(),
        core.listNamespace(),
        core.listPodForAllNamespaces(),
        apps.listDeploymentForAllNamespaces(),
        core.listServiceForAllNamespaces(),
      ]);
      return {
        nodeCount: nodes.items.length,
        namespaceCount: namespaces.items.length,
        podCount: pods.items.length,
        deploymentCount: deployments.items.length,
        serviceCount: services.items.length,
      };
    };
    // Other test files work on the same cluster at the same time: compare until a quiet moment.
    const [summary, expected] = await settled(async () => [await gateway.summary(), await directCounts()]);
    expect(summary).toEqual(expected);
    expect(summary.podCount).toBeGreaterThanOrEqual(3);
  });

  it('lists namespaces', async () => {
    const gateway = gatewayFor(admin);
    const [listed, expected] = await settled(async () => [
      (await gateway.namespaces()).map((n) => n.name).sort(),
      (await core.listNamespace()).items.map((n) => n.metadata!.name!).sort(),
    ]);
    expect(listed).toEqual(expected);
    expect((await gateway.namespaces()).find((n) => n.name === ns)).toMatchObject({ status: 'Active', createdAt: expect.stringMatching(/^\d{4}-/) });
  });

  it('lists workloads of one namespace with their readiness', async () => {
    const gateway = gatewayFor(admin);
    const workloads = await gateway.workloads({ namespace: ns });
    expect(workloads).toEqual({
      deployments: [{ name: 'web', namespace: ns, ready: 2, desired: 2, updated: 2, available: 2 }],
      statefulsets: [{ name: 'db', namespace: ns, ready: 1, desired: 1 }],
      daemonsets: [],
      jobs: [{ name: 'once', namespace: ns, status: 'suspended', succeeded: 0, failed: 0, active: 0, completions: 1 }],
      cronjobs: [{ name: 'nightly', namespace: ns, schedule: '0 3 * * *', suspended: true, active: 0, lastSchedule: null }],
      truncated: false,
    });
    const everywhere = await gateway.workloads();
    expect(everywhere.deployments).toEqual(expect.arrayContaining([expect.objectContaining({ namespace: ns, name: 'web' })]));
  });

  it('bounds workload lists and says so', async () => {
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'second' },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 's' } },
          template: { metadata: { labels: { app: 's' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
        },
      },
    });
    const workloads = await gatewayFor(admin).workloads({ namespace: ns, limit: 1 });
    expect(workloads.deployments).toHaveLength(1);
    expect(workloads.truncated).toBe(true);
  });

  it('returns recent events, newest first and bounded', async () => {
    const gateway = gatewayFor(admin);
    const events = await gateway.events({ namespace: ns, limit: 5 });
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThanOrEqual(5);
    expect(events.every((e) => e.namespace === ns)).toBe(true);
    const times = events.map((e) => e.last_seen ?? '');
    expect([...times].sort().reverse()).toEqual(times);
    const all = await gateway.events({ limit: 2 });
    expect(all.length).toBeLessThanOrEqual(2);
  });

  it.skipIf(!alpha.restrictedKubeconfig)('serves a restricted credential what RBAC grants and says forbidden otherwise', async () => {
    // The restricted user may read in team-a only: nothing cluster-wide.
    const restricted = checkKubeconfig({ text: readFileSync(alpha.restrictedKubeconfig!, 'utf8') }, policy);
    const gateway = gatewayFor(restricted);
    expect(await gateway.testConnection()).toMatchObject({ ok: true, nodeCount: null });
    // Composite views answer, with null for each part the credential may not read.
    expect(await gateway.summary()).toEqual({ nodeCount: null, namespaceCount: null, podCount: null, deploymentCount: null, serviceCount: null });
    expect(await gateway.workloads()).toEqual({ deployments: null, statefulsets: null, daemonsets: null, jobs: null, cronjobs: null, truncated: false });
    expect(await gateway.workloads({ namespace: 'team-a' })).toEqual({
      deployments: [],
      statefulsets: [],
      daemonsets: [],
      jobs: [],
      cronjobs: [],
      truncated: false,
    });
    // A view of one kind has nothing else to show: it fails, classified forbidden.
    const failure = await failureOf(gateway.namespaces());
    expect(failure).toMatchObject({ kind: 'unavailable', code: 'CLUSTER_UNAVAILABLE', reason: 'forbidden', details: { reason: 'forbidden' } });
    expect(failure.message).toMatch(/HTTP 403/);
  });
});

describe('failures, classified', () => {
  it('says unauthorized for a wrong token, without the token', async () => {
    const wrong = `wrong-${randomBytes(16).toString('hex')}`;
    const gateway = gatewayFor(variant((_c, u) => (u.token = wrong)));
    const result = await gateway.testConnection();
    expect(result).toMatchObject({ ok: false, reason: 'unauthorized', version: null, nodeCount: null });
    expect(result.error).not.toContain(wrong);
    const failure = await failureOf(gateway.summary());
    expect(failure.reason).toBe('unauthorized');
    expect(JSON.stringify({ m: failure.message, e: failure.details })).not.toContain(wrong);
  });

  it('says refused for a closed port', async () => {
    const server = createTcpServer();
    const port = await listen(server);
    await closeServer(server);
    const gateway = gatewayFor(variant((c) => (c.server = `https://127.0.0.1:${port}`)));
    const result = await gateway.testConnection();
    // 'refused' rather than 'timeout' is what tells the user nothing listens there.
    expect(result).toMatchObject({ ok: false, reason: 'refused' });
    expect(result.error).toContain(`127.0.0.1:${port}`);
  });

  it('says timeout within the bound for a server that accepts and never answers', async () => {
    const sockets: Socket[] = [];
    const server = createTcpServer((socket) => sockets.push(socket));
    const port = await listen(server);
    try {
      const gateway = gatewayFor(
        variant((c) => (c.server = `https://127.0.0.1:${port}`)),
        { timeoutMs: 600 },
      );
      const started = Date.now();
      const result = await gateway.testConnection();
      expect(result).toMatchObject({ ok: false, reason: 'timeout' });
      expect(result.error).toMatch(/did not answer within 0\.6 s/);
      // It waited for the bound, not less (a hang would run into the test's own timeout instead).
      expect(Date.now() - started).toBeGreaterThanOrEqual(550);
      expect((await failureOf(gateway.summary())).reason).toBe('timeout');
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      for (const s of sockets) s.destroy();
      await closeServer(server);
    }
  });

  it.skipIf(!beta)('says tls for a server whose certificate another CA signed', async () => {
    const betaCa: string = parse(readFileSync(beta!.kubeconfig, 'utf8')).clusters[0].cluster['certificate-authority-data'];
    const gateway = gatewayFor(variant((c) => (c['certificate-authority-data'] = betaCa)));
    const result = await gateway.testConnection();
    expect(result).toMatchObject({ ok: false, reason: 'tls' });
    expect(result.error).toMatch(/not signed by the certificate authority/);
  });

  it('says dns for a name that does not resolve', async () => {
    const gateway = gatewayFor(variant((c) => (c.server = 'https://no-such-cluster.invalid:6443')));
    expect(await gateway.testConnection()).toMatchObject({ ok: false, reason: 'dns' });
  });

  it('refuses to use a stored credential the current policy refuses', async () => {
    const strict: KubeconfigPolicy = { networks: parseNetworkPolicy(''), allowInsecureTls: false };
    const gateway = gatewayFor(admin, { policy: strict });
    const failure = await failureOf(gateway.version());
    expect(failure.reason).toBe('refused');
    expect(failure.message).toMatch(/not accepted any more.*loopback/);
    expect(failure.message).not.toContain(adminToken);
  });
});

describe('the network policy at connect time', () => {
  const port = new URL(alpha.server || admin.summary.server).port;
  // A name the test answers for: the API server's certificate is issued for localhost, hence tls-server-name.
  const named = (host: string) =>
    variant((c) => {
      c.server = `https://${host}:${port}`;
      c['tls-server-name'] = 'localhost';
    });

  it('refuses a name that resolves to a metadata address', async () => {
    const gateway = gatewayFor(named('cluster.rebind.test'), { resolveHost: async () => [{ address: '169.254.169.254', family: 4 }] });
    const result = await gateway.testConnection();
    expect(result).toMatchObject({ ok: false, reason: 'refused' });
    expect(result.error).toMatch(/cluster\.rebind\.test resolves to 169\.254\.169\.254.*metadata/);
  });

  it('refuses a name when any of its answers is refused, even next to an allowed one', async () => {
    const resolveHost = async () => [
      { address: '127.0.0.1', family: 4 },
      { address: '::ffff:169.254.169.254', family: 6 },
    ];
    const result = await gatewayFor(named('cluster.rebind.test'), { resolveHost }).testConnection();
    expect(result).toMatchObject({ ok: false, reason: 'refused' });
  });

  it('connects to exactly the address it checked', async () => {
    const seen: string[] = [];
    const resolveHost = async (host: string) => {
      seen.push(host);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const result = await gatewayFor(named('cluster.rebind.test'), { resolveHost }).testConnection();
    expect(result).toMatchObject({ ok: true });
    expect(seen).toContain('cluster.rebind.test');
  });

  it('checks what the system resolver answers, too', async (ctx) => {
    // This machine's own name resolves to a loopback or private address on most hosts; with no
    // allow-list, the hub must refuse it after resolving it (a name passes validation unresolved).
    const host = hostname().toLowerCase();
    const answers = await lookup(host, { all: true }).catch(() => []);
    if (answers.length === 0 || answers.some((a) => parseNetworkPolicy('').checkAddress(a.address).allowed)) ctx.skip();
    const strict: KubeconfigPolicy = { networks: parseNetworkPolicy(''), allowInsecureTls: false };
    const credentials = variant((c) => (c.server = `https://${host}:${port}`), strict);
    const result = await gatewayFor(credentials, { policy: strict }).testConnection();
    expect(result).toMatchObject({ ok: false, reason: 'refused' });
    expect(result.error).toContain(`${host} resolves to`);
  });
});

describe.skipIf(!hasPki)('redirects', () => {
  let redirector: HttpsServer;
  let target: HttpsServer;
  let targetHits = 0;
  let redirectorHits = 0;
  let redirectorPort = 0;

  beforeAll(async () => {
    const tls = { cert: readFileSync(join(alphaPki, 'apiserver.crt')), key: readFileSync(join(alphaPki, 'apiserver.key')) };
    target = createHttpsServer(tls, (_req, res) => {
      targetHits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"gitVersion":"v9.9.9","major":"9","minor":"9","platform":"evil"}');
    });
    const targetPort = await listen(target);
    redirector = createHttpsServer(tls, (req, res) => {
      redirectorHits++;
      res.writeHead(302, { location: `https://127.0.0.1:${targetPort}${req.url}` }).end();
    });
    redirectorPort = await listen(redirector);
  });

  afterAll(async () => {
    await closeServer(redirector);
    await closeServer(target);
  });

  it('does not follow a redirect, and says so', async () => {
    const gateway = gatewayFor(variant((c) => (c.server = `https://127.0.0.1:${redirectorPort}`)));
    const result = await gateway.testConnection();
    expect(result).toMatchObject({ ok: false, reason: 'unknown' });
    expect(result.error).toMatch(/redirect \(HTTP 302 to https:\/\/127\.0\.0\.1:\d+\).*does not follow/);
    expect(redirectorHits).toBe(1);
    expect(targetHits).toBe(0);
  });
});

describe('service-account onboarding', () => {
  const namespace = `gw-onboard-${suffix()}`;
  const name = 'hub-reader';
  const HOUR = 3600;

  afterAll(async () => {
    for (const account of [name, 'legacy', 'foreign', 'no-token']) {
      await rbac.deleteClusterRoleBinding({ name: `clusterhub:${namespace}:${account}` }).catch(() => undefined);
    }
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('creates the namespace, account, binding and a bound, expiring token that has only the role it was given', { timeout: 60_000 }, async () => {
    const gateway = gatewayFor(admin);
    const before = Date.now();
    const onboarded = await gateway.onboardServiceAccount({ name, namespace, role: 'view', tokenLifetimeSeconds: HOUR });
    expect(onboarded).toMatchObject({ serviceAccount: name, namespace, role: 'view', clusterRoleBinding: `clusterhub:${namespace}:${name}` });
    const credentials = onboarded.credentials!;
    expect(credentials.summary).toMatchObject({ server: admin.summary.server, authKind: 'token', user: `system:serviceaccount:${namespace}:${name}` });
    // The expiry the API server granted: about the hour asked for.
    const expires = Date.parse(onboarded.tokenExpiresAt!);
    expect(expires).toBeGreaterThan(before + (HOUR - 60) * 1000);
    expect(expires).toBeLessThan(Date.now() + (HOUR + 60) * 1000);
    // A bound token carries its expiry; and nothing in the cluster holds a copy to read.
    const claims = JSON.parse(Buffer.from(tokenOf(credentials.kubeconfig).split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims.exp * 1000).toBe(expires);
    const tokenSecrets = await core.listNamespacedSecret({ namespace, fieldSelector: 'type=kubernetes.io/service-account-token' });
    expect(tokenSecrets.items).toEqual([]);

    // What the cluster now holds.
    expect((await core.readNamespacedServiceAccount({ name, namespace })).metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'clusterhub' });
    const binding = await rbac.readClusterRoleBinding({ name: onboarded.clusterRoleBinding });
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'view' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name, namespace }]);

    // The returned kubeconfig is itself acceptable to the policy, and works through the gateway.
    const reread = checkKubeconfig({ text: credentials.kubeconfig }, policy);
    expect(reread.kubeconfig).toBe(credentials.kubeconfig);
    expect(await gatewayFor(credentials).testConnection()).toMatchObject({ ok: true, nodeCount: null });
    // view may not list nodes: that count is unknown, every other one is there.
    expect(await gatewayFor(credentials).summary()).toEqual({
      nodeCount: null,
      namespaceCount: expect.any(Number),
      podCount: expect.any(Number),
      deploymentCount: expect.any(Number),
      serviceCount: expect.any(Number),
    });

    // view: can list pods anywhere, cannot create anything.
    const asAccount = new k8s.KubeConfig();
    asAccount.loadFromString(credentials.kubeconfig);
    const accountCore = asAccount.makeApiClient(k8s.CoreV1Api);
    expect(await statusOf(accountCore.listPodForAllNamespaces({ limit: 1 }))).toBeUndefined();
    expect(await statusOf(accountCore.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'nope' } } }))).toBe(403);
    expect(await statusOf(accountCore.listNamespacedSecret({ namespace }))).toBe(403);
  });

  it('makes no token unless asked, and repeating leaves one account and one binding', { timeout: 60_000 }, async () => {
    const gateway = gatewayFor(admin);
    const plain = await gateway.onboardServiceAccount({ name, namespace, role: 'view' });
    expect(plain.credentials).toBeUndefined();
    expect(plain.tokenExpiresAt).toBeUndefined();
    const first = await gateway.onboardServiceAccount({ name, namespace, role: 'view', tokenLifetimeSeconds: HOUR });
    const second = await gateway.onboardServiceAccount({ name, namespace, role: 'view', tokenLifetimeSeconds: HOUR });
    // Each asks for a token of its own; both work until they expire.
    expect(tokenOf(second.credentials!.kubeconfig)).not.toBe(tokenOf(first.credentials!.kubeconfig));
    expect(await gatewayFor(first.credentials!).testConnection()).toMatchObject({ ok: true });
    const accounts = await core.listNamespacedServiceAccount({ namespace, fieldSelector: `metadata.name=${name}` });
    expect(accounts.items).toHaveLength(1);
    const bindings = (await rbac.listClusterRoleBinding()).items.filter((b) =>
      b.subjects?.some((s) => s.kind === 'ServiceAccount' && s.namespace === namespace && s.name === name),
    );
    expect(bindings).toHaveLength(1);
  });

  it('moves the binding when the role changes', { timeout: 60_000 }, async () => {
    const gateway = gatewayFor(admin);
    await gateway.onboardServiceAccount({ name, namespace, role: 'view' });
    const after = await gateway.onboardServiceAccount({ name, namespace, role: 'edit', tokenLifetimeSeconds: HOUR });
    expect((await rbac.readClusterRoleBinding({ name: after.clusterRoleBinding })).roleRef.name).toBe('edit');
    const asAccount = new k8s.KubeConfig();
    asAccount.loadFromString(after.credentials!.kubeconfig);
    const created = await eventually('edit to take effect', 10_000, async () =>
      asAccount.makeApiClient(k8s.CoreV1Api).createNamespacedConfigMap({ namespace, body: { metadata: { name: `cm-${suffix()}` } } }),
    );
    expect(created.metadata?.namespace).toBe(namespace);
  });

  it('refuses an existing account the hub did not create, binding nothing to it', { timeout: 60_000 }, async () => {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'foreign' } } });
    const gateway = gatewayFor(admin);
    await expect(gateway.onboardServiceAccount({ name: 'foreign', namespace, role: 'cluster-admin', tokenLifetimeSeconds: HOUR })).rejects.toMatchObject({
      kind: 'conflict',
      code: 'SERVICE_ACCOUNT_NOT_MANAGED',
    });
    expect(await statusOf(rbac.readClusterRoleBinding({ name: `clusterhub:${namespace}:foreign` }))).toBe(404);
  });

  it('deletes the long-lived token Secret an earlier hub made, which revokes its token', { timeout: 60_000 }, async () => {
    // What onboarding made before bound tokens: a labelled account and a kubernetes.io/service-account-token Secret.
    const labels = { 'app.kubernetes.io/managed-by': 'clusterhub' };
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'legacy', labels } } });
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'legacy-clusterhub-token', labels, annotations: { 'kubernetes.io/service-account.name': 'legacy' } },
        type: 'kubernetes.io/service-account-token',
      },
    });
    const legacyToken = await eventually('the token controller to fill the Secret', 10_000, async () => {
      const data = (await core.readNamespacedSecret({ name: 'legacy-clusterhub-token', namespace })).data?.token;
      return data ? Buffer.from(data, 'base64').toString('utf8') : undefined;
    });
    const asLegacy = variant((_cluster, user) => {
      user.token = legacyToken;
    });
    expect(await gatewayFor(asLegacy).testConnection()).toMatchObject({ ok: true });

    await gatewayFor(admin).onboardServiceAccount({ name: 'legacy', namespace, role: 'view', tokenLifetimeSeconds: HOUR, revokeLegacyToken: true });
    expect(await statusOf(core.readNamespacedSecret({ name: 'legacy-clusterhub-token', namespace }))).toBe(404);
    await eventually('the long-lived token to stop working', 30_000, async () =>
      (await gatewayFor(asLegacy).testConnection()).reason === 'unauthorized' ? true : undefined,
    );
  });

  it('refuses a ClusterRole the cluster does not have, creating nothing', async () => {
    const gateway = gatewayFor(admin);
    const other = `gw-onboard-none-${suffix()}`;
    await expect(gateway.onboardServiceAccount({ name: 'x', namespace: other, role: 'no-such-role' })).rejects.toThrow(InputError);
    expect(await statusOf(core.readNamespace({ name: other }))).toBe(404);
  });
});
