import { createRouter, type EndpointGroup } from '#shared/http/app.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { apiKeyRoutes } from './api-keys.ts';
import { clusterPermissionRoutes } from './cluster-permissions.ts';
import { passwordRoutes } from './passwords.ts';
import { secondFactorRoutes } from './second-factor.ts';
import { sessionRoutes } from './sessions.ts';
import { signingKeyRoutes } from './signing-keys.ts';
import { userRoutes } from './users.ts';

export interface IdentityOptions {
  /** Whether a cluster exists, for per-cluster grants. */
  clusterExists: (clusterId: string) => Promise<boolean>;
}

/** Login, tokens, 2FA and API keys (/auth), and user administration (/users). */
export function identityGroup(
  deps: Dependencies,
  options: IdentityOptions = { clusterExists: async (clusterId) => Boolean(await deps.clusters.clusters.get(clusterId)) },
): EndpointGroup {
  const api = createRouter();
  for (const resource of [
    sessionRoutes(deps),
    passwordRoutes(deps),
    secondFactorRoutes(deps),
    apiKeyRoutes(deps),
    signingKeyRoutes(deps),
    userRoutes(deps),
    clusterPermissionRoutes(deps, options.clusterExists),
  ])
    api.route('/', resource);
  return { name: 'identity', api };
}
