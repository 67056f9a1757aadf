import { createRoute, type RouteConfig, type RouteHandler } from '@hono/zod-openapi';
import type { Handler } from 'hono';
import type { RateTier } from '#shared/config/config.ts';
import type { ClusterRecord } from '#shared/domain/clusters/cluster.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import type { Role } from '#shared/domain/identity/access.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import type { Router } from './app.ts';
import type { AppEnv } from './env.ts';
import { authenticatedSecurity, guards, type GuardOptions } from './guard.ts';
import { errorResponses } from './openapi.ts';

/**
 * Who may call a route. `access` is the global role needed (`public`: no principal, limited per
 * client address). `cluster` is the role needed on the cluster of the path (`{clusterId}`): the
 * caller's override there, else their global role; with it `access` defaults to any authenticated
 * caller, and the handler finds the cluster, visible and authorized, in `c.var.cluster`.
 */
export type RouteAccess = { access: 'public' | Role; cluster?: never } | { cluster: Role; access?: Role };

/** A route as declared: its OpenAPI description with who may call it, how it is limited and audited. */
export type GuardedRouteConfig = Omit<RouteConfig, 'middleware' | 'security'> &
  RouteAccess & {
    /** The rate tier; read for GET, write for the rest unless given. */
    tier?: RateTier;
    /** The audit action of a change, such as `user.create`; every non-GET request is audited. */
    action?: string;
    /** Audit this read too (a read that hands out a credential), or the requests for which it answers true. */
    auditRead?: GuardOptions['auditRead'];
    /** What the audit entry names as the target before the handler runs (a refused change's too). */
    auditTarget?: GuardOptions['auditTarget'];
  };

/** The context of a cluster route: its cluster, loaded after the guard authorized the caller on it. */
export interface ClusterRouteEnv extends AppEnv {
  Variables: AppEnv['Variables'] & { cluster: ClusterRecord };
}

type EnvOf<R> = R extends { cluster: Role } ? ClusterRouteEnv : AppEnv;

/** Declares one guarded route on the router: the guard, the OpenAPI operation and the handler, from one declaration. */
export type DeclareRoute = <R extends GuardedRouteConfig>(declaration: R, handler: RouteHandler<R, EnvOf<R>>) => void;

/**
 * The route declarer of a router. Each route is declared once: the guard enforces exactly the
 * declared roles, tier and audit action, and its OpenAPI operation gets the security scheme and
 * what the guard can answer (401, 403, 404 for a cluster not visible, 429) from the same
 * declaration, so no route lists them by hand and none can forget them.
 */
export function guardedRoutes(router: Router, deps: Dependencies): DeclareRoute {
  const guard = guards(deps);
  return (declaration, handler) => {
    const { access, cluster, tier, action, auditRead, auditTarget, ...route } = declaration;
    const options: GuardOptions = { access: access ?? 'viewer', cluster, tier, action, auditRead, auditTarget };
    if (cluster && !route.path.includes('{clusterId}')) throw new Error(`${route.path} declares a cluster role but has no {clusterId}`);
    // The declaration's types are the caller's: inside, a handler is any handler of the router.
    const run = (cluster ? withPathCluster(deps, handler as unknown as Handler<ClusterRouteEnv>) : handler) as unknown as Handler<AppEnv>;
    router.openapi(
      createRoute({
        ...route,
        description: cluster ? [clusterNeeds(access ?? 'viewer', cluster), route.description].filter(Boolean).join(' ') : route.description,
        ...(options.access === 'public' ? {} : { security: authenticatedSecurity }),
        responses: { ...errorResponses(...guardStatuses(options)), ...route.responses },
        middleware: guard(options),
      }),
      run,
    );
  };
}

/** What the guard answers before the route runs. */
function guardStatuses({ access, cluster }: GuardOptions): number[] {
  if (access === 'public') return [429];
  const statuses = [401, 429];
  if (access !== 'viewer' || (cluster && cluster !== 'viewer')) statuses.push(403);
  if (cluster) statuses.push(404);
  return statuses;
}

/** The roles of a cluster route, in the words of its OpenAPI description. */
function clusterNeeds(access: Role, cluster: Role): string {
  if (access !== 'viewer') return `Needs the global ${access} role and ${cluster} on the cluster.`;
  return `Needs ${cluster} on the cluster (a per-cluster override, else the global role)${cluster === 'viewer' ? '' : '; below it answers 403'}.`;
}

/**
 * Runs the handler with the cluster of the path. The guard has authorized the caller on it (404
 * when they may not even see it); it is loaded after the parameters are validated, so a malformed
 * id answers 400 without a table read. A cluster that does not exist answers 404 alike.
 */
function withPathCluster(deps: Dependencies, handler: Handler<ClusterRouteEnv>): Handler<ClusterRouteEnv> {
  return async (c, next) => {
    const id = c.req.param('clusterId')!;
    const cluster = await deps.clusters.clusters.get(id);
    if (!cluster) throw new NotFoundError(`Cluster ${id} does not exist.`);
    c.set('cluster', cluster);
    c.set('audit', { ...c.get('audit'), resourceKind: 'cluster', resourceId: id, clusterId: id });
    return handler(c, next);
  };
}
