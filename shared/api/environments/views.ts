import type { AppInstanceRecord, EnvironmentRecord } from '#shared/domain/environments/records.ts';
import type { ServiceView } from '#shared/domain/environments/services.ts';

/* What the environments routes answer: records (camelCase) become the wire's snake_case here. */

export const environmentView = (e: EnvironmentRecord) => ({
  id: e.id,
  name: e.name,
  description: e.description,
  color: e.color,
  order: e.order,
  require_approval: e.requireApproval,
  instance_count: e.instanceCount,
  created_by: e.createdBy,
  created_at: e.createdAt,
  updated_at: e.updatedAt,
});

export const appInstanceView = (i: AppInstanceRecord) => ({
  id: i.id,
  name: i.name,
  environment_id: i.environmentId,
  cluster_id: i.clusterId,
  namespace: i.namespace,
  created_by: i.createdBy,
  created_at: i.createdAt,
  updated_at: i.updatedAt,
});

/** A workload as GET /services lists it: images and tags, never environment values. */
export const serviceView = (s: ServiceView) => ({
  app_instance_id: s.appInstanceId,
  kind: s.kind,
  name: s.name,
  containers: s.containers.map((c) => ({ name: c.name, image: c.image, tag: c.tag })),
  replicas: s.replicas,
  ready: s.ready,
});

/** A comparison with its two instances as the API shows them. */
export const comparisonView = <T>(c: { source: AppInstanceRecord; target: AppInstanceRecord; summary: object; items: T[] }) => ({
  ...c,
  source: appInstanceView(c.source),
  target: appInstanceView(c.target),
});
