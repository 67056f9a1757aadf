import { z } from '@hono/zod-openapi';
/** The generic object routes: list (by kind or CRD name), get, patch and delete any kind. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { qualifiedName } from '#shared/domain/resources/kinds.ts';
import { deleteResource, getResource, listCrdInstances, listResources, patchResource, type ObjectPath } from '#shared/domain/resources/resource-objects.ts';
import type { PatchType } from '#shared/ports/cluster-gateway.ts';
import type { AppEnv } from '#shared/http/env.ts';
import type { ClusterRouteEnv } from '#shared/http/route.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { clusterIdParam, kindSegment, objectParams, type ResourceRouteFile } from './route-kit.ts';
import * as s from './schemas.ts';

const clusterAnswers = errorResponses(404, 422, 502, 503);

/** The patch types by media type; plain JSON is a merge patch, the default. */
const PATCH_TYPES: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/json': 'merge',
  'application/json-patch+json': 'json',
  'application/strategic-merge-patch+json': 'strategic-merge',
};

// Named, so that client generators make a type of each instead of an anonymous union member.
const patchObject = z.looseObject({}).openapi('ObjectPatch', { description: 'A merge or strategic merge patch: the fields to change.' });
const jsonPatchOperation = z
  .looseObject({ op: z.string(), path: z.string() })
  .openapi('JsonPatchOperation', { description: 'One operation of a JSON patch (RFC 6902): `op`, `path`, and `value` or `from` as the op needs.' });

/** Any patch: each media type's validator parses the body (the gate before it answers 415 for any other type); patchOf checks its shape. */
const anyPatch = (description: string) => ({ schema: z.union([patchObject, z.array(jsonPatchOperation)]).openapi({ description }) });

const patchBody = {
  required: true,
  description: 'The patch; its Content-Type says which kind.',
  content: {
    'application/merge-patch+json': anyPatch('A JSON merge patch (RFC 7386): an object.'),
    'application/json-patch+json': anyPatch('A JSON patch (RFC 6902): an array of operations.'),
    'application/strategic-merge-patch+json': anyPatch("Kubernetes' strategic merge patch (built-in kinds): an object."),
    'application/json': anyPatch('Taken as a JSON merge patch.'),
  },
};

/** The patch type of the request's Content-Type and its body, parsed by the route's validator. */
function patchOf(c: Pick<Context<AppEnv>, 'req'>, body: unknown): { type: PatchType; patch: unknown } {
  const media = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const type = PATCH_TYPES[media];
  if (!type) throw new HTTPException(415, { message: `Send the patch as one of ${Object.keys(PATCH_TYPES).join(', ')}.` });
  return { type, patch: body };
}

const objectPath = (c: Pick<Context<AppEnv>, 'req'>): ObjectPath => ({
  kind: c.req.param('kind')!,
  namespace: c.req.param('namespace')!,
  name: c.req.param('name')!,
});

export const objectRoutes: ResourceRouteFile = (kit) => {
  const resources = () => kit.deps.resources;

  kit.declare(
    {
      method: 'get',
      path: '/clusters/{clusterId}/resources/{kind}',
      operationId: 'listClusterResources',
      tags: ['resources'],
      summary: 'List the objects of any kind, a page at a time',
      description:
        "The kind is resolved through the cluster's API discovery, so CRDs work as built-in kinds do; an unknown kind answers 404 UNKNOWN_KIND naming the closest ones the cluster serves.",
      cluster: 'viewer',
      request: { params: clusterIdParam.extend({ kind: kindSegment }), query: s.listQuery },
      responses: { 200: jsonContent(s.resourceList, 'A page of objects.'), ...clusterAnswers },
    },
    async (c) => {
      const { value, warnings } = await listResources(resources(), kit.caller(c), c.req.valid('param').kind, c.req.valid('query'));
      kit.warn(c, warnings);
      return c.json(value, 200);
    },
  );

  kit.declare(
    {
      method: 'get',
      path: '/clusters/{clusterId}/crd-instances/{crdName}',
      operationId: 'listClusterCrdInstances',
      tags: ['resources'],
      summary: "List the objects of a CRD, by the CRD's name",
      description: "The same list as /resources/{kind}, addressed by the CRD's name (`<plural>.<group>`).",
      cluster: 'viewer',
      request: { params: clusterIdParam.extend({ crdName: kindSegment.openapi({ description: 'The CRD name, `<plural>.<group>`.' }) }), query: s.listQuery },
      responses: { 200: jsonContent(s.resourceList, 'A page of objects.'), ...clusterAnswers },
    },
    async (c) => {
      const { value, warnings } = await listCrdInstances(resources(), kit.caller(c), c.req.valid('param').crdName, c.req.valid('query'));
      kit.warn(c, warnings);
      return c.json(value, 200);
    },
  );

  /** Once the kind is resolved, the audit entry names it fully (`deployments.apps`). */
  const resolved = (c: Context<ClusterRouteEnv>, resource: { plural: string; group: string }) =>
    kit.noteTarget(c, { ...objectPath(c), kind: qualifiedName(resource) });
  const revealing = (c: Pick<Context<AppEnv>, 'req'>) => c.req.query('reveal') === 'true';
  const onObject = { params: objectParams };

  kit.declare(
    {
      method: 'get',
      path: '/clusters/{clusterId}/resources/{kind}/{namespace}/{name}',
      tags: ['resources'],
      summary: 'One object of any kind',
      description: "A Secret's values are hidden unless `reveal=true`, which needs admin on the cluster (403 otherwise) and is audited.",
      cluster: 'viewer',
      action: 'resource.secret.reveal',
      auditRead: revealing,
      auditTarget: kit.pathTarget,
      request: { ...onObject, query: s.getQuery },
      responses: { 200: jsonContent(s.objectView, 'The object.'), ...clusterAnswers, ...errorResponses(403) },
    },
    async (c) => {
      const reveal = revealing(c);
      if (reveal) kit.noteTarget(c, objectPath(c));
      const { value, warnings } = await getResource(resources(), kit.caller(c), objectPath(c), { reveal });
      if (reveal) resolved(c, value.resource);
      kit.warn(c, warnings);
      return c.json(value, 200);
    },
  );

  kit.declare(
    {
      method: 'patch',
      path: '/clusters/{clusterId}/resources/{kind}/{namespace}/{name}',
      tags: ['resources'],
      summary: 'Patch an object: merge, JSON or strategic merge patch by Content-Type',
      description: 'The field manager is `clusterhub`. The answer is the object after the patch.',
      cluster: 'operator',
      action: 'resource.patch',
      auditTarget: kit.pathTarget,
      request: { ...onObject, body: patchBody },
      responses: { 200: jsonContent(s.objectView, 'The object after the patch.'), ...clusterAnswers, ...errorResponses(409) },
    },
    async (c) => {
      kit.noteTarget(c, objectPath(c));
      const { type, patch } = patchOf(c, c.req.valid('json'));
      kit.noteTarget(c, { ...objectPath(c), details: { patch_type: type } });
      const { value, warnings } = await patchResource(resources(), kit.caller(c), objectPath(c), type, patch);
      resolved(c, value.resource);
      kit.warn(c, warnings);
      return c.json(value, 200);
    },
  );

  kit.declare(
    {
      method: 'delete',
      path: '/clusters/{clusterId}/resources/{kind}/{namespace}/{name}',
      tags: ['resources'],
      summary: 'Delete an object (needs X-Confirm-Destructive: true)',
      description: 'Without `X-Confirm-Destructive: true` it answers 428 CONFIRMATION_REQUIRED and deletes nothing.',
      cluster: 'operator',
      action: 'resource.delete',
      tier: 'exec',
      auditTarget: kit.pathTarget,
      request: { ...onObject, query: s.deleteQuery, headers: s.confirmHeader },
      responses: { 200: jsonContent(s.deleteView, 'Deleted, or being deleted.'), ...clusterAnswers, ...errorResponses(409, 428) },
    },
    async (c) => {
      const query = c.req.valid('query');
      const confirmed = c.req.header('x-confirm-destructive') === 'true';
      kit.noteTarget(c, { ...objectPath(c), details: { ...query, confirmed } });
      const { value, warnings } = await deleteResource(resources(), kit.caller(c), objectPath(c), { ...query, confirmed });
      resolved(c, value.resource);
      kit.warn(c, warnings);
      return c.json(value, 200);
    },
  );
};
