/**
 * CLUSTERHUB_TEST_KUBECONFIG naming an existing cluster, as a kind user sets it: a second test bed
 * of its own (CLUSTERHUB_TESTBED_DIR) takes the running test bed's alpha cluster for the external
 * one, and borrows its AWS emulator and DynamoDB, so it starts no process at all. The input
 * kubeconfigs are alpha's bearer-token admin and a client-certificate one issued through the
 * CertificateSigningRequest API, as kind's kubeconfigs authenticate.
 */
import * as k8s from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, statusOf, tokenOf } from '#test/support/clusters.ts';
import { loadTestbedEnv, type TestbedEnv } from './env.ts';
import { EXTERNAL_ADMIN, EXTERNAL_NAMESPACE, EXTERNAL_RESTRICTED, RESTRICTED_NAMESPACE } from './external-cluster.ts';
import { sleep } from './process-group.ts';
import { secondTestbed } from './second-testbed.ts';

const running = loadTestbedEnv();
const alpha = running.clusters[0]!;
const alphaAdmin = readFileSync(alpha.kubeconfig, 'utf8');
const admin = directClient(alphaAdmin);
const dir = mkdtempSync(join(tmpdir(), 'clusterhub-testbed-external-'));
const borrowed = { AWS_ENDPOINT_URL: running.aws.endpoint, AWS_ENDPOINT_URL_DYNAMODB: running.dynamodb.endpoint };

const testbed = secondTestbed(dir);

const readEnv = () => JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8')) as TestbedEnv;

// A client certificate for a user bound to cluster-admin (not system:masters: the API server refuses
// to have that group signed through the CSR API), signed by the cluster's kube-apiserver-client signer.
const certUser = `clusterhub-test-cert-${randomBytes(3).toString('hex')}`;
const certKubeconfig = join(dir, 'cert-input.kubeconfig');
const certificates = admin.kc.makeApiClient(k8s.CertificatesV1Api);

async function issueClientCertificateKubeconfig(): Promise<void> {
  const key = join(dir, 'cert-input.key');
  const csr = execFileSync(
    'openssl',
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-subj', `/CN=${certUser}`],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  await certificates.createCertificateSigningRequest({
    body: {
      metadata: { name: certUser },
      spec: { request: csr.toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], expirationSeconds: 3600 },
    },
  });
  const pending = await certificates.readCertificateSigningRequest({ name: certUser });
  pending.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'ClusterhubTest', message: 'external cluster test' }] };
  await certificates.replaceCertificateSigningRequestApproval({ name: certUser, body: pending });
  let certificate: string | undefined;
  for (let i = 0; i < 120 && !certificate; i++) {
    certificate = (await certificates.readCertificateSigningRequest({ name: certUser })).status?.certificate;
    if (!certificate) await sleep(250);
  }
  if (!certificate) throw new Error(`the cluster signed no certificate for CSR ${certUser} within 30 s`);
  await admin.rbac.createClusterRoleBinding({
    body: {
      metadata: { name: certUser },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: certUser }],
    },
  });
  const cluster = admin.kc.getCurrentCluster()!;
  writeFileSync(
    certKubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'kind-like', cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData } }],
      users: [{ name: certUser, user: { 'client-certificate-data': certificate, 'client-key-data': readFileSync(key).toString('base64') } }],
      contexts: [{ name: 'kind-like', context: { cluster: 'kind-like', user: certUser } }],
      'current-context': 'kind-like',
    }),
    { mode: 0o600 },
  );
}

beforeAll(issueClientCertificateKubeconfig, 60_000);

afterAll(async () => {
  await testbed('down', borrowed);
  await admin.rbac.deleteClusterRoleBinding({ name: certUser }).catch(() => undefined);
  await certificates.deleteCertificateSigningRequest({ name: certUser }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** What the suites do with the two kubeconfigs of env.json: the admin may do anything, the restricted user read in team-a only. */
async function expectLikeTheTestbedsOwn(env: TestbedEnv) {
  expect(env.clusters).toHaveLength(1);
  const [cluster] = env.clusters;
  expect(cluster).toMatchObject({ name: 'external', server: alpha.server });
  for (const file of [cluster!.kubeconfig, cluster!.restrictedKubeconfig!]) {
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(tokenOf(readFileSync(file, 'utf8'))).toMatch(/^ey/); // a service account's JWT
  }
  const adminClient = directClient(readFileSync(cluster!.kubeconfig, 'utf8'));
  expect((await adminClient.core.listNamespace()).items.map((n) => n.metadata?.name)).toContain(EXTERNAL_NAMESPACE);
  expect((await adminClient.core.listNode()).items.length).toBeGreaterThan(0);

  const restricted = directClient(readFileSync(cluster!.restrictedKubeconfig!, 'utf8'));
  expect(await statusOf(restricted.core.listNamespacedPod({ namespace: RESTRICTED_NAMESPACE }))).toBeUndefined();
  expect(await statusOf(restricted.apps.listNamespacedDeployment({ namespace: RESTRICTED_NAMESPACE }))).toBeUndefined();
  expect(await statusOf(restricted.core.listNamespace())).toBe(403);
  expect(await statusOf(restricted.core.listNode())).toBe(403);
  expect(await statusOf(restricted.core.listNamespacedPod({ namespace: 'default' }))).toBe(403);
  expect(await statusOf(restricted.core.listNamespacedSecret({ namespace: RESTRICTED_NAMESPACE }))).toBe(403);
  expect(await statusOf(restricted.core.createNamespacedConfigMap({ namespace: RESTRICTED_NAMESPACE, body: { metadata: { name: 'nope' } } }))).toBe(403);
}

/** The token Secrets of the two accounts in the cluster, by account. */
async function tokenSecrets(): Promise<Record<string, number>> {
  const secrets = await admin.core.listNamespacedSecret({ namespace: EXTERNAL_NAMESPACE, fieldSelector: 'type=kubernetes.io/service-account-token' });
  const counts: Record<string, number> = {};
  for (const s of secrets.items) {
    const account = s.metadata?.annotations?.['kubernetes.io/service-account.name'] ?? '';
    counts[account] = (counts[account] ?? 0) + 1;
  }
  return counts;
}

describe('an external cluster (CLUSTERHUB_TEST_KUBECONFIG)', { timeout: 120_000 }, () => {
  it('gets a bearer-token admin and restricted kubeconfig from a client-certificate kubeconfig, again and again alike', async () => {
    expect(readFileSync(certKubeconfig, 'utf8')).not.toMatch(/token:/);
    const withCert = { ...borrowed, CLUSTERHUB_TEST_KUBECONFIG: certKubeconfig };
    const first = await testbed('up', withCert);
    expect(first.code, first.out).toBe(0);
    expect(first.out).not.toContain('TokenRequest'); // the token controller filled the Secrets
    const env = readEnv();
    await expectLikeTheTestbedsOwn(env);

    // The same variable reuses the running test bed, although env.json names other kubeconfigs.
    const reused = await testbed('up', withCert);
    expect(reused.code, reused.out).toBe(0);
    expect(reused.out).toContain('already running; reusing it');

    // Started afresh (the cluster's objects stay), it finds what it made and hands out the same tokens.
    const tokens = [env.clusters[0]!.kubeconfig, env.clusters[0]!.restrictedKubeconfig!].map((f) => tokenOf(readFileSync(f, 'utf8')));
    expect((await testbed('down', borrowed)).code).toBe(0);
    const again = await testbed('up', withCert);
    expect(again.code, again.out).toBe(0);
    expect(readEnv()).toEqual(env);
    expect([env.clusters[0]!.kubeconfig, env.clusters[0]!.restrictedKubeconfig!].map((f) => tokenOf(readFileSync(f, 'utf8')))).toEqual(tokens);
    expect(await tokenSecrets()).toMatchObject({ [EXTERNAL_ADMIN]: 1, [EXTERNAL_RESTRICTED]: 1 });
    await expectLikeTheTestbedsOwn(readEnv());
    expect((await testbed('down', borrowed)).code).toBe(0);
  });

  it('does the same from a bearer-token kubeconfig', async () => {
    const up = await testbed('up', { ...borrowed, CLUSTERHUB_TEST_KUBECONFIG: alpha.kubeconfig });
    expect(up.code, up.out).toBe(0);
    await expectLikeTheTestbedsOwn(readEnv());
    expect((await testbed('down', borrowed)).code).toBe(0);
  });

  it('falls back to a TokenRequest token when no token controller will fill the Secret', async () => {
    // A Secret of the token's name that is not a service-account token: nothing will ever fill it.
    const name = `${EXTERNAL_RESTRICTED}-token`;
    await admin.core.deleteNamespacedSecret({ name, namespace: EXTERNAL_NAMESPACE }).catch(() => undefined);
    await admin.core.createNamespacedSecret({
      namespace: EXTERNAL_NAMESPACE,
      body: { metadata: { name }, type: 'Opaque', stringData: { note: 'not a token' } },
    });
    try {
      const up = await testbed('up', { ...borrowed, CLUSTERHUB_TEST_KUBECONFIG: certKubeconfig });
      expect(up.code, up.out).toBe(0);
      expect(up.out).toContain(`${EXTERNAL_NAMESPACE}/${name} is not a token Secret of ${EXTERNAL_RESTRICTED}; using TokenRequest`);
      const env = readEnv();
      await expectLikeTheTestbedsOwn(env);
      // A bound token, unlike the Secret's: it expires (in about a year).
      const claims = JSON.parse(
        Buffer.from(tokenOf(readFileSync(env.clusters[0]!.restrictedKubeconfig!, 'utf8')).split('.')[1]!, 'base64url').toString('utf8'),
      );
      expect(claims.exp - claims.iat).toBeGreaterThan(300 * 24 * 3600);
      expect((await testbed('down', borrowed)).code).toBe(0);
    } finally {
      await admin.core.deleteNamespacedSecret({ name, namespace: EXTERNAL_NAMESPACE });
    }
  });

  it.skipIf(!alpha.restrictedKubeconfig)('says in one sentence when the given kubeconfig may not set the cluster up', async () => {
    const up = await testbed('up', { ...borrowed, CLUSTERHUB_TEST_KUBECONFIG: alpha.restrictedKubeconfig! });
    expect(up.code).toBe(1);
    expect(up.out).toMatch(
      /The test bed could not start Kubernetes clusters: its API server answered HTTP 403: namespaces is forbidden: User "restricted" cannot create resource "namespaces" in API group "" at the cluster scope \(CLUSTERHUB_TEST_KUBECONFIG must be an admin's\)\n/,
    );
  });
});
