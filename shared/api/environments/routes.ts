import { createRouter, type EndpointGroup } from '#shared/http/app.ts';
import { guardedRoutes } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { catalogRoutes } from './catalog-routes.ts';
import { compareRoutes } from './compare-routes.ts';
import { promotionRoutes } from './promotion-routes.ts';
import { syncRoutes } from './sync-routes.ts';

/**
 * Environments (/environments, /app-instances) and what runs in them (/services, /configmaps,
 * /secrets), syncs between instances with their history (/sync-operations) and promotions that wait for a
 * second person (/promotions): the records in the
 * table, the workloads and configuration read live from the clusters.
 */
export function environmentsGroup(deps: Dependencies): EndpointGroup {
  const api = createRouter();
  const route = guardedRoutes(api, deps);
  catalogRoutes(deps, route);
  compareRoutes(deps, route);
  syncRoutes(deps, route);
  promotionRoutes(deps, route);
  return { name: 'environments', api };
}
