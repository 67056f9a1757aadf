/**
 * Acting as the user in the clusters group: registration may turn impersonation on (checked with
 * the cluster as PATCH checks it), and the live views (namespaces, summary, workloads, overview)
 * are then read as the caller, so the cluster's RBAC decides what each person sees there.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';

let hub: TestHub;
let admin: Record<string, string>;
let adminToken: string;
const [alpha] = testClusters();
const direct = directClient(alpha!.adminKubeconfig);
const suffix = randomBytes(3).toString('hex');
const username = `imp${suffix}`;
const binding = `clusterhub-live-views-${suffix}`;

beforeAll(async () => {
  hub = await startTestHub();
  adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  admin = bearer(adminToken);
});
afterAll(async () => {
  await direct.rbac.deleteClusterRoleBinding({ name: binding }).catch(() => undefined);
  await hub?.stop();
});

const register = (name: string, kubeconfig: string) => hub.fetch('/api/v1/clusters', jsonPost({ name, kubeconfig, impersonate: true }, admin));

describe('registration with impersonate', () => {
  it("is refused, storing nothing, where the hub's credential may not impersonate, as PATCH refuses it", async () => {
    const restricted = readFileSync(alpha!.restrictedKubeconfig!, 'utf8');
    const refused = await register('alpha-restricted', restricted);
    expect(refused.status).toBe(422);
    expect((await json(refused)).code).toBe('IMPERSONATION_NOT_ALLOWED');
    const listed = await json(await hub.fetch('/api/v1/clusters', { headers: admin }));
    expect(listed.items.map((c: { name: string }) => c.name)).not.toContain('alpha-restricted');

    // The same credential registered without it, then PATCHed to impersonate: the same refusal.
    const plain = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha-restricted', kubeconfig: restricted }, admin));
    expect(plain.status).toBe(201);
    const patched = await hub.fetch(`/api/v1/clusters/${(await json(plain)).id}`, {
      method: 'PATCH',
      headers: { ...admin, 'Content-Type': 'application/json' },
      body: JSON.stringify({ impersonate: true }),
    });
    expect(patched.status).toBe(422);
    expect((await json(patched)).code).toBe('IMPERSONATION_NOT_ALLOWED');
  });

  it('turns it on where the credential may impersonate, and the live views are then the cluster RBAC of the caller', async () => {
    const res = await register('alpha', alpha!.adminKubeconfig);
    expect(res.status).toBe(201);
    const cluster = await json(res);
    expect(cluster.impersonate).toBe(true);
    expect((await json(await hub.fetch(`/api/v1/clusters/${cluster.id}`, { headers: admin }))).impersonate).toBe(true);

    // A hub operator whom the cluster binds nothing: the hub's role would let them read every view.
    const user = await createUser(hub, adminToken, username, 'operator');
    const caller = bearer((await login(hub, username, user.password)).access_token);
    const view = (path: string) => hub.fetch(`/api/v1/clusters/${cluster.id}/${path}`, { headers: caller });
    for (const path of ['namespaces', 'summary', 'workloads', 'overview']) {
      const refused = await view(path);
      expect(refused.status, path).toBe(403);
      expect((await json(refused)).code, path).toBe('CLUSTER_FORBIDDEN');
    }

    // The cluster lets that person (not the hub's account, not their group) read through `view`: now they see the counts it allows.
    await direct.rbac.createClusterRoleBinding({
      body: {
        metadata: { name: binding },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: `clusterhub:${username}` }],
      },
    });
    let summary = await view('summary');
    for (let tries = 0; summary.status === 403 && tries < 50; tries += 1) {
      await new Promise((r) => setTimeout(r, 200)); // the apiserver's RBAC cache catches up with the new binding
      summary = await view('summary');
    }
    expect(summary.status).toBe(200);
    const counts = await json(summary);
    expect(counts.namespace_count).toBeGreaterThan(0);
    expect(typeof counts.pod_count).toBe('number');
    // `view` cannot list nodes: what the hub's cluster-admin credential would have counted stays unknown to this caller.
    expect(counts.node_count).toBeNull();
  });
});
