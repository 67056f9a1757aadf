import * as k8s from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ClusterRecord } from '#shared/domain/clusters/cluster.ts';
import { loadTestbedEnv, type TestCluster } from '#test/testbed/env.ts';

/**
 * The test bed's clusters with their admin kubeconfig text: always two, so that
 * with one external cluster (CLUSTERHUB_TEST_KUBECONFIG) it stands in for both.
 */
export function testClusters(): (TestCluster & { adminKubeconfig: string })[] {
  const clusters = loadTestbedEnv().clusters.map((c) => ({ ...c, adminKubeconfig: readFileSync(c.kubeconfig, 'utf8') }));
  return clusters.length === 1 ? [clusters[0]!, clusters[0]!] : clusters;
}

/** A direct client to a test bed cluster, to compare what the hub says with what the cluster says. */
export function directClient(kubeconfigText: string) {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kubeconfigText);
  return {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    rbac: kc.makeApiClient(k8s.RbacAuthorizationV1Api),
  };
}

/** The bearer token of a kubeconfig, to search responses and logs for leaks. */
export function tokenOf(kubeconfigText: string): string {
  const match = /token:\s*"?([^"\s]+)"?/.exec(kubeconfigText);
  if (!match) throw new Error('no token in kubeconfig');
  return match[1]!;
}

/** The HTTP status a failed Kubernetes client call carried (undefined when it succeeded). */
export async function statusOf(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
    return undefined;
  } catch (err) {
    if (err instanceof k8s.ApiException) return err.code;
    throw err;
  }
}

/** A cluster record to store straight through the repository, for tests that need many clusters and no live one. */
export function clusterRecord(name: string, changes: Partial<ClusterRecord> = {}): Omit<ClusterRecord, 'version'> {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    name,
    context: name,
    description: '',
    labels: {},
    serverUrl: `https://${name}.example.test:6443`,
    kubernetesVersion: 'v1.33.0',
    provider: 'generic',
    nodeCount: 1,
    status: 'connected',
    active: true,
    credentialRef: `clusterhub/clusters/${name}`,
    credentialKind: 'token',
    createdAt: now,
    updatedAt: now,
    ...changes,
  };
}
