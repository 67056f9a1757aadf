/** POST /clusters/{clusterId}/apply: server-side apply of one or many documents. */
import { z } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { applyManifest } from '#shared/domain/resources/apply.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { clusterIdParam, type ResourceRouteFile } from './route-kit.ts';
import { kubernetesObject } from './schemas.ts';

const MANIFEST_TYPES = ['application/yaml', 'application/json'];

const applyQuery = z.object({
  dryRun: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: '`true` stores nothing and answers, per object, the diff between the live object and the result.' }),
  force: z.enum(['true', 'false']).optional().openapi({ description: '`true` takes over fields another field manager owns instead of failing with CONFLICT.' }),
  namespace: z
    .string()
    .max(63)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    .optional()
    .openapi({ description: 'The namespace of namespaced objects that name none (`default` without it).' }),
});

const applyResult = z
  .object({
    kind: z.string(),
    apiVersion: z.string(),
    namespace: z.string().nullable(),
    name: z.string(),
    action: z
      .enum(['created', 'configured', 'unchanged'])
      .nullable()
      .openapi({ description: 'Null when the object failed or was not sent (see `error`: its code, CLUSTER_ERROR or NOT_APPLIED among them).' }),
    diff: z
      .array(z.object({ path: z.string(), before: z.unknown().optional(), after: z.unknown().optional() }))
      .optional()
      .openapi({ description: 'Dry run only: each changed field as a JSON pointer, with its value before and after (absent: no such field).' }),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .openapi('ApplyResult');

const applyAnswer = z.object({ dry_run: z.boolean(), items: z.array(applyResult), warnings: z.array(z.string()) }).openapi('ApplyAnswer');

// Not `required`: the JSON validator then runs only on JSON bodies, and YAML passes to the handler (the media gate before both answers 415 for any other type).
const manifestBody = {
  required: false,
  description:
    'One or many YAML documents (`---` between them), or JSON: an object, an array of objects, or a List. Over HUB_MAX_APPLY_BYTES (1 MiB by default) in all: 413.',
  content: {
    'application/yaml': { schema: z.string().openapi({ description: 'YAML documents.' }) },
    'application/json': { schema: z.union([kubernetesObject, z.array(kubernetesObject).min(1)]) },
  },
};

export const applyRoutes: ResourceRouteFile = (kit) => {
  kit.declare(
    {
      method: 'post',
      path: '/clusters/{clusterId}/apply',
      tags: ['resources'],
      summary: 'Apply manifests with server-side apply (field manager clusterhub)',
      description:
        'Each object is answered on its own (created, configured, unchanged, or its error), and one the cluster refuses (4xx: CONFLICT, VALIDATION_ERROR, CLUSTER_FORBIDDEN...) does not stop the others. When the cluster itself fails on one (5xx, unreachable, timed out: `CLUSTER_ERROR`, which may or may not have been applied), the objects after it are not sent and are answered `NOT_APPLIED`: later documents often need earlier ones, and the answer says exactly what was applied. Nothing is deleted (no prune). A Secret is answered with its values hidden.',
      cluster: 'operator',
      action: 'resource.apply',
      tier: 'exec',
      auditTarget: (c) => ({ clusterId: c.req.param('clusterId'), resourceKind: 'manifest' }),
      request: { params: clusterIdParam, query: applyQuery, body: manifestBody },
      responses: { 200: jsonContent(applyAnswer, 'What each object became.'), ...errorResponses(404, 422, 502, 503) },
    },
    async (c) => {
      const media = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (!MANIFEST_TYPES.includes(media)) throw new HTTPException(415, { message: `Send the manifest as ${MANIFEST_TYPES.join(' or ')}.` });
      const query = c.req.valid('query');
      const request = { manifest: await c.req.text(), force: query.force === 'true', dryRun: query.dryRun === 'true', namespace: query.namespace };
      kit.noteTarget(c, { kind: 'manifest', details: { dry_run: request.dryRun, force: request.force } });
      const answer = await applyManifest(kit.deps.resources, kit.caller(c), request);
      const objects = answer.items
        .slice(0, 100)
        .map((i) => ({ kind: i.kind, namespace: i.namespace, name: i.name, action: i.action, ...(i.error ? { error: i.error.code } : {}) }));
      kit.noteTarget(c, { kind: 'manifest', details: { objects } });
      kit.warn(c, answer.warnings);
      return c.json(answer, 200);
    },
  );
};
