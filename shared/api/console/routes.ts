import { createRouter, type EndpointGroup } from '#shared/http/app.ts';
import { guardedRoutes, type DeclareRoute } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { searchRoutes } from './search.ts';
import { shellRoutes } from './shell.ts';

/** What a route file of the console group declares its routes with. */
export interface ConsoleKit {
  deps: Dependencies;
  declare: DeclareRoute;
}
export type ConsoleRouteFile = (kit: ConsoleKit) => void;

/**
 * The console: search (one cluster live, the fleet from its snapshots) and the kubectl-style shell
 * (issue 15 items 5 and 6). A group of its own, so that the resources function stays the size of
 * its routes; the shell reaches clusters through the same resource use cases the resources group uses.
 */
export function consoleGroup(deps: Dependencies): EndpointGroup {
  const api = createRouter();
  const kit: ConsoleKit = { deps, declare: guardedRoutes(api, deps) };
  for (const declare of [searchRoutes, shellRoutes]) declare(kit);
  return { name: 'console', api };
}
