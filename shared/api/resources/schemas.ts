import { z } from '@hono/zod-openapi';
import { DEFAULT_RESOURCE_PAGE, MAX_RESOURCE_PAGE } from '#shared/domain/resources/resource-objects.ts';

/** Any Kubernetes object, as the cluster sends it (Secret values hidden unless revealed). */
export const kubernetesObject = z
  .looseObject({
    apiVersion: z.string().optional(),
    kind: z.string().optional(),
    metadata: z.looseObject({ name: z.string().optional(), namespace: z.string().optional() }).optional(),
  })
  .openapi('KubernetesObject', {
    description:
      'A Kubernetes object of any kind. In a Secret, each value of `data` and `stringData` is `{"sha256": <hex of the value\'s bytes>, "bytes": <length>}` unless revealed, and so is every value inside a last-applied-configuration annotation.',
  });

export const resourceType = z
  .object({ kind: z.string(), group: z.string(), version: z.string(), plural: z.string(), namespaced: z.boolean() })
  .openapi('ResourceType', { description: "The served resource the kind in the path resolved to, from the cluster's discovery." });

const selector = z.string().max(1024);

export const listQuery = z.object({
  namespace: z
    .string()
    .max(63)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    .optional()
    .openapi({ description: 'Only this namespace (a namespaced kind); all namespaces without it.' }),
  labelSelector: selector.optional().openapi({ description: 'A label selector, as kubectl takes it (`app=web,tier!=db`).', example: 'app=web' }),
  fieldSelector: selector.optional().openapi({ description: 'A field selector (`status.phase=Running`).' }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_RESOURCE_PAGE)
    .default(DEFAULT_RESOURCE_PAGE)
    .openapi({ description: `Objects per page (1 to ${MAX_RESOURCE_PAGE}).`, example: DEFAULT_RESOURCE_PAGE }),
  continue: z
    .string()
    .max(4096)
    .regex(/^[A-Za-z0-9_-]*$/, 'a continue token from a previous page')
    .optional()
    .openapi({ description: "The previous page's metadata.continue: valid only for the same cluster, kind, namespace and selectors." }),
});

export const resourceList = z
  .object({
    resource: resourceType,
    items: z.array(kubernetesObject),
    metadata: z.object({
      continue: z.string().optional().openapi({ description: 'Pass as `continue` to get the next page; absent on the last page.' }),
      resourceVersion: z.string().optional(),
      total: z.number().int().optional().openapi({ description: 'The number of objects in all pages, when the cluster says (first page only).' }),
    }),
  })
  .openapi('ResourceList');

export const objectView = z.object({ resource: resourceType, object: kubernetesObject }).openapi('ResourceObject');

export const deleteView = z
  .object({
    resource: resourceType,
    status: z.enum(['deleted', 'deleting']).openapi({ description: '`deleting` while finalizers or a foreground deletion keep the object.' }),
    object: kubernetesObject.nullable(),
  })
  .openapi('ResourceDeletion');

export const getQuery = z.object({
  reveal: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: "`true` shows a Secret's values: only for admins of the cluster (403 otherwise), and audited." }),
});

export const deleteQuery = z.object({
  propagationPolicy: z
    .enum(['Foreground', 'Background', 'Orphan'])
    .optional()
    .openapi({ description: "What happens to the objects it owns (the cluster's default: Background for most kinds)." }),
  gracePeriodSeconds: z.coerce.number().int().min(0).max(86_400).optional().openapi({ description: 'Seconds before the object is removed; 0 at once.' }),
});

export const confirmHeader = z.object({
  'x-confirm-destructive': z.string().optional().openapi({ description: 'Must be `true`: without it the deletion answers 428 CONFIRMATION_REQUIRED.' }),
});
