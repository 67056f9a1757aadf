/** The environments context's items (docs/data-model.md): environments, their app instances, the claims that keep names unique. */
import type { AppInstanceRecord, EnvironmentRecord, PromotionRecord, SyncRecord } from '#shared/domain/environments/records.ts';
import { attribute, defineEntity, fields, json } from '../entity.ts';

/** `order` as a sort key: zero-padded, so that 10 sorts after 9. */
export const orderKey = (order: number) => String(order).padStart(5, '0');

export const environment = defineEntity(
  { entity: 'environment', pk: 'ENV#<id>', sk: 'ENV', indexes: { gsi1: { pk: 'ENVIRONMENTS', sk: '<rank>#<name:lower>' } } },
  fields<Omit<EnvironmentRecord, 'version'>>({
    id: 'id',
    name: 'name',
    description: attribute('description', { absent: '' }),
    color: 'color',
    order: 'order',
    requireApproval: attribute('require_approval', { absent: false }),
    instanceCount: attribute('instance_count', { absent: 0 }),
    createdBy: 'created_by',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
  }),
);

/** Holds an environment name (whatever its case) for one environment. */
export const environmentNameClaim = defineEntity(
  { entity: 'environment-name', pk: 'ENVNAME#<name:lower>', sk: 'ENVNAME' },
  fields<{ environmentId: string }>({ environmentId: 'environment_id' }),
);

/** How many environments there are: the create that would pass the limit is refused by its condition. */
export const environmentCount = defineEntity(
  { entity: 'environment-count', pk: 'ENVCOUNT', sk: 'ENVCOUNT' },
  fields<{ count: number }>({ count: attribute('count', { absent: 0 }) }),
);

export const appInstance = defineEntity(
  {
    entity: 'app-instance',
    pk: 'APPINSTANCE#<id>',
    sk: 'APPINSTANCE',
    indexes: {
      gsi1: { pk: 'APPINSTANCES', sk: '<environmentId>#<name:lower>' },
      gsi2: { pk: 'APPINSTANCES#CLUSTER#<clusterId>', sk: '<environmentId>#<name:lower>' },
    },
  },
  fields<Omit<AppInstanceRecord, 'version'>>({
    id: 'id',
    name: 'name',
    environmentId: 'environment_id',
    clusterId: 'cluster_id',
    namespace: 'namespace',
    createdBy: 'created_by',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
  }),
);

/** Holds an instance name (whatever its case) within its environment. */
export const appInstanceNameClaim = defineEntity(
  { entity: 'app-instance-name', pk: 'APPINSTANCENAME#<environmentId>#<name:lower>', sk: 'APPINSTANCENAME' },
  fields<{ appInstanceId: string }>({ appInstanceId: 'app_instance_id' }),
);

/** A sync between app instances, kept for its history and its rollback; a kind's syncs newest first in gsi1. */
export const syncOperation = defineEntity(
  { entity: 'sync-operation', pk: 'SYNCOP#<id>', sk: 'SYNCOP', indexes: { gsi1: { pk: 'SYNCOPS#<kind>', sk: '<at>#<id>' } } },
  fields<SyncRecord>({
    id: 'id',
    kind: 'kind',
    sourceAppInstanceId: 'source_app_instance_id',
    targetAppInstanceIds: 'target_app_instance_ids',
    environmentIds: 'environment_ids',
    clusterIds: 'cluster_ids',
    objects: 'objects',
    requestedBy: 'requested_by',
    username: 'username',
    at: 'at',
    state: 'state',
    results: json('results'),
    rollbackOf: 'rollback_of',
  }),
);

/** A promotion waiting for (or past) its second person; every promotion newest first in gsi1. */
export const promotion = defineEntity(
  { entity: 'promotion', pk: 'PROMOTION#<id>', sk: 'PROMOTION', indexes: { gsi1: { pk: 'PROMOTIONS', sk: '<createdAt>#<id>' } } },
  fields<Omit<PromotionRecord, 'version'>>({
    id: 'id',
    sourceAppInstanceId: 'source_app_instance_id',
    targetAppInstanceId: 'target_app_instance_id',
    clusterId: 'cluster_id',
    environmentId: 'environment_id',
    services: 'services',
    configmaps: json('configmaps'),
    secrets: json('secrets'),
    reason: 'reason',
    state: 'state',
    requestedBy: 'requested_by',
    requesterName: 'requester_name',
    decidedBy: 'decided_by',
    deciderName: 'decider_name',
    decidedAt: 'decided_at',
    syncIds: attribute('sync_ids', { absent: [] }),
    detail: 'detail',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
  }),
);
