import { createRouter, type EndpointGroup } from '#shared/http/app.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { actionRoutes } from './actions.ts';
import { applyRoutes } from './apply.ts';
import { eventRoutes } from './events.ts';
import { objectRoutes } from './objects.ts';
import { questionRoutes } from './questions.ts';
import { resourcesKit, type ResourceRouteFile } from './route-kit.ts';

/**
 * Kubernetes resources on a registered cluster (/clusters/{clusterId}/resources, /apply,
 * /crd-instances, /events): each route file declares its routes on the kit (route-kit.ts), which gives the
 * guard, the caller's cluster and the Warning headers. A new file exports a ResourceRouteFile and
 * adds one line below; the more literal paths of actions and questions
 * (`/resources/deployments/{namespace}/{name}/rollback`) do not collide with the generic ones.
 */
const ROUTE_FILES: ResourceRouteFile[] = [
  objectRoutes,
  applyRoutes,
  actionRoutes, // rollout history, rollback, restart, scale, trigger, retry
  questionRoutes, // endpoints, consumers, tls-info, counts, features
  eventRoutes, // the cluster's events, one object's events
];

export function resourcesGroup(deps: Dependencies): EndpointGroup {
  const api = createRouter();
  const kit = resourcesKit(deps, api);
  for (const declare of ROUTE_FILES) declare(kit);
  return { name: 'resources', api };
}
