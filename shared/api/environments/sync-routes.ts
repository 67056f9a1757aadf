import { rollbackSync, syncHistory, syncKeys, syncServices } from '#shared/domain/environments/sync.ts';
import type { SyncRecord } from '#shared/domain/environments/records.ts';
import { errorResponses, jsonBody, jsonContent } from '#shared/http/openapi.ts';
import { listOf, pageQuery, toListResponse } from '#shared/http/pagination.ts';
import type { DeclareRoute } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import * as s from './schemas.ts';

const TAGS = ['environments'];
const WHO =
  "Needs viewer on the source's cluster and operator on each target's (403 below it, 404 for one you may not see). A target in an environment that requires approval answers 409 PROMOTION_REQUIRED. `dry_run` answers the exact changes and makes none; otherwise each target's result is recorded in history.";

const historyView = (r: SyncRecord) => ({
  id: r.id,
  kind: r.kind,
  source_app_instance_id: r.sourceAppInstanceId,
  target_app_instance_ids: r.targetAppInstanceIds,
  environment_ids: r.environmentIds,
  objects: r.objects,
  requested_by: r.requestedBy,
  username: r.username,
  at: r.at,
  state: r.state,
  results: r.results,
  ...(r.rollbackOf ? { rollback_of: r.rollbackOf } : {}),
});

/** Sync between app instances, its history and its rollback. */
export function syncRoutes(deps: Dependencies, route: DeclareRoute): void {
  const env = () => deps.environments;

  route(
    {
      method: 'post',
      path: '/services/sync',
      tags: TAGS,
      summary: "Copy the source's image tags to the same workloads of each target",
      description: `${WHO} Targets are changed one after another; a target that fails is recorded as failed and the next still runs.`,
      access: 'viewer',
      action: 'services.sync',
      request: { body: jsonBody(s.serviceSyncBody) },
      responses: { 200: jsonContent(s.syncAnswer, 'What changed (or would).'), ...errorResponses(403, 404, 409, 422, 503) },
    },
    async (c) => {
      const b = c.req.valid('json');
      c.set('audit', {
        resourceKind: 'app-instance',
        resourceId: b.source_app_instance_id,
        details: { targets: b.target_app_instance_ids, services: b.services, dry_run: b.dry_run ?? false },
      });
      const answer = await syncServices(env(), c.get('principal')!, {
        source: b.source_app_instance_id,
        targets: b.target_app_instance_ids,
        services: b.services,
        dryRun: b.dry_run ?? false,
      });
      c.set('audit', { ...c.get('audit'), details: { ...c.get('audit')?.details, sync_id: answer.id, state: answer.state } });
      return c.json(answer, 200);
    },
  );

  for (const kind of ['configmaps', 'secrets'] as const) {
    const what = kind === 'secrets' ? 'Secret' : 'ConfigMap';
    route(
      {
        method: 'post',
        path: `/${kind}/sync`,
        tags: TAGS,
        summary: `Copy keys of a ${what} from the source to the target (created there when absent)`,
        description: `${WHO}${kind === 'secrets' ? " A Secret needs operator on the source's cluster too (its values end where the caller can mount them). Values move from cluster to cluster inside the hub: no answer, log, audit entry or history holds one, only SHA-256 digests." : ''}`,
        access: 'viewer',
        action: `${kind}.sync`,
        request: { body: jsonBody(s.keySyncBody) },
        responses: { 200: jsonContent(s.syncAnswer, 'What changed (or would).'), ...errorResponses(403, 404, 409, 422, 503) },
      },
      async (c) => {
        const b = c.req.valid('json');
        c.set('audit', {
          resourceKind: 'app-instance',
          resourceId: b.target_app_instance_id,
          details: { source: b.source_app_instance_id, name: b.name, keys: b.keys, dry_run: b.dry_run ?? false },
        });
        const answer = await syncKeys(env(), c.get('principal')!, kind, {
          source: b.source_app_instance_id,
          target: b.target_app_instance_id,
          name: b.name,
          keys: b.keys,
          dryRun: b.dry_run ?? false,
        });
        c.set('audit', { ...c.get('audit'), details: { ...c.get('audit')?.details, sync_id: answer.id, state: answer.state } });
        return c.json(answer, 200);
      },
    );
  }

  for (const kind of ['services', 'configmaps', 'secrets'] as const) {
    route(
      {
        method: 'get',
        path: `/${kind}/sync/history`,
        tags: TAGS,
        summary: `The ${kind} syncs, newest first, with before and after of each change${kind === 'secrets' ? ' (digests only)' : ''}`,
        description:
          'Filters by time are a key condition; the others (environment, instance, name, user) and the clusters you may not see drop entries from a page, which may then hold fewer than `limit`.',
        access: 'viewer',
        request: { query: pageQuery.extend(s.historyQuery.shape) },
        responses: { 200: jsonContent(listOf(s.syncEntry, `${kind[0]!.toUpperCase()}${kind.slice(1)}SyncHistory`), 'Syncs.') },
      },
      async (c) => {
        const q = c.req.valid('query');
        const page = await syncHistory(
          env(),
          c.get('principal')!,
          kind,
          { environmentId: q.environment_id, appInstanceId: q.app_instance_id, object: q.name, userId: q.user_id, since: q.since, until: q.until },
          q.limit,
          q.continue,
        );
        return c.json(toListResponse(page, historyView), 200);
      },
    );
  }

  route(
    {
      method: 'post',
      path: '/sync-operations/{syncId}/rollback',
      tags: TAGS,
      summary: 'Put back what a sync replaced (images, ConfigMap keys); recorded as a sync of its own',
      description:
        "Needs operator on each target's cluster. A Secret sync answers 422 ROLLBACK_UNAVAILABLE (the hub never keeps Secret values), as does a ConfigMap sync that replaced a value over 1 KiB; a second rollback, or one of a sync that changed nothing, answers 409.",
      access: 'viewer',
      action: 'sync.rollback',
      auditTarget: (c) => ({ resourceKind: 'sync-operation', resourceId: c.req.param('syncId') }),
      request: { params: s.syncIdParam },
      responses: { 200: jsonContent(s.syncAnswer, 'What was put back.'), ...errorResponses(403, 404, 409, 422, 503) },
    },
    async (c) => {
      const answer = await rollbackSync(env(), c.get('principal')!, c.req.valid('param').syncId);
      c.set('audit', { ...c.get('audit'), details: { rollback_sync_id: answer.id, state: answer.state } });
      return c.json(answer, 200);
    },
  );
}
