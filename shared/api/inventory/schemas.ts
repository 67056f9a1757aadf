import { z } from '@hono/zod-openapi';
import { CHANGE_TYPES } from '#shared/domain/inventory/ports.ts';
import { freshness, isoTime } from '#shared/http/time-schemas.ts';

const kindName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9]{0,62}$/, 'a Kubernetes kind such as Deployment')
  .openapi({ example: 'Deployment' });
const namespaceName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a namespace name')
  .openapi({ example: 'default' });

export const objectFilter = z.object({
  kind: kindName.optional().openapi({ description: 'Only objects of this kind (case-sensitive, as Kubernetes spells it).' }),
  namespace: namespaceName.optional().openapi({ description: 'Only objects in this namespace.' }),
});

export const inventoryQuery = objectFilter.extend({
  at: isoTime.optional().openapi({ description: 'The snapshot taken at or before this time (default: the latest).' }),
});

const inventoryObject = z
  .object({
    kind: z.string(),
    api_version: z.string(),
    namespace: z.string().nullable(),
    name: z.string(),
    uid: z.string(),
    labels: z.record(z.string(), z.string()),
    owner: z.object({ kind: z.string(), name: z.string() }).nullable(),
    images: z.array(z.string()),
    resource_version: z.string(),
    status: z.string().nullable(),
  })
  .openapi('InventoryObject');

export const inventory = z
  .object({
    cluster_id: z.string(),
    snapshot: z.object({
      taken_at: z.string(),
      object_count: z.number().int(),
      counts: z.record(z.string(), z.number().int()),
      unreadable: z.array(z.string()).openapi({ description: "Kinds the hub's credential may not list, left out." }),
    }),
    freshness,
    items: z.array(inventoryObject),
    metadata: z.object({ continue: z.string().optional() }),
  })
  .openapi('ClusterInventory');

export const changesQuery = objectFilter.extend({
  since: isoTime.optional().openapi({ description: 'Changes found at or after this time (default: 30 days ago, as long as they are kept).' }),
  until: isoTime.optional().openapi({ description: 'Changes found at or before this time (default: now).' }),
});

export const changes = z
  .object({
    items: z.array(
      z
        .object({
          at: z.string().openapi({ description: 'When the inventory found the change (the snapshot that saw it first).' }),
          change: z.enum(CHANGE_TYPES),
          kind: z.string(),
          api_version: z.string(),
          namespace: z.string().nullable(),
          name: z.string(),
          uid: z.string(),
          changed: z.array(z.string()).openapi({ description: 'For `modified`: which of images, labels, owner, status changed.' }),
          old_images: z.array(z.string()).nullable(),
          new_images: z.array(z.string()).nullable(),
          old_status: z.string().nullable(),
          new_status: z.string().nullable(),
        })
        .openapi('InventoryChange'),
    ),
    range: z.object({ since: z.string().nullable(), until: z.string().nullable() }).openapi({ description: 'The bounds asked for; null when unbounded.' }),
    freshness,
    metadata: z.object({ continue: z.string().optional() }),
  })
  .openapi('InventoryChanges');

export const imagesQuery = z.object({
  image: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[\x21-\x7e]+$/, 'an image reference')
    .optional()
    .openapi({ description: 'Images starting with this (`nginx` finds `nginx:1.27`); every image without it.', example: 'nginx' }),
});

export const images = z
  .object({
    items: z.array(
      z
        .object({
          image: z.string(),
          cluster_id: z.string(),
          cluster_name: z.string(),
          pods: z.number().int(),
          workloads: z.array(z.object({ kind: z.string(), namespace: z.string().nullable(), name: z.string() })),
          workload_count: z.number().int(),
          freshness,
        })
        .openapi('ImageUse'),
    ),
    metadata: z.object({ continue: z.string().optional() }),
  })
  .openapi('FleetImages');
