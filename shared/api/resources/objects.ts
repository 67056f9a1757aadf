/** The generic object routes: list (by kind or CRD name), get, patch and delete any kind. */
import { createRoute } from '@hono/zod-openapi';
import { listCrdInstances, listResources } from '#shared/domain/resources/resource-objects.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { clusterIdParam, kindSegment, type ResourceRouteFile } from './route-kit.ts';
import * as s from './schemas.ts';

const clusterAnswers = errorResponses(404, 422, 502, 503);

export const objectRoutes: ResourceRouteFile = (kit) => {
  const { api, deps } = kit;
  const resources = () => deps.resources;

  api.openapi(
    createRoute({
      ...kit.route(
        'get',
        '/resources/{kind}',
        'List the objects of any kind, a page at a time',
        { cluster: 'viewer' },
        "The kind is resolved through the cluster's API discovery, so CRDs work as built-in kinds do; an unknown kind answers 404 UNKNOWN_KIND naming the closest ones the cluster serves.",
      ),
      request: { params: clusterIdParam.extend({ kind: kindSegment }), query: s.listQuery },
      responses: { 200: jsonContent(s.resourceList, 'A page of objects.'), ...clusterAnswers, ...errorResponses(403) },
    }),
    async (c) => {
      const caller = await kit.caller(c);
      const { value, warnings } = await listResources(resources(), caller, c.req.valid('param').kind, c.req.valid('query'));
      kit.warn(c, warnings);
      return c.json(value, 200);
    },
  );

  api.openapi(
    createRoute({
      ...kit.route(
        'get',
        '/crd-instances/{crdName}',
        "List the objects of a CRD, by the CRD's name",
        { cluster: 'viewer' },
        "The same list as /resources/{kind}, addressed by the CRD's name (`<plural>.<group>`).",
      ),
      request: { params: clusterIdParam.extend({ crdName: kindSegment.openapi({ description: 'The CRD name, `<plural>.<group>`.' }) }), query: s.listQuery },
      responses: { 200: jsonContent(s.resourceList, 'A page of objects.'), ...clusterAnswers, ...errorResponses(403) },
    }),
    async (c) => {
      const caller = await kit.caller(c);
      const { value, warnings } = await listCrdInstances(resources(), caller, c.req.valid('param').crdName, c.req.valid('query'));
      kit.warn(c, warnings);
      return c.json(value, 200);
    },
  );
};
