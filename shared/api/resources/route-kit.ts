/**
 * What every route file of the resources group is declared with: the guarded route declarer
 * (shared/http/route.ts), the caller and the cluster of the path, the audit target of a route on
 * one object, and the cluster's warnings passed on as `Warning` headers.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { onCluster, type Caller } from '#shared/domain/resources/cluster-session.ts';
import { gatheringWarnings } from '#shared/domain/resources/object-walk.ts';
import type { Router } from '#shared/http/app.ts';
import type { AppEnv, AuditNote } from '#shared/http/env.ts';
import { guardedRoutes, type ClusterRouteEnv, type DeclareRoute } from '#shared/http/route.ts';
import type { ClusterGateway } from '#shared/ports/cluster-gateway.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';

export const clusterIdParam = z.object({ clusterId: z.uuid().openapi({ description: 'The cluster id.' }) });

/** A path segment naming a kind: a plural, Kind, short name or group-qualified name. */
export const kindSegment = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/)
  .openapi({ description: 'A plural (`deployments`), Kind (`Deployment`), short name (`deploy`) or group-qualified name (`certificates.cert-manager.io`).' });

const dnsName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);

export const objectParams = clusterIdParam.extend({
  kind: kindSegment,
  namespace: z
    .string()
    .max(63)
    .regex(/^(-|_|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/)
    .openapi({ description: 'The namespace; `-` or `_` for a cluster-scoped kind.' }),
  name: dnsName.openapi({ description: 'The object name.' }),
});

export interface ResourcesKit {
  deps: Dependencies;
  /** Declares a guarded route (shared/http/route.ts); paths are under /clusters/{clusterId} and declare a `cluster` role. */
  declare: DeclareRoute;
  /** The caller and the cluster of the path, which the route's guard authorized. */
  caller(c: Context<ClusterRouteEnv>): Caller;
  /** The audit target of a route on one object, from its path (a refused request's entry names it too). */
  pathTarget(c: Context<AppEnv>): AuditNote;
  /** Notes the object a change is about, for the audit entry. */
  noteTarget(c: Context<ClusterRouteEnv>, target: { kind: string; namespace?: string; name?: string; details?: Record<string, unknown> }): void;
  /** Passes the cluster's warnings on as `Warning: 299` headers, as kubectl shows them. */
  warn(c: Context<ClusterRouteEnv>, warnings: string[]): void;
  /** Runs `work` on the caller's cluster and passes on, as Warning headers, what the cluster warned about in any of its calls. */
  gathering<T>(c: Context<ClusterRouteEnv>, work: (gateway: ClusterGateway) => Promise<T>): Promise<T>;
}

const quoted = (text: string) => `"${text.replace(/[\\"]/g, '\\$&').replace(/[^\x20-\x7e]/g, '?')}"`;

function targetNote(
  c: Pick<Context<AppEnv>, 'req' | 'get'>,
  { kind, namespace, name, details }: { kind: string; namespace?: string; name?: string; details?: Record<string, unknown> },
): AuditNote {
  const ns = namespace === '-' || namespace === '_' ? undefined : namespace;
  return {
    ...c.get('audit'),
    clusterId: c.req.param('clusterId'),
    resourceKind: kind,
    ...(name ? { resourceId: ns ? `${ns}/${name}` : name } : {}),
    details: { ...c.get('audit')?.details, kind, ...(ns ? { namespace: ns } : {}), ...(name ? { name } : {}), ...details },
  };
}

export function resourcesKit(deps: Dependencies, api: Router): ResourcesKit {
  const warn = (c: Context<ClusterRouteEnv>, warnings: string[]) => {
    for (const text of warnings) c.header('Warning', `299 - ${quoted(text)}`, { append: true });
  };
  return {
    deps,
    declare: guardedRoutes(api, deps),
    caller: (c) => ({ principal: c.get('principal')!, cluster: c.get('cluster') }),
    pathTarget: (c) =>
      targetNote(c, { kind: c.req.param('kind') ?? c.req.param('crdName') ?? '', namespace: c.req.param('namespace'), name: c.req.param('name') }),
    noteTarget: (c, target) => c.set('audit', targetNote(c, target)),
    warn,
    gathering: (c, work) =>
      onCluster(deps.resources, { principal: c.get('principal')!, cluster: c.get('cluster') }, async (session) => {
        const { gateway, warnings } = gatheringWarnings(session.gateway);
        const result = await work(gateway);
        warn(c, warnings);
        return result;
      }),
  };
}

/** A route file of the group: declares its routes with the kit. */
export type ResourceRouteFile = (kit: ResourcesKit) => void;
