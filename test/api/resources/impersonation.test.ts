/**
 * Acting as the user: with `impersonate` set on a cluster, the cluster's own RBAC decides what a
 * hub user may do there, by the groups the hub names (clusterhub:<role>). The test binds one group
 * in a namespace of its own and shows the cluster refusing a user of another role and allowing one of that role.
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
let clusterId: string;
const [alpha] = testClusters();
const direct = directClient(alpha!.adminKubeconfig);
const namespace = `res-impersonate-${randomBytes(3).toString('hex')}`;

const patchCluster = (id: string, body: unknown) =>
  hub.fetch(`/api/v1/clusters/${id}`, { method: 'PATCH', headers: { ...admin, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  hub = await startTestHub();
  adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
  admin = bearer(adminToken);
  clusterId = (await json(await hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha', kubeconfig: alpha!.adminKubeconfig }, admin)))).id;
  await direct.core.createNamespace({ body: { metadata: { name: namespace } } });
  await direct.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'visible' }, data: { a: 'b' } } });
  // The cluster lets the hub's viewers read this namespace, and nobody else the hub acts for.
  await direct.rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: 'clusterhub-viewers' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'clusterhub:viewer' }],
    },
  });
});
afterAll(async () => {
  await direct.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await hub?.stop();
});

describe('impersonate', () => {
  it("is turned on only after the cluster says the hub's credential may impersonate", async () => {
    const restricted = readFileSync(alpha!.restrictedKubeconfig!, 'utf8');
    const limited = await hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha-restricted', kubeconfig: restricted }, admin));
    expect(limited.status).toBe(201);
    const refused = await patchCluster((await json(limited)).id, { impersonate: true });
    expect(refused.status).toBe(422);
    expect((await json(refused)).code).toBe('IMPERSONATION_NOT_ALLOWED');
    const res = await patchCluster(clusterId, { impersonate: true });
    expect(res.status).toBe(200);
    expect((await json(res)).impersonate).toBe(true);
  });

  it("lets the cluster's RBAC decide: a user whose group it binds reads, one whose group it does not is refused", async () => {
    const viewer = await createUser(hub, adminToken, 'ivan', 'viewer');
    const operator = await createUser(hub, adminToken, 'olga', 'operator');
    const ivan = bearer((await login(hub, 'ivan', viewer.password)).access_token);
    const olga = bearer((await login(hub, 'olga', operator.password)).access_token);
    const list = `/api/v1/clusters/${clusterId}/resources/configmaps?namespace=${namespace}`;

    const allowed = await hub.fetch(list, { headers: ivan });
    expect(allowed.status).toBe(200);
    expect((await json(allowed)).items.map((i: { metadata: { name: string } }) => i.metadata.name)).toContain('visible');

    const refused = await hub.fetch(list, { headers: olga });
    expect(refused.status).toBe(403);
    const problem = await json(refused);
    expect(problem).toMatchObject({ code: 'CLUSTER_FORBIDDEN', verb: 'list', resource: { plural: 'configmaps', namespace } });
    expect(problem.detail).toContain('clusterhub:olga');
    // Nor may the operator change what the cluster does not let their group change, whatever the hub's role allows.
    const patch = await hub.fetch(`/api/v1/clusters/${clusterId}/resources/configmaps/${namespace}/visible`, {
      method: 'PATCH',
      headers: { ...olga, 'Content-Type': 'application/merge-patch+json' },
      body: '{"data":{"a":"changed"}}',
    });
    expect(patch.status).toBe(403);
    expect((await direct.core.readNamespacedConfigMap({ name: 'visible', namespace })).data).toEqual({ a: 'b' });
  });
});
