/**
 * The graph from the cluster's latest inventory snapshot (source=inventory), without contacting
 * the cluster. A snapshot keeps each object in short (kind, namespace, name, uid, labels, owner,
 * images, a status word) and no specs, so only the relations those fields say are drawn: a
 * namespace contains its objects, an owner owns what names it. The rest are named in a warning
 * and the answer says it is not complete.
 */
import type { InventoryDeps } from '#shared/domain/inventory/ports.ts';
import type { InventoryObject } from '#shared/domain/inventory/objects.ts';
import { inventoryAt } from '#shared/domain/inventory/snapshot.ts';
import { AppError, NotFoundError } from '#shared/domain/errors.ts';
import type { KubernetesObject } from '#shared/ports/cluster-gateway.ts';
import { buildGraph } from './build-graph.ts';
import { TopologyTooLargeError } from './errors.ts';
import { nodeId, RELATIONSHIPS, type TopologyGraph, type TopologyWarning } from './model.ts';
import { TOPOLOGY_KINDS } from './topology-kinds.ts';

/** The relations a snapshot cannot give (they are read from specs the inventory does not keep). */
export const NOT_FROM_INVENTORY = RELATIONSHIPS.filter((relationship) => relationship !== 'contains' && relationship !== 'owns');

export interface InventoryGraph {
  graph: TopologyGraph;
  takenAt: string;
  checkedAt: string;
}

/** A snapshot's object as the graph builder reads one: metadata only, the status word kept apart. */
function asObject(o: InventoryObject): KubernetesObject {
  const ownerReferences = o.owner ? [{ kind: o.owner.kind, name: o.owner.name, controller: true }] : undefined;
  return {
    kind: o.kind,
    apiVersion: o.api_version,
    metadata: { name: o.name, namespace: o.namespace ?? undefined, uid: o.uid, labels: o.labels, ownerReferences },
  };
}

export async function inventoryGraph(
  deps: InventoryDeps,
  clusterId: string,
  query: { namespace?: string; kinds?: string[]; maxObjects: number },
): Promise<InventoryGraph> {
  const snapshot = await inventoryAt(deps, clusterId).catch((err: unknown) => {
    if (err instanceof NotFoundError)
      throw new AppError(
        'not_found',
        'NO_INVENTORY_SNAPSHOT',
        `Cluster ${clusterId} has no inventory snapshot yet: refresh its inventory, or ask source=live.`,
      );
    throw err;
  });
  const shown = new Set(TOPOLOGY_KINDS.filter((t) => !query.kinds || query.kinds.includes(t.kind)).map((t) => t.kind));
  const wanted = snapshot.objects.filter(
    (o) => shown.has(o.kind) && (!query.namespace || o.namespace === query.namespace || (o.kind === 'Namespace' && o.name === query.namespace)),
  );
  if (wanted.length > query.maxObjects) throw new TopologyTooLargeError(query.maxObjects, query.namespace);
  const graph = buildGraph(wanted.map(asObject));
  // The node's status is the snapshot's word; its health cannot be judged from a word alone.
  const status = new Map(wanted.map((o) => [nodeId(o.kind, o.namespace, o.name), o.status]));
  for (const n of graph.nodes) {
    n.status = status.get(n.id) ?? null;
    n.health = 'unknown';
    delete n.replicas;
  }
  const warnings: TopologyWarning[] = [
    {
      code: 'INVENTORY_RELATIONS_LIMITED',
      message: `Drawn from the inventory snapshot of ${snapshot.ref.taken_at}: only contains and owns are shown; ${NOT_FROM_INVENTORY.join(', ')} need the objects' specs, which a snapshot does not keep (ask source=live).`,
    },
  ];
  for (const plural of snapshot.ref.unreadable)
    warnings.push({ code: 'KIND_FORBIDDEN', message: `${plural}: the inventory could not list them; they are not shown.` });
  graph.warnings.push(...warnings);
  return { graph, takenAt: snapshot.ref.taken_at, checkedAt: snapshot.checkedAt };
}
