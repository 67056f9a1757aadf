import { z } from '@hono/zod-openapi';
import { WORKLOAD_KINDS } from '#shared/domain/environments/instance-objects.ts';
import { isoTime } from '#shared/http/time-schemas.ts';

const id = (what: string) => z.string().uuid(`a ${what} id`);

export const environmentIdParam = z.object({ environmentId: id('environment') });
export const appInstanceIdParam = z.object({ appInstanceId: id('app instance') });

const environmentName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'lower-case letters, digits and dashes, at most 63, as a DNS label')
  .openapi({ example: 'staging' });
const namespaceName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a Kubernetes namespace name')
  .openapi({ example: 'shop' });
const description = z.string().max(1000);
const color = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb')
  .openapi({ example: '#22c55e' });
const order = z.number().int().min(0).max(9999);

export const createEnvironmentBody = z
  .object({
    name: environmentName,
    description: description.optional(),
    color: color.optional(),
    order: order.optional().openapi({ description: 'Where it sorts among environments, lower first (dev 0, prod 100).' }),
    require_approval: z.boolean().optional().openapi({ description: 'Refuse direct syncs into its instances; changes go through a promotion.' }),
  })
  .strict()
  .openapi('EnvironmentCreate');

export const updateEnvironmentBody = createEnvironmentBody
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'name at least one field to change')
  .openapi('EnvironmentUpdate');

export const environment = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    color: z.string(),
    order: z.number().int(),
    require_approval: z.boolean(),
    instance_count: z.number().int(),
    created_by: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Environment');

export const deleteEnvironmentQuery = z.object({
  cascade: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: 'Delete its app instances (the records, nothing on the clusters) too; without it an environment that holds any answers 409.' }),
});

export const createAppInstanceBody = z
  .object({
    name: environmentName,
    environment_id: id('environment'),
    cluster_id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a cluster id'),
    namespace: namespaceName,
  })
  .strict()
  .openapi('AppInstanceCreate');

export const updateAppInstanceBody = z
  .object({ name: environmentName.optional(), namespace: namespaceName.optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'name at least one field to change')
  .openapi('AppInstanceUpdate');

export const appInstance = z
  .object({
    id: z.string(),
    name: z.string(),
    environment_id: z.string(),
    cluster_id: z.string(),
    namespace: z.string(),
    created_by: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('AppInstance');

export const appInstanceQuery = z.object({
  environment_id: id('environment').optional(),
  cluster_id: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'a cluster id')
    .optional(),
});

export const servicesQuery = z
  .object({
    app_instance_id: id('app instance').optional(),
    environment_id: id('environment').optional(),
    kind: z.enum(WORKLOAD_KINDS).optional(),
    search: z.string().max(253).optional().openapi({ description: 'Only workloads whose name contains this.' }),
  })
  .refine((q) => (q.app_instance_id === undefined) !== (q.environment_id === undefined), {
    message: 'name exactly one of app_instance_id and environment_id',
    path: ['app_instance_id'],
  });

const container = z.object({ name: z.string(), image: z.string(), tag: z.string() });

export const service = z
  .object({
    app_instance_id: z.string(),
    kind: z.enum(WORKLOAD_KINDS),
    name: z.string(),
    containers: z.array(container),
    replicas: z.number().int().nullable(),
    ready: z.number().int().nullable(),
  })
  .openapi('Service');

export const services = z.object({ items: z.array(service) }).openapi('ServiceList');

export const compareQuery = z.object({ source: id('app instance'), target: id('app instance') });

const state = z.enum(['equal', 'different', 'only_in_source', 'only_in_target']).openapi('CompareState');
const summary = z
  .object({
    compared: z.number().int(),
    equal: z.number().int(),
    different: z.number().int(),
    only_in_source: z.number().int(),
    only_in_target: z.number().int(),
  })
  .openapi('CompareSummary');
const nameDiff = z.object({ different: z.array(z.string()), only_in_source: z.array(z.string()), only_in_target: z.array(z.string()) });

export const serviceComparison = z
  .object({
    source: appInstance,
    target: appInstance,
    summary,
    items: z.array(
      z.object({
        kind: z.string(),
        name: z.string(),
        state,
        containers: z.array(
          z.object({
            name: z.string(),
            state,
            source_image: z.string().nullable(),
            target_image: z.string().nullable(),
            source_tag: z.string().nullable(),
            target_tag: z.string().nullable(),
          }),
        ),
        replicas: z.object({ source: z.number().int().nullable(), target: z.number().int().nullable(), equal: z.boolean() }),
        env: nameDiff.openapi({ description: 'Environment variables (`container/NAME`) that differ: names only, never values.' }),
      }),
    ),
  })
  .openapi('ServiceComparison');

export const keyedComparison = z
  .object({
    source: appInstance,
    target: appInstance,
    summary,
    items: z.array(
      z.object({
        name: z.string(),
        state,
        type_differs: z.boolean().optional(),
        keys: z.array(z.object({ key: z.string(), state })),
      }),
    ),
  })
  .openapi('KeyedComparison');

export const configMaps = z
  .object({
    app_instance_id: z.string(),
    items: z.array(z.object({ name: z.string(), keys: z.array(z.object({ key: z.string(), bytes: z.number().int() })) })),
  })
  .openapi('AppInstanceConfigMaps');

const objectName = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'a Kubernetes object name');
const keyName = z.string().regex(/^[-._a-zA-Z0-9]{1,253}$/, 'a ConfigMap or Secret key');

export const syncIdParam = z.object({ syncId: id('sync') });

export const serviceSyncBody = z
  .object({
    source_app_instance_id: id('app instance'),
    target_app_instance_ids: z.array(id('app instance')).min(1).max(10),
    services: z.array(objectName).min(1).max(50).openapi({ description: 'Workload names, as the source runs them.' }),
    dry_run: z.boolean().optional().openapi({ description: 'Answer the exact changes and make none.' }),
  })
  .strict()
  .openapi('ServiceSyncRequest');

export const keySyncBody = z
  .object({
    source_app_instance_id: id('app instance'),
    target_app_instance_id: id('app instance'),
    name: objectName,
    keys: z.array(keyName).min(1).max(100),
    dry_run: z.boolean().optional().openapi({ description: 'Answer the exact changes and make none.' }),
  })
  .strict()
  .openapi('KeySyncRequest');

const syncChange = z
  .object({
    object: z.string().openapi({ description: '`<kind>/<name>` of a workload, or the ConfigMap or Secret name.' }),
    field: z.string().openapi({ description: 'The container, or the key.' }),
    before: z.string().nullable().openapi({ description: 'The image, or the ConfigMap value (up to 1 KiB); never a Secret value (null).' }),
    after: z.string().nullable(),
    before_digest: z.string().nullable().optional().openapi({ description: "SHA-256 of the key's value before (null: the key was absent)." }),
    after_digest: z.string().optional(),
  })
  .openapi('SyncChange');

const targetResult = z
  .object({
    app_instance_id: z.string(),
    environment_id: z.string(),
    state: z.enum(['applied', 'unchanged', 'failed']),
    error: z.string().optional(),
    changes: z.array(syncChange),
    missing: z.array(z.string()).optional().openapi({ description: 'Named workloads the target does not run.' }),
    changes_truncated: z.boolean().optional().openapi({ description: 'History keeps only the first changes of a very large sync; all were made.' }),
  })
  .openapi('SyncTargetResult');

export const syncAnswer = z
  .object({
    id: z.string().nullable().openapi({ description: 'The sync in history; null for a dry run.' }),
    dry_run: z.boolean(),
    state: z.enum(['planned', 'applied', 'partially_failed', 'failed', 'rolled_back']),
    results: z.array(targetResult),
  })
  .openapi('SyncResult');

export const syncEntry = z
  .object({
    id: z.string(),
    kind: z.enum(['services', 'configmaps', 'secrets']),
    source_app_instance_id: z.string(),
    target_app_instance_ids: z.array(z.string()),
    environment_ids: z.array(z.string()),
    objects: z.array(z.string()),
    requested_by: z.string(),
    username: z.string(),
    at: z.string(),
    state: z.enum(['applied', 'partially_failed', 'failed', 'rolled_back']),
    results: z.array(targetResult),
    rollback_of: z.string().optional(),
  })
  .openapi('SyncHistoryEntry');

export const historyQuery = z.object({
  environment_id: id('environment').optional(),
  app_instance_id: id('app instance').optional(),
  name: objectName.optional().openapi({ description: 'A workload, ConfigMap or Secret name.' }),
  user_id: z.string().max(64).optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
});

const promotedKeys = z.object({ name: objectName, keys: z.array(keyName).min(1).max(100) }).strict();

export const promotionIdParam = z.object({ promotionId: id('promotion') });

export const promotionBody = z
  .object({
    source_app_instance_id: id('app instance'),
    target_app_instance_id: id('app instance'),
    services: z.array(objectName).max(50).default([]),
    configmaps: z.array(promotedKeys).max(20).default([]),
    secrets: z.array(promotedKeys).max(20).default([]),
    reason: z.string().min(1).max(1000),
  })
  .strict()
  .openapi('PromotionRequest');

export const promotionStateSchema = z.enum(['pending', 'approved', 'rejected', 'applied', 'verified', 'failed']).openapi('PromotionState');

export const promotionView = z
  .object({
    id: z.string(),
    state: promotionStateSchema,
    source_app_instance_id: z.string(),
    target_app_instance_id: z.string(),
    environment_id: z.string(),
    services: z.array(z.string()),
    configmaps: z.array(z.object({ name: z.string(), keys: z.array(z.string()) })),
    secrets: z.array(z.object({ name: z.string(), keys: z.array(z.string()) })),
    reason: z.string(),
    requested_by: z.string(),
    requester_name: z.string(),
    decided_by: z.string().optional(),
    decider_name: z.string().optional(),
    decided_at: z.string().optional(),
    sync_ids: z.array(z.string()),
    detail: z.string().optional(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Promotion');

export const promotionsQuery = z.object({ state: promotionStateSchema.optional() });

/**
 * `against` is needed, but declared optional and checked by the route: a required query parameter
 * is validated before the path's, and a malformed environment id in the path must be the error named.
 */
export const parityQuery = z.object({
  against: id('environment').optional().openapi({ description: 'The environment to compare with (needed: 400 without it).' }),
});

export const parity = z
  .object({
    environment_id: z.string(),
    against: z.string(),
    score: z.number().min(0).max(1),
    compared: z.number().int(),
    matching: z.number().int(),
    differences: z.array(
      z.object({
        app_instance: z.string(),
        kind: z.enum(['workload', 'configmap']),
        name: z.string(),
        state: z.enum(['different', 'only_in_source', 'only_in_target']),
      }),
    ),
  })
  .openapi('EnvironmentParity');
