import { approvePromotion, getPromotion, listPromotions, rejectPromotion, requestPromotion } from '#shared/domain/environments/promotions.ts';
import type { PromotionRecord } from '#shared/domain/environments/records.ts';
import { errorResponses, jsonBody, jsonContent } from '#shared/http/openapi.ts';
import { listOf, pageQuery, toListResponse } from '#shared/http/pagination.ts';
import type { DeclareRoute } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import * as s from './schemas.ts';

const TAGS = ['environments'];

const view = (p: PromotionRecord) => ({
  id: p.id,
  state: p.state,
  source_app_instance_id: p.sourceAppInstanceId,
  target_app_instance_id: p.targetAppInstanceId,
  environment_id: p.environmentId,
  services: p.services,
  configmaps: p.configmaps,
  secrets: p.secrets,
  reason: p.reason,
  requested_by: p.requestedBy,
  requester_name: p.requesterName,
  ...(p.decidedBy ? { decided_by: p.decidedBy, decider_name: p.deciderName, decided_at: p.decidedAt } : {}),
  sync_ids: p.syncIds,
  ...(p.detail ? { detail: p.detail } : {}),
  created_at: p.createdAt,
  updated_at: p.updatedAt,
});

/** Promotions: changes of a target that wait for a second person. */
export function promotionRoutes(deps: Dependencies, route: DeclareRoute): void {
  const env = () => deps.environments;
  const audit = (id: string) => ({ resourceKind: 'promotion', resourceId: id });

  route(
    {
      method: 'post',
      path: '/promotions',
      tags: TAGS,
      summary: 'Ask for a change of a target instance (image tags, ConfigMap and Secret keys from the source) that a second person approves',
      description:
        "Needs viewer on both instances' clusters. It waits (pending) until another user with operator on the target's cluster approves or rejects it.",
      access: 'viewer',
      action: 'promotion.request',
      request: { body: jsonBody(s.promotionBody) },
      responses: { 201: jsonContent(s.promotionView, 'Pending.'), ...errorResponses(404) },
    },
    async (c) => {
      const b = c.req.valid('json');
      const created = await requestPromotion(env(), c.get('principal')!, {
        source: b.source_app_instance_id,
        target: b.target_app_instance_id,
        services: b.services,
        configmaps: b.configmaps,
        secrets: b.secrets,
        reason: b.reason,
      });
      c.set('audit', { ...audit(created.id), clusterId: created.clusterId, details: { target: created.targetAppInstanceId, services: created.services } });
      return c.json(view(created), 201);
    },
  );

  route(
    {
      method: 'get',
      path: '/promotions',
      tags: TAGS,
      summary: 'Promotions on clusters you may see, newest first',
      access: 'viewer',
      request: { query: pageQuery.extend(s.promotionsQuery.shape) },
      responses: { 200: jsonContent(listOf(s.promotionView, 'PromotionList'), 'Promotions.') },
    },
    async (c) => {
      const q = c.req.valid('query');
      return c.json(toListResponse(await listPromotions(env(), c.get('principal')!, { state: q.state }, q.limit, q.continue), view), 200);
    },
  );

  route(
    {
      method: 'get',
      path: '/promotions/{promotionId}',
      tags: TAGS,
      summary: "A promotion; an applied one is checked against the target's rollouts and answers verified once they complete, failed if one stalls",
      access: 'viewer',
      request: { params: s.promotionIdParam },
      responses: { 200: jsonContent(s.promotionView, 'The promotion.'), ...errorResponses(404, 503) },
    },
    async (c) => c.json(view(await getPromotion(env(), c.get('principal')!, c.req.valid('param').promotionId)), 200),
  );

  for (const decision of ['approve', 'reject'] as const) {
    route(
      {
        method: 'post',
        path: `/promotions/{promotionId}/${decision}`,
        tags: TAGS,
        summary: decision === 'approve' ? 'Approve a pending promotion: it runs as syncs into the target (applied, or failed)' : 'Reject a pending promotion',
        description: "Needs operator on the target's cluster; never the requester (403). A promotion no longer pending answers 409 PROMOTION_DECIDED.",
        access: 'viewer',
        action: `promotion.${decision}`,
        auditTarget: (c) => audit(c.req.param('promotionId') ?? ''),
        request: { params: s.promotionIdParam },
        responses: { 200: jsonContent(s.promotionView, 'Decided.'), ...errorResponses(403, 404, 409, 503) },
      },
      async (c) => {
        const id = c.req.valid('param').promotionId;
        const decided = await (decision === 'approve' ? approvePromotion : rejectPromotion)(env(), c.get('principal')!, id);
        c.set('audit', { ...audit(id), clusterId: decided.clusterId, details: { state: decided.state, sync_ids: decided.syncIds } });
        return c.json(view(decided), 200);
      },
    );
  }
}
