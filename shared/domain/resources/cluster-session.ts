/**
 * How every resource use case reaches a cluster for a caller: behind the cluster's circuit
 * breaker (withCluster), as the caller when the cluster is set to impersonate, with kinds resolved
 * through the cluster's discovery (remembered per cluster) and the cluster's refusals mapped to the
 * hub's errors. Use cases of other files (actions, questions) build on the same session.
 */
import type { ClusterDeps } from '#shared/domain/clusters/cluster-deps.ts';
import type { ClusterRecord } from '#shared/domain/clusters/cluster.ts';
import { withCluster } from '#shared/domain/clusters/live-views.ts';
import { InputError } from '#shared/domain/errors.ts';
import { actingFor as actingForCaller } from '#shared/domain/clusters/impersonation.ts';
import type { Principal } from '#shared/domain/identity/access.ts';
import type { ApiResource, ClusterGateway, GatewayOptions, ResourceCollection, ResourceObjectRef } from '#shared/ports/cluster-gateway.ts';
import type { DiscoveryCache } from './discovery-cache.ts';
import { clusterRefusal, UnknownKindError } from './errors.ts';
import { closestKinds, resolveKind } from './kinds.ts';

export interface ResourceDeps {
  clusters: ClusterDeps;
  discovery: DiscoveryCache;
  /** The largest manifest (all documents) or patch the hub sends on to a cluster, in bytes. */
  maxApplyBytes: number;
}

/** Who asks, about which cluster (one they may see: the route's guard and lookup have checked it). */
export interface Caller {
  principal: Principal;
  cluster: ClusterRecord;
}

/** The field manager of every change the hub makes, as kubectl's is `kubectl`. */
export const FIELD_MANAGER = 'clusterhub';

/** Namespace path segments that stand for "none" on a cluster-scoped kind. */
const NO_NAMESPACE = new Set(['-', '_']);

/** Whom the gateway acts for: the caller, when the cluster is set to impersonate; else the hub's own credential. */
export const actingFor = ({ principal, cluster }: Caller): GatewayOptions | undefined => actingForCaller(principal, cluster);

export class ClusterSession {
  constructor(
    private readonly deps: ResourceDeps,
    readonly cluster: ClusterRecord,
    readonly gateway: ClusterGateway,
  ) {}

  private get cacheKey() {
    return `${this.cluster.id}:${this.cluster.credentialRef}`;
  }

  /** The served resource `kind` names (plural, Kind, short name, group-qualified); 404 UNKNOWN_KIND naming the closest. */
  async resolve(kind: string): Promise<ApiResource> {
    return this.find(kind, (resources) => resolveKind(resources, kind));
  }

  /** Every resource the cluster serves, from its discovery as remembered (read once when not yet). */
  async served(): Promise<ApiResource[]> {
    return (await this.deps.discovery.get(this.cacheKey, this.gateway)).resources;
  }

  /** The resource a CRD serves, by the CRD's name (`<plural>.<group>`). */
  async resolveCrd(crdName: string): Promise<ApiResource> {
    const wanted = crdName.toLowerCase();
    return this.find(crdName, (resources) => {
      const matches = resources.filter((r) => r.group !== '' && `${r.plural}.${r.group}` === wanted);
      return matches.find((r) => r.preferred) ?? matches[0];
    });
  }

  /** The resource `pick` chooses among those served, discovery read again once when it chooses none; 404 UNKNOWN_KIND after. */
  async resolveWith(name: string, pick: (resources: ApiResource[]) => ApiResource | undefined): Promise<ApiResource> {
    return this.find(name, pick);
  }

  private async find(name: string, pick: (resources: ApiResource[]) => ApiResource | undefined): Promise<ApiResource> {
    const since = this.deps.discovery.readAt(this.cacheKey);
    let discovery = await this.deps.discovery.get(this.cacheKey, this.gateway);
    let found = pick(discovery.resources);
    if (found) return found;
    // Perhaps installed since discovery was read (a new CRD): read it again before saying no.
    discovery = await this.deps.discovery.refresh(this.cacheKey, this.gateway, since);
    found = pick(discovery.resources);
    if (found) return found;
    throw new UnknownKindError(name, closestKinds(discovery.resources, name));
  }

  /** The collection of a resource, in `namespace` (a namespaced kind) or across all of them. */
  collection(resource: ApiResource, namespace?: string): ResourceCollection {
    const type = { group: resource.group, version: resource.version, plural: resource.plural };
    if (namespace === undefined || namespace === '') return type;
    if (!resource.namespaced) {
      throw new InputError(`${resource.kind} is cluster-scoped: list it without a namespace.`, [
        { field: 'namespace', location: 'query', message: 'cluster-scoped kind' },
      ]);
    }
    return { ...type, namespace };
  }

  /** One object of a resource; `namespace` is `-` or `_` for a cluster-scoped kind. */
  object(resource: ApiResource, namespace: string, name: string): ResourceObjectRef {
    const type = { group: resource.group, version: resource.version, plural: resource.plural, name };
    const none = NO_NAMESPACE.has(namespace);
    if (resource.namespaced && none)
      throw new InputError(`${resource.kind} is namespaced: name its namespace in the path.`, [
        { field: 'namespace', location: 'param', message: 'namespaced kind' },
      ]);
    if (!resource.namespaced && !none)
      throw new InputError(`${resource.kind} is cluster-scoped: use - as its namespace in the path.`, [
        { field: 'namespace', location: 'param', message: 'cluster-scoped kind' },
      ]);
    return resource.namespaced ? { ...type, namespace } : type;
  }
}

/** Runs `work` on the caller's cluster; refusals of the cluster come back as the hub's errors (errors.ts). */
export async function onCluster<T>(deps: ResourceDeps, caller: Caller, work: (session: ClusterSession) => Promise<T>): Promise<T> {
  try {
    return await withCluster(deps.clusters, caller.cluster, (gateway) => work(new ClusterSession(deps, caller.cluster, gateway)), actingFor(caller));
  } catch (err) {
    throw clusterRefusal(err);
  }
}
