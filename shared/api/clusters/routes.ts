import { createRouter, type EndpointGroup } from '#shared/http/app.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { credentialRoutes } from './credentials.ts';
import { liveViewRoutes } from './live-views.ts';
import { registryRoutes } from './registry.ts';

/** The cluster registry: registration, credentials, onboarding and live views, each authorized per cluster. */
export function clustersGroup(deps: Dependencies): EndpointGroup {
  const api = createRouter();
  // The registry first: /clusters/discover is matched before /clusters/{clusterId}.
  api.route('/', registryRoutes(deps));
  api.route('/', credentialRoutes(deps));
  api.route('/', liveViewRoutes(deps));
  return { name: 'clusters', api };
}
