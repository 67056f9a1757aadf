import { createApi, type EndpointGroup } from '#shared/http/app.ts';
import { generateDocument } from '#shared/http/openapi.ts';
import { VERSION } from '#shared/config/version.ts';
import { createLogger } from '#shared/observability/logger.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { auditGroup } from './audit/routes.ts';
import { clustersGroup } from './clusters/routes.ts';
import { identityGroup } from './identity/routes.ts';
import { systemGroup } from './system/routes.ts';

/**
 * Every endpoint group of the product. The local run serves them all from one
 * app; each Lambda serves its own; the OpenAPI document describes them all.
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
    identityGroup(deps, { clusterExists: async (clusterId) => Boolean(await deps.clusters.clusters.get(clusterId)) }),
    auditGroup(deps),
    clustersGroup(deps),
  );
  return groups;
}

/** The groups one Lambda serves. */
export function groupsNamed(deps: Dependencies, ...names: string[]): EndpointGroup[] {
  return endpointGroups(deps).filter((g) => names.includes(g.name));
}
