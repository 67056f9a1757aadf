import { z } from '@hono/zod-openapi';
import { storedCredentials } from '#shared/domain/clusters/credentials.ts';
import { onboardServiceAccount } from '#shared/domain/clusters/onboarding.ts';
import { createRouter, type Router } from '#shared/http/app.ts';
import { errorResponses, jsonBody, jsonContent } from '#shared/http/openapi.ts';
import { guardedRoutes } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import * as s from './schemas.ts';

/** The hub's credential on a cluster: its export, and service-account onboarding that can replace it. */
export function credentialRoutes(deps: Dependencies): Router {
  const api = createRouter();
  const route = guardedRoutes(api, deps);
  const clusters = () => deps.clusters;

  route(
    {
      method: 'get',
      path: '/clusters/{clusterId}/kubeconfig',
      tags: ['clusters'],
      summary: "Download the hub's kubeconfig for the cluster (admin only; audited)",
      access: 'admin',
      cluster: 'admin',
      action: 'cluster.kubeconfig.export',
      auditRead: true,
      request: { params: s.clusterIdParam },
      responses: {
        200: {
          description:
            'The kubeconfig YAML as an attachment (`Content-Disposition: attachment; filename="<name>.kubeconfig.yaml"`), served as text so that no client parses it as JSON; save it as a file.',
          headers: { 'Content-Disposition': { schema: { type: 'string', example: 'attachment; filename="prod-eu-1.kubeconfig.yaml"' } } },
          content: { 'text/plain': { schema: z.string().openapi({ format: 'binary' }) } },
        },
      },
    },
    async (c) => {
      const { kubeconfig } = await storedCredentials(clusters(), c.var.cluster);
      c.header('Content-Disposition', `attachment; filename="${c.var.cluster.name}.kubeconfig.yaml"`);
      c.header('Cache-Control', 'no-store');
      return c.text(kubeconfig, 200);
    },
  );

  route(
    {
      method: 'post',
      path: '/clusters/{clusterId}/service-account',
      tags: ['clusters'],
      summary: 'Create a service account bound to a ClusterRole on the cluster; optionally make it the hub credential',
      description:
        "A ClusterRole outside HUB_ONBOARDING_CLUSTER_ROLES (cluster-admin always) or a namespace outside HUB_ONBOARDING_NAMESPACES also needs the global admin role (403 otherwise). Only accounts the hub created are bound: an existing account it did not create answers 409 SERVICE_ACCOUNT_NOT_MANAGED. With use_for_hub the hub works with a bound token of the account (TokenRequest API) that expires at `token_expires_at` (HUB_ONBOARDING_TOKEN_DAYS, or less when the API server caps it) and is not renewed; the uploaded credential is deleted, as is a long-lived token Secret an earlier hub made for the account. Idempotent: repeating the request for the account the hub already uses (same name, namespace and role) checks that the account still authenticates and answers the same body, creating nothing. 422 CLUSTER_FORBIDDEN when the hub's credential on the cluster lacks the RBAC permission to create the account, its binding or its token; 503 CLUSTER_UNAVAILABLE when the cluster cannot be reached.",
      cluster: 'admin',
      action: 'cluster.service_account.onboard',
      tier: 'exec',
      request: { params: s.clusterIdParam, body: jsonBody(s.serviceAccountBody) },
      responses: { 200: jsonContent(s.serviceAccount, 'Onboarded, or already the hub credential.'), ...errorResponses(400, 409, 422, 503) },
    },
    async (c) => {
      const body = c.req.valid('json');
      c.set('audit', {
        ...c.get('audit'),
        details: { service_account: body.service_account, namespace: body.namespace, role: body.role, use_for_hub: body.use_for_hub },
      });
      const account = { name: body.service_account, namespace: body.namespace, role: body.role };
      return c.json(await onboardServiceAccount(clusters(), c.get('principal')!, c.var.cluster, account, body.use_for_hub), 200);
    },
  );

  return api;
}
