import { describe, expect, it } from 'vitest';
import { TopologyTooLargeError } from '#shared/domain/topology/errors.ts';
import { readCluster } from '#shared/domain/topology/read-cluster.ts';
import { ClusterApiError, type ClusterGateway, type KubernetesObject, type ListQuery, type ResourceCollection } from '#shared/ports/cluster-gateway.ts';

/**
 * What the read does with what a cluster answers, page by page: a gateway that answers lists from
 * objects held per plural, two to a page, refusing or lacking the kinds a test names. (The test bed
 * runs the same read against a real kube-apiserver in test/api/topology/.)
 */
function pagedGateway(byPlural: Record<string, KubernetesObject[]>, refuse: { forbidden?: string[]; missing?: string[] } = {}) {
  const asked: Array<{ plural: string; namespace?: string; continue?: string }> = [];
  const gateway = {
    async list(collection: ResourceCollection, query: ListQuery) {
      asked.push({ plural: collection.plural, namespace: collection.namespace, continue: query.continue });
      const refusal = (kind: 'forbidden' | 'not_found', status: number) =>
        new ClusterApiError(kind, 'refused', { status, reason: kind, verb: 'list', resource: collection, causes: [], warnings: [] } as never);
      if (refuse.forbidden?.includes(collection.plural)) throw refusal('forbidden', 403);
      if (refuse.missing?.includes(collection.plural)) throw refusal('not_found', 404);
      const all = (byPlural[collection.plural] ?? []).filter((o) => !collection.namespace || o.metadata?.namespace === collection.namespace);
      const start = Number(query.continue ?? 0);
      const next = start + 2 < all.length ? String(start + 2) : undefined;
      return { items: all.slice(start, start + 2), warnings: [], ...(next ? { continue: next } : {}) };
    },
  } as unknown as ClusterGateway;
  return { gateway, asked };
}

const pod = (name: string, namespace: string, nodeName: string) => ({ metadata: { name, namespace }, spec: { nodeName } });

describe('readCluster', () => {
  it('reads every page of each kind, stamps kind and apiVersion, and drops Secret and ConfigMap data as it reads', async () => {
    const { gateway, asked } = pagedGateway({
      pods: [pod('a', 'n', 'node-1'), pod('b', 'n', 'node-1'), pod('c', 'n', 'node-2')],
      secrets: [{ metadata: { name: 's', namespace: 'n' }, data: { password: 'c2VjcmV0' }, stringData: { x: 'y' } }],
      configmaps: [{ metadata: { name: 'c', namespace: 'n', managedFields: [{}] }, data: { k: 'v' } }],
    });
    const { objects, warnings } = await readCluster(gateway, { kinds: ['Pod', 'Secret', 'ConfigMap'], maxObjects: 100 });
    expect(warnings).toEqual([]);
    expect(asked.filter((a) => a.plural === 'pods').map((a) => a.continue)).toEqual([undefined, '2']);
    expect(objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata!.name}`)).toEqual(['v1 Pod a', 'v1 Pod b', 'v1 Pod c', 'v1 ConfigMap c', 'v1 Secret s']);
    expect(JSON.stringify(objects)).not.toMatch(/c2VjcmV0|password|managedFields|"k"/);
  });

  it('in a namespace, keeps only the cluster-scoped objects its objects name', async () => {
    const { gateway } = pagedGateway({
      pods: [pod('a', 'n', 'node-1'), pod('z', 'other', 'node-9')],
      nodes: ['node-1', 'node-2', 'node-9'].map((name) => ({ metadata: { name } })),
      namespaces: ['n', 'other'].map((name) => ({ metadata: { name } })),
    });
    const { objects } = await readCluster(gateway, { namespace: 'n', kinds: ['Pod', 'Node', 'Namespace'], maxObjects: 100 });
    expect(objects.map((o) => `${o.kind}/${o.metadata!.name}`).sort()).toEqual(['Namespace/n', 'Node/node-1', 'Pod/a']);
  });

  it('says which kinds it may not list or the cluster does not serve, is silent about absent add-ons, and fails on the rest', async () => {
    const { gateway } = pagedGateway({ pods: [pod('a', 'n', 'x')] }, { forbidden: ['secrets'], missing: ['horizontalpodautoscalers', 'httproutes'] });
    const { objects, warnings } = await readCluster(gateway, { kinds: ['Pod', 'Secret', 'HorizontalPodAutoscaler', 'HTTPRoute'], maxObjects: 100 });
    expect(objects).toHaveLength(1);
    expect(warnings.map((w) => w.code)).toEqual(['KIND_FORBIDDEN', 'KIND_NOT_SERVED']);
    expect(warnings[1]!.message).toContain('autoscaling/v2');
    const broken = pagedGateway({}, {});
    (broken.gateway as { list: unknown }).list = async () => {
      throw new ClusterApiError('invalid' as never, 'bad', {
        status: 400,
        reason: 'BadRequest',
        verb: 'list',
        resource: { group: '', version: 'v1', plural: 'pods' },
        causes: [],
        warnings: [],
      } as never);
    };
    await expect(readCluster(broken.gateway, { kinds: ['Pod'], maxObjects: 100 })).rejects.toBeInstanceOf(ClusterApiError);
  });

  it('stops reading past maxObjects with TopologyTooLargeError, which names the limit', async () => {
    const { gateway, asked } = pagedGateway({ pods: Array.from({ length: 9 }, (_, i) => pod(`p${i}`, 'n', 'x')) });
    const refused = readCluster(gateway, { kinds: ['Pod'], maxObjects: 5 });
    await expect(refused).rejects.toBeInstanceOf(TopologyTooLargeError);
    await expect(refused).rejects.toMatchObject({ kind: 'unprocessable', code: 'TOPOLOGY_TOO_LARGE', details: { max_objects: 5 } });
    expect(asked.length).toBe(3);
  });
});
