/**
 * The page walk every count and question rests on, against a test bed cluster through the real
 * gateway: it follows the cluster's continue tokens to the end with no duplicate and no gap, and
 * a kind the credential may not list is reported as unknown while the rest still count.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkKubeconfig, type KubeconfigPolicy } from '#shared/domain/clusters/kubeconfig-policy.ts';
import { parseNetworkPolicy } from '#shared/domain/clusters/network-policy.ts';
import { walkPages } from '#shared/domain/list-pages.ts';
import { COUNTED_KINDS, namespaceCounts } from '#shared/domain/resources/questions.ts';
import { createKubernetesGatewayFactory } from '#shared/adapters/kubernetes/kubernetes-gateway.ts';
import type { ClusterGateway, ListQuery } from '#shared/ports/cluster-gateway.ts';
import { loadTestbedEnv } from '#test/testbed/env.ts';

const alpha = loadTestbedEnv().clusters[0]!;
// The test bed's API servers listen on 127.0.0.1, so loopback is allowed, as an operator would for a lab.
const policy: KubeconfigPolicy = { networks: parseNetworkPolicy('127.0.0.0/8,::1/128'), allowInsecureTls: false };
const gatewayOf = (file: string) =>
  createKubernetesGatewayFactory({ policy, timeoutMs: 15_000 })(checkKubeconfig({ text: readFileSync(file, 'utf8') }, policy));
const admin = gatewayOf(alpha.kubeconfig);
const kc = new k8s.KubeConfig();
kc.loadFromFile(alpha.kubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);
const namespace = `object-walk-test-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  for (let i = 0; i < 7; i++) await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: `cm-${i}` }, data: { i: String(i) } } });
});
afterAll(async () => {
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  admin.close();
});

describe('walkPages', () => {
  it('reads a collection page by page to its end, each object once', async () => {
    const asked: ListQuery[] = [];
    const counting: ClusterGateway = Object.create(admin, {
      list: { value: (collection: Parameters<ClusterGateway['list']>[0], query: ListQuery) => (asked.push(query), admin.list(collection, query)) },
    });
    const pages: string[][] = [];
    await walkPages(counting, { group: '', version: 'v1', plural: 'configmaps', namespace }, {}, (items) => pages.push(items.map((o) => o.metadata!.name!)), 3);
    const listed = (await core.listNamespacedConfigMap({ namespace })).items.map((c) => c.metadata!.name!);
    expect(listed.length).toBe(8); // the seven and kube-root-ca.crt
    expect(pages.map((p) => p.length)).toEqual([3, 3, 2]);
    expect(pages.flat().sort()).toEqual([...listed].sort());
    expect(asked.map((q) => [q.limit, Boolean(q.continue)])).toEqual([
      [3, false],
      [3, true],
      [3, true],
    ]);
  });
});

describe('counts under a credential that may not list cluster-wide', () => {
  it('reports every kind it may not list as unknown instead of failing', async () => {
    // The test bed's `restricted` user may only view team-a.
    const restricted = gatewayOf(alpha.restrictedKubeconfig!);
    const counts = await namespaceCounts(restricted).finally(() => restricted.close());
    expect(counts.forbidden_kinds.sort()).toEqual(Object.keys(COUNTED_KINDS).sort());
    expect(counts.namespaces).toEqual([]);
  });
});
