/**
 * The actions on workloads (issue 12 item 4): rollout history and rollback of a Deployment,
 * restart and scale, a CronJob triggered by hand with its Jobs, a failed Job retried. Viewers read;
 * operators act, in the exec rate tier, each action audited with the object it touched.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  cronJobJobs,
  RESTARTABLE_KINDS,
  restart,
  retryJob,
  rollback,
  rolloutHistory,
  scale,
  SCALABLE_KINDS,
  triggerCronJob,
  type RestartableKind,
  type ScalableKind,
} from '#shared/domain/resources/actions.ts';
import { onCluster } from '#shared/domain/resources/cluster-session.ts';
import type { ClusterGateway } from '#shared/ports/cluster-gateway.ts';
import type { AppEnv, AuditNote } from '#shared/http/env.ts';
import type { ClusterRouteEnv } from '#shared/http/route.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { clusterIdParam, type ResourceRouteFile } from './route-kit.ts';

/** The Kind of each plural these routes take, for the audit entry (as the generic routes note it). */
const KIND_OF: Record<RestartableKind | ScalableKind, string> = {
  deployments: 'Deployment',
  statefulsets: 'StatefulSet',
  daemonsets: 'DaemonSet',
  replicasets: 'ReplicaSet',
};

const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } }, required: true });

const objectName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a Kubernetes object name');
const namespaceName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name');
const objectParams = clusterIdParam.extend({
  namespace: namespaceName.openapi({ description: 'The namespace.' }),
  name: objectName.openapi({ description: 'The object name.' }),
});
const revision = z
  .object({
    revision: z.number().int(),
    replica_set: z.string(),
    created_at: z.string().nullable(),
    change_cause: z.string().nullable().openapi({ description: 'The `kubernetes.io/change-cause` annotation of the revision.' }),
    images: z.array(z.string()),
    desired: z.number().int(),
    ready: z.number().int(),
    available: z.number().int(),
    current: z.boolean().openapi({ description: 'The revision the Deployment runs now.' }),
  })
  .openapi('RolloutRevision');
const rolloutHistorySchema = z
  .object({ namespace: z.string(), name: z.string(), current_revision: z.number().int().nullable(), revisions: z.array(revision) })
  .openapi('RolloutHistory', { description: 'Newest revision first.' });
const rollbackBody = z
  .object({
    revision: z
      .number()
      .int()
      .min(0)
      .max(2 ** 53 - 1)
      .optional()
      .openapi({ description: 'The revision to go back to; 0 or absent: the previous one.' }),
  })
  .openapi('RollbackRequest');
const rollbackResult = z
  .object({
    namespace: z.string(),
    name: z.string(),
    revision: z.number().int(),
    from_revision: z.number().int().nullable(),
    rolled_back: z.boolean().openapi({ description: 'False when the Deployment already had that template, as kubectl skips it.' }),
    message: z.string(),
  })
  .openapi('RollbackResult');
const restartResult = z
  .object({
    kind: z.enum(Object.keys(RESTARTABLE_KINDS) as [RestartableKind]),
    namespace: z.string(),
    name: z.string(),
    restarted_at: z.string().openapi({ description: 'The value written to the pod template annotation kubectl.kubernetes.io/restartedAt.' }),
  })
  .openapi('RestartResult');
const scaleBody = z
  .object({ replicas: z.number().int().min(0).max(2_147_483_647).openapi({ example: 3 }) })
  .strict()
  .openapi('ScaleRequest');
const scaleResult = z
  .object({
    kind: z.enum(Object.keys(SCALABLE_KINDS) as [ScalableKind]),
    namespace: z.string(),
    name: z.string(),
    replicas: z.number().int(),
    previous_replicas: z.number().int(),
  })
  .openapi('ScaleResult');
const jobSummary = z
  .object({
    name: z.string(),
    namespace: z.string(),
    status: z.enum(['running', 'complete', 'failed', 'suspended']),
    created_at: z.string().nullable(),
    start_time: z.string().nullable(),
    completion_time: z.string().nullable(),
    active: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    manual: z.boolean().openapi({ description: 'Started by hand (cronjob.kubernetes.io/instantiate: manual), not by the schedule.' }),
  })
  .openapi('JobSummary');
const createdJob = z.object({ job: jobSummary, message: z.string() }).openapi('CreatedJob');

/** What the cluster may answer to an action, beyond the caller's own 403 for a role below operator. */
const actionFailures = errorResponses(403, 404, 409, 422, 502, 503);
actionFailures[403]!.description =
  'FORBIDDEN: the caller is below operator on the cluster; or CLUSTER_FORBIDDEN: the cluster does not allow it (to the hub, or to the caller when it impersonates).';
actionFailures[404]!.description = 'The cluster is not visible to the caller, RESOURCE_NOT_FOUND (no such object) or REVISION_NOT_FOUND.';
actionFailures[409]!.description =
  'CONFLICT (the object changed meanwhile), DEPLOYMENT_PAUSED (resume it first) or JOB_NOT_FAILED (only a failed Job is retried).';
const readFailures = errorResponses(403, 404, 422, 502, 503);

export const actionRoutes: ResourceRouteFile = (kit) => {
  const resources = () => kit.deps.resources;
  /** The audit target from the path, so a refused action names its object too. */
  const targetOf =
    (kind: string) =>
    (c: Context<AppEnv>): AuditNote => {
      const note = kit.pathTarget(c);
      return { ...note, resourceKind: kind, details: { ...note.details, kind } };
    };
  /** Runs an action on the caller's cluster and passes on, as Warning headers, what the cluster warned about in any of its calls. */
  const act = <T>(c: Context<ClusterRouteEnv>, work: (gateway: ClusterGateway) => Promise<T>): Promise<T> => kit.gathering(c, work);
  const action = (kind: string, name: string) => ({ cluster: 'operator' as const, action: name, tier: 'exec' as const, auditTarget: targetOf(kind) });
  const tags = ['resources'];

  kit.declare(
    {
      method: 'get',
      path: '/clusters/{clusterId}/resources/deployments/{namespace}/{name}/rollout-history',
      tags,
      summary: "A Deployment's revisions, from its ReplicaSets",
      description: 'Each revision with its change-cause, images and replica counts, newest first; what `kubectl rollout history` shows.',
      cluster: 'viewer',
      request: { params: objectParams },
      responses: { 200: jsonContent(rolloutHistorySchema, 'The revisions.'), ...readFailures },
    },
    async (c) => {
      const { namespace, name } = c.req.valid('param');
      return c.json(await onCluster(resources(), kit.caller(c), (s) => rolloutHistory(s.gateway, namespace, name)), 200);
    },
  );

  kit.declare(
    {
      method: 'post',
      path: '/clusters/{clusterId}/resources/deployments/{namespace}/{name}/rollback',
      tags,
      summary: 'Roll a Deployment back to an earlier revision',
      description:
        "As `kubectl rollout undo --to-revision`: the revision's pod template and annotations go back into the Deployment; the controller then rolls out. A Deployment changed meanwhile answers 409; one that already runs that template is left as it is (`rolled_back: false`).",
      ...action('Deployment', 'resource.rollback'),
      request: { params: objectParams, body: json(rollbackBody) },
      responses: { 200: jsonContent(rollbackResult, 'Rolled back, or already at that revision.'), ...actionFailures },
    },
    async (c) => {
      const { namespace, name } = c.req.valid('param');
      const { revision } = c.req.valid('json');
      kit.noteTarget(c, { kind: 'Deployment', namespace, name, details: { revision: revision ?? 0 } });
      const result = await act(c, (gateway) => rollback(gateway, namespace, name, revision));
      kit.noteTarget(c, { kind: 'Deployment', namespace, name, details: { revision: result.revision, from_revision: result.from_revision } });
      return c.json(result, 200);
    },
  );

  // A literal path per kind, as the issue names them: each is an operation of its own in the document.
  for (const kind of Object.keys(RESTARTABLE_KINDS) as RestartableKind[]) {
    kit.declare(
      {
        method: 'post',
        path: `/clusters/{clusterId}/resources/${kind}/{namespace}/{name}/restart`,
        tags,
        summary: `Restart the pods of a ${KIND_OF[kind]}`,
        description: `As \`kubectl rollout restart\`: a new \`kubectl.kubernetes.io/restartedAt\` annotation on the pod template, so the controller replaces the pods as in a rollout.${kind === 'deployments' ? ' A paused Deployment answers 409 DEPLOYMENT_PAUSED.' : ''}`,
        ...action(KIND_OF[kind], 'resource.restart'),
        request: { params: objectParams },
        responses: { 200: jsonContent(restartResult, 'Restart started.'), ...actionFailures },
      },
      async (c) => {
        const { namespace, name } = c.req.valid('param');
        return c.json(await act(c, (gateway) => restart(gateway, kind, namespace, name, kit.deps.clock.now())), 200);
      },
    );
  }

  for (const kind of Object.keys(SCALABLE_KINDS) as ScalableKind[]) {
    kit.declare(
      {
        method: 'post',
        path: `/clusters/{clusterId}/resources/${kind}/{namespace}/{name}/scale`,
        tags,
        summary: `Set the replicas of a ${KIND_OF[kind]}`,
        description: 'Through the scale subresource, as `kubectl scale` does (an RBAC role may grant it alone).',
        ...action(KIND_OF[kind], 'resource.scale'),
        request: { params: objectParams, body: json(scaleBody) },
        responses: { 200: jsonContent(scaleResult, 'Scaled.'), ...actionFailures },
      },
      async (c) => {
        const { namespace, name } = c.req.valid('param');
        const { replicas } = c.req.valid('json');
        kit.noteTarget(c, { kind: KIND_OF[kind], namespace, name, details: { replicas } });
        const result = await act(c, (gateway) => scale(gateway, kind, namespace, name, replicas));
        kit.noteTarget(c, { kind: KIND_OF[kind], namespace, name, details: { replicas, previous_replicas: result.previous_replicas } });
        return c.json(result, 200);
      },
    );
  }

  kit.declare(
    {
      method: 'post',
      path: '/clusters/{clusterId}/resources/cronjobs/{namespace}/{name}/trigger',
      tags,
      summary: 'Run a CronJob now',
      description:
        "As `kubectl create job --from=cronjob/<name>`: a Job from the CronJob's template, controlled by the CronJob, annotated `cronjob.kubernetes.io/instantiate: manual` and named `<cronjob>-manual-<five characters>`.",
      ...action('CronJob', 'resource.cronjob.trigger'),
      request: { params: objectParams },
      responses: { 201: jsonContent(createdJob, 'The Job created.'), ...actionFailures },
    },
    async (c) => {
      const { namespace, name } = c.req.valid('param');
      const created = await act(c, (gateway) => triggerCronJob(gateway, namespace, name));
      kit.noteTarget(c, { kind: 'CronJob', namespace, name, details: { job: created.job.name } });
      return c.json(created, 201);
    },
  );

  kit.declare(
    {
      method: 'get',
      path: '/clusters/{clusterId}/resources/cronjobs/{namespace}/{name}/jobs',
      tags,
      summary: 'The Jobs a CronJob controls, newest first',
      cluster: 'viewer',
      request: { params: objectParams },
      responses: { 200: jsonContent(z.object({ items: z.array(jobSummary) }).openapi('CronJobJobs'), 'Its Jobs, scheduled and triggered.'), ...readFailures },
    },
    async (c) => {
      const { namespace, name } = c.req.valid('param');
      return c.json({ items: await onCluster(resources(), kit.caller(c), (s) => cronJobJobs(s.gateway, namespace, name)) }, 200);
    },
  );

  kit.declare(
    {
      method: 'post',
      path: '/clusters/{clusterId}/resources/jobs/{namespace}/{name}/retry',
      tags,
      summary: 'Run a failed Job again',
      description:
        "A fresh Job from the failed one's spec and template, without the selector and the controller-uid / job-name labels the Job controller made for the old one, with the same owners, named `<job>-retry-<five characters>` and annotated `clusterhub.io/retry-of`. A Job that has not failed answers 409 JOB_NOT_FAILED.",
      ...action('Job', 'resource.job.retry'),
      request: { params: objectParams },
      responses: { 201: jsonContent(createdJob, 'The Job created.'), ...actionFailures },
    },
    async (c) => {
      const { namespace, name } = c.req.valid('param');
      const created = await act(c, (gateway) => retryJob(gateway, namespace, name));
      kit.noteTarget(c, { kind: 'Job', namespace, name, details: { job: created.job.name } });
      return c.json(created, 201);
    },
  );
};
