/**
 * Apply, Secrets and who may do what, over real HTTP against a test bed cluster: a manifest applied
 * twice (created, then unchanged) and in a dry run with its diff, a CRD made in the test listed by
 * each of its names, Secret values hidden everywhere unless an admin reveals them (audited), a
 * viewer refused every change (audited with its target), a user with `none` shown nothing.
 */
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directClient, testClusters } from '#test/support/clusters.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';
import { json } from '#test/support/http.ts';
import { ADMIN_PASSWORD, bearer, createUser, jsonPost, login } from '#test/support/identity.ts';

let hub: TestHub;
let admin: Record<string, string>;
let clusterId: string;
const [alpha] = testClusters();
const direct = directClient(alpha!.adminKubeconfig);
const suffix = randomBytes(3).toString('hex');
const namespace = `res-apply-${suffix}`;
const group = `t${suffix}.clusterhub.test`;
const crdName = `widgets.${group}`;
const SECRET_VALUE = `s3cret-${randomBytes(8).toString('hex')}`;
const base = () => `/api/v1/clusters/${clusterId}`;

const manifest = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: fast
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: ${SECRET_VALUE}
---
apiVersion: v1
kind: NoSuchKind
metadata:
  name: broken
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: after-the-broken-one
data:
  still: applied
`;

const apply = (body: string, query = '', headers = admin, type = 'application/yaml') =>
  hub.fetch(`${base()}/apply?namespace=${namespace}${query}`, { method: 'POST', headers: { ...headers, 'Content-Type': type }, body });

beforeAll(async () => {
  hub = await startTestHub();
  hub.rememberSecret(SECRET_VALUE, 'the Secret value the test applies');
  hub.rememberSecret(Buffer.from(SECRET_VALUE).toString('base64'), 'the Secret value, base64');
  admin = bearer((await login(hub, 'admin', ADMIN_PASSWORD)).access_token);
  clusterId = (await json(await hub.fetch('/api/v1/clusters', jsonPost({ name: 'alpha', kubeconfig: alpha!.adminKubeconfig }, admin)))).id;
  await direct.core.createNamespace({ body: { metadata: { name: namespace } } });
});
afterAll(async () => {
  await direct.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await direct.kc
    .makeApiClient(k8s.ApiextensionsV1Api)
    .deleteCustomResourceDefinition({ name: crdName })
    .catch(() => undefined);
  await hub?.stop();
});

describe('POST /apply', () => {
  it('creates, then finds unchanged, each object, going on after a failed document', async () => {
    const first = await apply(manifest);
    expect(first.status).toBe(200);
    const created = await json(first);
    expect(created.items.map((i: { name: string; action: string | null }) => [i.name, i.action])).toEqual([
      ['settings', 'created'],
      ['creds', 'created'],
      ['broken', null],
      ['after-the-broken-one', 'created'],
    ]);
    expect(created.items[2].error.code).toBe('UNKNOWN_KIND');
    expect((await direct.core.readNamespacedConfigMap({ name: 'settings', namespace })).metadata?.managedFields?.map((f) => f.manager)).toContain('clusterhub');
    const again = await json(await apply(manifest));
    expect(again.items.map((i: { action: string | null }) => i.action)).toEqual(['unchanged', 'unchanged', null, 'unchanged']);
  });

  it('answers a dry run with the diff against the live object, and stores nothing', async () => {
    const changed = manifest.replace('mode: fast', 'mode: slow');
    const res = await apply(changed, '&dryRun=true');
    expect(res.status).toBe(200);
    const answer = await json(res);
    expect(answer.dry_run).toBe(true);
    expect(answer.items[0]).toMatchObject({ name: 'settings', action: 'configured', diff: [{ path: '/data/mode', before: 'fast', after: 'slow' }] });
    expect(answer.items[1]).toMatchObject({ name: 'creds', action: 'unchanged', diff: [] });
    expect((await direct.core.readNamespacedConfigMap({ name: 'settings', namespace })).data).toEqual({ mode: 'fast' });
  });

  it('takes JSON (a List) too, and refuses a manifest over the limit with 413', async () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-json' }, data: { a: 'b' } }] };
    const res = await apply(JSON.stringify(list), '', admin, 'application/json');
    expect((await json(res)).items).toEqual([expect.objectContaining({ name: 'from-json', action: 'created' })]);
    const small = await startTestHub({ HUB_MAX_APPLY_BYTES: '2048' }, { instanceOf: hub });
    try {
      const big = await small.fetch(`${base()}/apply`, {
        method: 'POST',
        headers: { ...admin, 'Content-Type': 'application/yaml' },
        body: manifest + `#${'x'.repeat(4096)}`,
      });
      expect(big.status).toBe(413);
    } finally {
      await small.stop();
    }
  });
});

describe('Secrets', () => {
  it('hides every value in lists, gets, patches and apply answers, as sha256 and length', async () => {
    const expected = { sha256: (await import('node:crypto')).createHash('sha256').update(SECRET_VALUE).digest('hex'), bytes: SECRET_VALUE.length };
    const got = await json(await hub.fetch(`${base()}/resources/secrets/${namespace}/creds`, { headers: admin }));
    expect(got.object.data.password).toEqual(expected);
    const listed = await json(await hub.fetch(`${base()}/resources/secrets?namespace=${namespace}`, { headers: admin }));
    expect(listed.items.find((s: { metadata: { name: string } }) => s.metadata.name === 'creds').data.password).toEqual(expected);
    const patched = await hub.fetch(`${base()}/resources/secrets/${namespace}/creds`, {
      method: 'PATCH',
      headers: { ...admin, 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { labels: { patched: 'yes' } } }),
    });
    expect((await json(patched)).object.data.password).toEqual(expected);
    // A last-applied annotation (client-side kubectl apply) holds the whole Secret: hidden the same way.
    const lastApplied = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, stringData: { password: SECRET_VALUE } });
    await direct.core.patchNamespacedSecret(
      { name: 'creds', namespace, body: { metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const annotated = await json(await hub.fetch(`${base()}/resources/secrets/${namespace}/creds`, { headers: admin }));
    expect(JSON.parse(annotated.object.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).stringData.password).toEqual(expected);
    await hub.assertNoLeaks();
  });

  it('reveals the values only to an admin of the cluster, and audits that read', async () => {
    const { password } = await createUser(hub, (await login(hub, 'admin', ADMIN_PASSWORD)).access_token, 'olga', 'operator');
    const olga = bearer((await login(hub, 'olga', password)).access_token);
    const path = `${base()}/resources/secrets/${namespace}/creds?reveal=true`;
    expect((await hub.fetch(path, { headers: olga })).status).toBe(403);
    // The one sanctioned way the value leaves the hub: fetched past the test hub's record of responses, which the leak sweep reads.
    const revealed = await fetch(hub.url + path, { headers: admin });
    expect(revealed.status).toBe(200);
    const object = (await json(revealed)).object;
    expect(Buffer.from(object.data.password, 'base64').toString()).toBe(SECRET_VALUE);
    const entries = (await json(await hub.fetch(`/api/v1/audit-log?action=resource.secret.reveal`, { headers: admin }))).items;
    expect(entries.map((e: { username: string; status_code: number; resource_id: string }) => [e.username, e.status_code, e.resource_id])).toEqual(
      expect.arrayContaining([
        ['admin', 200, `${namespace}/creds`],
        ['olga', 403, `${namespace}/creds`],
      ]),
    );
  });

  it('refuses an operator a JSON patch that copies, moves or tests a value of a Secret, which would read it', async () => {
    const olga = bearer((await login(hub, 'olga', `Pa55phrase-long-4-xyz`)).access_token);
    const patch = (ops: unknown, headers: Record<string, string>) =>
      hub.fetch(`${base()}/resources/secrets/${namespace}/creds`, {
        method: 'PATCH',
        headers: { ...headers, 'Content-Type': 'application/json-patch+json' },
        body: JSON.stringify(ops),
      });
    const copy = [{ op: 'copy', from: '/data/password', path: '/metadata/annotations/leak' }];
    expect((await patch(copy, olga)).status).toBe(403);
    expect((await patch([{ op: 'move', from: '/data/password', path: '/metadata/annotations/leak' }], olga)).status).toBe(403);
    expect((await patch([{ op: 'test', path: '/data/password', value: 'Z3Vlc3M=' }], olga)).status).toBe(403);
    const live = await direct.core.readNamespacedSecret({ name: 'creds', namespace });
    expect(live.metadata?.annotations?.leak).toBeUndefined();
    // Writing one is an operator's to do, as with any other object.
    const add = await patch([{ op: 'add', path: '/metadata/annotations/owner', value: 'olga' }], olga);
    expect(add.status).toBe(200);
    expect((await json(add)).object.metadata.annotations.owner).toBe('olga');
    await hub.assertNoLeaks();
  });
});

describe('a CRD made in the test', () => {
  it('is listed by each of its names, and by the CRD name', async () => {
    await direct.kc.makeApiClient(k8s.ApiextensionsV1Api).createCustomResourceDefinition({
      body: {
        metadata: { name: crdName },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: [`wg${suffix}`] },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
            },
          ],
        },
      },
    });
    // The cluster takes server-side apply of it a moment after it is created: wait for that, straight from the cluster.
    const custom = direct.kc.makeApiClient(k8s.CustomObjectsApi);
    const widget = { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1', namespace }, spec: { size: 3 } };
    const probe = () =>
      custom.patchNamespacedCustomObject(
        { group, version: 'v1', namespace, plural: 'widgets', name: 'w1', body: widget, fieldManager: 'probe', dryRun: 'All', force: true },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
      );
    for (
      let attempt = 0;
      attempt < 100 &&
      (await probe().then(
        () => false,
        () => true,
      ));
      attempt++
    )
      await new Promise((r) => setTimeout(r, 100));
    const answer = await json(await apply(`apiVersion: ${group}/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n`));
    expect(answer.items[0].action, JSON.stringify(answer)).toBe('created');
    for (const name of ['widgets', 'Widget', 'widget', `wg${suffix}`, crdName, `widgets.v1.${group}`]) {
      const res = await hub.fetch(`${base()}/resources/${name}?namespace=${namespace}`, { headers: admin });
      expect(res.status, name).toBe(200);
      expect(
        (await json(res)).items.map((i: { metadata: { name: string } }) => i.metadata.name),
        name,
      ).toEqual(['w1']);
    }
    const byCrd = await json(await hub.fetch(`${base()}/crd-instances/${crdName}?namespace=${namespace}`, { headers: admin }));
    expect(byCrd.items.map((i: { kind: string }) => i.kind)).toEqual(['Widget']);
  });
});

describe('roles', () => {
  it('lets a viewer read but refuses, and audits with its target, every change', async () => {
    const { password } = await createUser(hub, (await login(hub, 'admin', ADMIN_PASSWORD)).access_token, 'vic', 'viewer');
    const vic = bearer((await login(hub, 'vic', password)).access_token);
    expect((await hub.fetch(`${base()}/resources/configmaps/${namespace}/settings`, { headers: vic })).status).toBe(200);
    const object = `${base()}/resources/configmaps/${namespace}/settings`;
    const changes = [
      hub.fetch(object, { method: 'PATCH', headers: { ...vic, 'Content-Type': 'application/merge-patch+json' }, body: '{"data":{"x":"y"}}' }),
      hub.fetch(object, { method: 'DELETE', headers: { ...vic, 'X-Confirm-Destructive': 'true' } }),
      apply(manifest, '', vic),
    ];
    for (const res of await Promise.all(changes)) expect(res.status).toBe(403);
    expect((await direct.core.readNamespacedConfigMap({ name: 'settings', namespace })).data).toEqual({ mode: 'fast' });
    const entries = (
      await json(await hub.fetch(`/api/v1/audit-log?user_id=${(await json(await hub.fetch('/api/v1/auth/me', { headers: vic }))).id}`, { headers: admin }))
    ).items;
    const refused = entries.filter((e: { status_code: number }) => e.status_code === 403);
    expect(refused.map((e: { action: string }) => e.action).sort()).toEqual(['resource.apply', 'resource.delete', 'resource.patch']);
    expect(refused.find((e: { action: string }) => e.action === 'resource.patch')).toMatchObject({
      cluster_id: clusterId,
      resource_kind: 'configmaps',
      resource_id: `${namespace}/settings`,
    });
  });

  it('shows a user with none on the cluster nothing: 404 as for a cluster that does not exist', async () => {
    const adminToken = (await login(hub, 'admin', ADMIN_PASSWORD)).access_token;
    const { id, password } = await createUser(hub, adminToken, 'nora', 'operator');
    expect((await hub.fetch(`/api/v1/users/${id}/cluster-permissions`, jsonPost({ cluster_id: clusterId, role: 'none' }, admin))).status).toBe(200);
    const nora = bearer((await login(hub, 'nora', password)).access_token);
    for (const res of await Promise.all([
      hub.fetch(`${base()}/resources/configmaps?namespace=${namespace}`, { headers: nora }),
      hub.fetch(`${base()}/resources/configmaps/${namespace}/settings`, { headers: nora }),
      hub.fetch(`${base()}/crd-instances/${crdName}`, { headers: nora }),
      apply(manifest, '', nora),
    ])) {
      expect(res.status).toBe(404);
      const problem = await json(res);
      expect(problem.code).toBe('NOT_FOUND');
      expect(JSON.stringify(problem)).not.toContain('fast');
    }
  });
});
