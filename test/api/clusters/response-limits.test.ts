/**
 * Answers read from a cluster are capped (HUB_MAX_CLUSTER_RESPONSE_BYTES, set low here): lists
 * page with smaller pages until each fits, so views stay complete; an object too large to fit
 * even alone is refused with 502 CLUSTER_RESPONSE_TOO_LARGE, which does not open the circuit.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, jsonPost, login } from '#test/support/identity.ts';

const CAP = 128 * 1024;
const [alpha] = testClusters();
const direct = directClient(alpha!.adminKubeconfig);
const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
// Sorted last among the cluster's namespaces, so the oversized object is nobody's first page.
const namespaces = { paged: `zz-limits-paged-${suffix}`, huge: `zz-limits-huge-${suffix}` };

let hub: TestHub;
let admin: Record<string, string>;
let id: string;

function deployment(name: string, annotationBytes: number) {
  const labels = { app: name };
  return {
    metadata: { name, annotations: { 'clusterhub.test/padding': 'x'.repeat(annotationBytes) } },
    spec: {
      replicas: 0,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } },
    },
  };
}

beforeAll(async () => {
  for (const name of Object.values(namespaces)) await direct.core.createNamespace({ body: { metadata: { name } } });
  hub = await startTestHub({ HUB_MAX_CLUSTER_RESPONSE_BYTES: String(CAP) });
  admin = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
  const registered = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha', kubeconfig: alpha!.adminKubeconfig }, admin));
  expect(registered.status).toBe(201);
  id = (await json(registered)).id;
});

afterAll(async () => {
  await hub?.stop();
  for (const name of Object.values(namespaces)) await direct.core.deleteNamespace({ name }).catch(() => undefined);
});

describe('answers larger than HUB_MAX_CLUSTER_RESPONSE_BYTES', () => {
  it('pages a list whose objects together exceed the cap, and the view still has every one of them', async () => {
    const names = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5', 'web-6'];
    for (const name of names) await direct.apps.createNamespacedDeployment({ namespace: namespaces.paged, body: deployment(name, 40 * 1024) });
    // One page of them all is over the cap (what the hub used to ask for, 500 at a time).
    const together = await direct.apps.listNamespacedDeployment({ namespace: namespaces.paged });
    expect(JSON.stringify(together).length).toBeGreaterThan(CAP);

    const res = await hub.fetch(`/api/v1/clusters/${id}/workloads`, { headers: admin });
    expect(res.status).toBe(200);
    const workloads = await json(res);
    const ours = workloads.deployments.filter((d: { namespace: string }) => d.namespace === namespaces.paged).map((d: { name: string }) => d.name);
    expect(ours.sort()).toEqual(names);

    // The counts agree with the cluster (read again while others change it, until both sides agree).
    let summary: Record<string, number> = {};
    let count = -1;
    for (let i = 0; i < 10 && summary.deployment_count !== count; i++) {
      summary = await json(await hub.fetch(`/api/v1/clusters/${id}/summary`, { headers: admin }));
      count = (await direct.apps.listDeploymentForAllNamespaces()).items.length;
    }
    expect(summary.deployment_count).toBe(count);
  });

  it('refuses an object that does not fit even alone with 502 CLUSTER_RESPONSE_TOO_LARGE, without opening the circuit', async () => {
    await direct.apps.createNamespacedDeployment({ namespace: namespaces.huge, body: deployment('huge', 150 * 1024) });
    try {
      // More refusals than the breaker's threshold (3): none of them is an outage.
      for (let i = 0; i < 4; i++) {
        const res = await hub.fetch(`/api/v1/clusters/${id}/workloads`, { headers: admin });
        expect(res.status).toBe(502);
        const problem = await json(res);
        expect(problem).toMatchObject({ code: 'CLUSTER_RESPONSE_TOO_LARGE', status: 502, limit_bytes: CAP });
        expect(problem.detail).toMatch(/sent an answer larger than 128 KiB, the most the hub reads at once \(HUB_MAX_CLUSTER_RESPONSE_BYTES\)/);
      }
      expect((await hub.deps.clusters.breaker.state(id)).failures).toBe(0);
      expect((await hub.fetch(`/api/v1/clusters/${id}/namespaces`, { headers: admin })).status).toBe(200);
    } finally {
      await direct.apps.deleteNamespacedDeployment({ namespace: namespaces.huge, name: 'huge' });
    }
    expect((await hub.fetch(`/api/v1/clusters/${id}/workloads`, { headers: admin })).status).toBe(200);
  });
});
