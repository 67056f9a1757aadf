import { createApi, type EndpointGroup } from '#shared/http/app.ts';
import { generateDocument } from '#shared/http/openapi.ts';
import { VERSION } from '#shared/config/version.ts';
import { createLogger } from '#shared/observability/logger.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { auditGroup } from './audit/routes.ts';
import { clustersGroup } from './clusters/routes.ts';
import { consoleGroup } from './console/routes.ts';
import { environmentsGroup } from './environments/routes.ts';
import { healthGroup } from './health/routes.ts';
import { identityGroup } from './identity/routes.ts';
import { inventoryGroup } from './inventory/routes.ts';
import { resourcesGroup } from './resources/routes.ts';
import { operationsGroup } from './operations/routes.ts';
import { systemGroup } from './system/routes.ts';
import { topologyGroup } from './topology/routes.ts';

/**
 * Every endpoint group of the product, for the local run and the OpenAPI document. A Lambda
 * never comes through here: each functions/<group>/handler.ts builds its own group only, so its
 * bundle carries no other group's code.
 */
export function endpointGroups(deps: Dependencies): EndpointGroup[] {
  const groups: EndpointGroup[] = [];
  let document: object | undefined;
  const describe = () => {
    // Generated from the routes themselves, on first request, never by hand.
    document ??= generateDocument(createApi(groups, createLogger({}, { level: 'error' })), VERSION);
    return document;
  };
  groups.push(
    systemGroup(deps, { document: describe, groupNames: () => groups.map((g) => g.name) }),
    identityGroup(deps),
    auditGroup(deps),
    clustersGroup(deps),
    resourcesGroup(deps),
    topologyGroup(deps),
    operationsGroup(deps),
    healthGroup(deps),
    inventoryGroup(deps),
    consoleGroup(deps),
    environmentsGroup(deps),
  );
  return groups;
}

/** The groups named, as the functions serving them build them (for tests that stand in for several functions). */
export function groupsNamed(deps: Dependencies, ...names: string[]): EndpointGroup[] {
  return endpointGroups(deps).filter((g) => names.includes(g.name));
}

/**
 * The OpenAPI document of every group, generated without a runtime: building the groups only
 * declares their routes, so no dependency is read (one that is fails loudly). The build writes it
 * beside the system function's bundle (infra/build/function-bundle.ts), which then needs none of
 * the other groups' code to serve it.
 */
export function openapiDocument(): object {
  const unread = new Proxy({} as Dependencies, {
    get: (_, name) => {
      throw new Error(`building the endpoint groups for the OpenAPI document read deps.${String(name)}`);
    },
  });
  return generateDocument(createApi(endpointGroups(unread), createLogger({}, { level: 'error' })), VERSION);
}
