/**
 * Makes an existing cluster (CLUSTERHUB_TEST_KUBECONFIG: kind, say, whatever its kubeconfig
 * authenticates with) look to the suites like one of the test bed's own: a bearer-token admin
 * kubeconfig and a bearer-token restricted one with the test bed's restricted user's RBAC
 * (ClusterRole `view` bound in the namespace team-a, nothing cluster-wide; see test/kube-env/up.go).
 *
 * In the cluster, created idempotently and left in place by `testbed:down` (reused next time):
 * the namespaces clusterhub-test and team-a, the service accounts clusterhub-test-admin (bound to
 * cluster-admin) and clusterhub-test-restricted (bound to view in team-a), and one
 * `kubernetes.io/service-account-token` Secret per account.
 */
import * as k8s from '@kubernetes/client-node';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { TestCluster } from './env.ts';
import { sleep } from './process-group.ts';

export const EXTERNAL_NAMESPACE = 'clusterhub-test';
export const EXTERNAL_ADMIN = 'clusterhub-test-admin';
export const EXTERNAL_RESTRICTED = 'clusterhub-test-restricted';
/** The one namespace the test bed's restricted user may read in (kube-env's restrictedNS). */
export const RESTRICTED_NAMESPACE = 'team-a';

const RBAC = 'rbac.authorization.k8s.io';
/** How long the token controller gets to fill a token Secret before TokenRequest takes over. */
const TOKEN_SECRET_WAIT_MS = 20_000;
/** The TokenRequest fallback's lifetime (the API server may cap it: --service-account-max-token-expiration). */
const TOKEN_REQUEST_SECONDS = 365 * 24 * 3600;

type Log = (line: string) => void;

/**
 * Prepares the cluster of `kubeconfigPath`'s current context and writes `admin.kubeconfig` and
 * `restricted.kubeconfig` (mode 0600, bearer tokens) into `dir`; returns the test bed's entry for it.
 */
export async function prepareExternalCluster(opts: { kubeconfigPath: string; dir: string; log: Log }): Promise<TestCluster> {
  try {
    return await prepare(opts);
  } catch (err) {
    // The client's message carries the whole response; one line is what a developer needs.
    if (!(err instanceof k8s.ApiException)) throw err;
    const detail = statusMessage(err.body);
    throw new Error(`its API server answered HTTP ${err.code}${detail ? `: ${detail}` : ''} (CLUSTERHUB_TEST_KUBECONFIG must be an admin's)`, { cause: err });
  }
}

/** The message of the Status an API server answered with (the client hands it over as text or parsed). */
function statusMessage(body: unknown): string | undefined {
  let status = body;
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body);
    } catch {
      return body.trim() || undefined;
    }
  }
  const message = (status as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : undefined;
}

async function prepare(opts: { kubeconfigPath: string; dir: string; log: Log }): Promise<TestCluster> {
  const { kubeconfigPath, dir, log } = opts;
  const given = new k8s.KubeConfig();
  given.loadFromFile(kubeconfigPath);
  const cluster = given.getCurrentCluster();
  if (!cluster) throw new Error(`CLUSTERHUB_TEST_KUBECONFIG=${kubeconfigPath} has no cluster in its current context`);
  if (!/^https:\/\/(127\.\d+\.\d+\.\d+|\[::1\]|localhost)(:\d+)?(\/|$)/.test(cluster.server)) {
    log(`note: ${cluster.server} is not a loopback address; the test hubs only accept clusters on 127.0.0.0/8 and ::1`);
  }
  const core = given.makeApiClient(k8s.CoreV1Api);
  const rbac = given.makeApiClient(k8s.RbacAuthorizationV1Api);

  for (const name of [EXTERNAL_NAMESPACE, RESTRICTED_NAMESPACE]) {
    await ensure(() => core.createNamespace({ body: { metadata: { name } } }));
  }
  for (const name of [EXTERNAL_ADMIN, EXTERNAL_RESTRICTED]) {
    await ensure(() => core.createNamespacedServiceAccount({ namespace: EXTERNAL_NAMESPACE, body: { metadata: { name } } }));
  }
  await ensureClusterRoleBinding(rbac, {
    metadata: { name: EXTERNAL_ADMIN },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: EXTERNAL_ADMIN, namespace: EXTERNAL_NAMESPACE }],
  });
  await ensureRoleBinding(rbac, {
    metadata: { name: `${EXTERNAL_RESTRICTED}-view`, namespace: RESTRICTED_NAMESPACE },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'ServiceAccount', name: EXTERNAL_RESTRICTED, namespace: EXTERNAL_NAMESPACE }],
  });

  const caData = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const write = async (account: string, user: 'admin' | 'restricted') => {
    const token = await accountToken(given, account, log);
    const path = join(dir, `${user}.kubeconfig`);
    writeFileSync(path, kubeconfigText({ ...cluster, caData }, user, token), { mode: 0o600 });
    chmodSync(path, 0o600); // the mode above only applies to a new file
    return path;
  };
  const kubeconfig = await write(EXTERNAL_ADMIN, 'admin');
  const restrictedKubeconfig = await write(EXTERNAL_RESTRICTED, 'restricted');
  log(`service accounts ${EXTERNAL_NAMESPACE}/${EXTERNAL_ADMIN} and ${EXTERNAL_NAMESPACE}/${EXTERNAL_RESTRICTED} ready`);
  return { name: 'external', server: cluster.server, kubeconfig, restrictedKubeconfig };
}

/** Runs a create, taking "already exists" for success. */
async function ensure(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (!(err instanceof k8s.ApiException && err.code === 409)) throw err;
  }
}

/** Creates the binding, or brings an existing one to these subjects (a different roleRef, being immutable, is recreated). */
async function ensureClusterRoleBinding(rbac: k8s.RbacAuthorizationV1Api, body: k8s.V1ClusterRoleBinding): Promise<void> {
  const name = body.metadata!.name!;
  await ensureBinding(body, {
    create: () => rbac.createClusterRoleBinding({ body }),
    read: () => rbac.readClusterRoleBinding({ name }),
    replace: (b) => rbac.replaceClusterRoleBinding({ name, body: b }),
    remove: () => rbac.deleteClusterRoleBinding({ name }),
  });
}

async function ensureRoleBinding(rbac: k8s.RbacAuthorizationV1Api, body: k8s.V1RoleBinding): Promise<void> {
  const { name, namespace } = body.metadata as { name: string; namespace: string };
  await ensureBinding(body, {
    create: () => rbac.createNamespacedRoleBinding({ namespace, body }),
    read: () => rbac.readNamespacedRoleBinding({ name, namespace }),
    replace: (b) => rbac.replaceNamespacedRoleBinding({ name, namespace, body: b }),
    remove: () => rbac.deleteNamespacedRoleBinding({ name, namespace }),
  });
}

async function ensureBinding<B extends k8s.V1RoleBinding | k8s.V1ClusterRoleBinding>(
  body: B,
  api: { create: () => Promise<unknown>; read: () => Promise<B>; replace: (b: B) => Promise<unknown>; remove: () => Promise<unknown> },
): Promise<void> {
  try {
    await api.create();
    return;
  } catch (err) {
    if (!(err instanceof k8s.ApiException && err.code === 409)) throw err;
  }
  const existing = await api.read();
  if (JSON.stringify(existing.roleRef) !== JSON.stringify(body.roleRef)) {
    await api.remove();
    await api.create();
  } else if (JSON.stringify(existing.subjects) !== JSON.stringify(body.subjects)) {
    await api.replace({ ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion } });
  }
}

/**
 * A long-lived token of the service account: that of its `kubernetes.io/service-account-token`
 * Secret once the token controller fills it, else (no controller within ~20 s, or a token the API
 * server no longer accepts) one from the TokenRequest API.
 */
async function accountToken(kc: k8s.KubeConfig, account: string, log: Log): Promise<string> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = EXTERNAL_NAMESPACE;
  const name = `${account}-token`;
  const deadline = Date.now() + TOKEN_SECRET_WAIT_MS;
  let fromSecret: string | undefined;
  let foreign = false;
  while (!fromSecret && !foreign && Date.now() < deadline) {
    let secret: k8s.V1Secret | undefined;
    try {
      secret = await core.readNamespacedSecret({ name, namespace });
    } catch (err) {
      if (!(err instanceof k8s.ApiException && err.code === 404)) throw err;
      await ensure(() =>
        core.createNamespacedSecret({
          namespace,
          body: {
            metadata: { name, annotations: { 'kubernetes.io/service-account.name': account } },
            type: 'kubernetes.io/service-account-token',
          },
        }),
      );
    }
    // A Secret of that name but another type or account is someone else's: no controller will fill it.
    foreign =
      !!secret && (secret.type !== 'kubernetes.io/service-account-token' || secret.metadata?.annotations?.['kubernetes.io/service-account.name'] !== account);
    if (foreign) break;
    const encoded = secret?.data?.token;
    if (encoded) fromSecret = Buffer.from(encoded, 'base64').toString('utf8');
    else await sleep(250);
  }
  if (fromSecret) {
    if (await authenticates(kc, fromSecret)) return fromSecret;
    // An invalidated legacy token (unused for long, see LegacyServiceAccountTokenCleanUp): drop it for a fresh one next time.
    log(`the token Secret ${namespace}/${name} is not accepted any more; deleting it and using TokenRequest`);
    await core.deleteNamespacedSecret({ name, namespace }).catch(() => undefined);
  } else if (foreign) {
    log(`${namespace}/${name} is not a token Secret of ${account}; using TokenRequest`);
  } else {
    log(`no token controller filled ${namespace}/${name} within ${TOKEN_SECRET_WAIT_MS / 1000} s; using TokenRequest`);
  }
  const issued = await core.createNamespacedServiceAccountToken({
    name: account,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: TOKEN_REQUEST_SECONDS } },
  });
  const token = issued.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${account} returned no token`);
  return token;
}

/** Whether the API server takes this bearer token (any authenticated user may create a SelfSubjectAccessReview). */
async function authenticates(kc: k8s.KubeConfig, token: string): Promise<boolean> {
  const cluster = kc.getCurrentCluster()!;
  const probe = new k8s.KubeConfig();
  probe.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'probe', token }],
    contexts: [{ name: 'probe', cluster: cluster.name, user: 'probe' }],
    currentContext: 'probe',
  });
  try {
    await probe.makeApiClient(k8s.AuthorizationV1Api).createSelfSubjectAccessReview({
      body: { spec: { nonResourceAttributes: { path: '/version', verb: 'get' } } },
    });
    return true;
  } catch (err) {
    if (err instanceof k8s.ApiException && err.code === 401) return false;
    throw err;
  }
}

/**
 * A one-context bearer-token kubeconfig laid out as kube-env writes alpha's (cluster and context
 * `alpha`, users `admin` and `restricted`): the suites take the first cluster for alpha.
 */
function kubeconfigText(cluster: k8s.Cluster, user: 'admin' | 'restricted', token: string): string {
  const entry: Record<string, unknown> = { server: cluster.server };
  if (cluster.caData) entry['certificate-authority-data'] = cluster.caData;
  if (cluster.tlsServerName) entry['tls-server-name'] = cluster.tlsServerName;
  if (cluster.skipTLSVerify) entry['insecure-skip-tls-verify'] = true;
  if (cluster.proxyUrl) entry['proxy-url'] = cluster.proxyUrl;
  const context = user === 'admin' ? 'alpha' : `alpha-${user}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'alpha', cluster: entry }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: context, context: { cluster: 'alpha', user, namespace: 'default' } }],
    'current-context': context,
  });
}
