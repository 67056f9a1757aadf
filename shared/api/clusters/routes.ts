import type { RateTier } from '#shared/config/config.ts';
import { createRoute, z } from '@hono/zod-openapi';
import type { ClusterRecord } from '#shared/domain/clusters/cluster.ts';
import { discoverLocalContexts } from '#shared/domain/clusters/discovery.ts';
import { clusterOverview, clusterStatus, setActive, testCluster, withCluster } from '#shared/domain/clusters/live-views.ts';
import { onboardServiceAccount } from '#shared/domain/clusters/onboarding.ts';
import { clusterView, deleteCluster, listClusters, registerCluster, updateCluster, visibleCluster } from '#shared/domain/clusters/registry.ts';
import { storedCredentials } from '#shared/domain/clusters/credentials.ts';
import type { Role } from '#shared/domain/identity/access.ts';
import { createRouter, type EndpointGroup } from '#shared/http/app.ts';
import type { AppEnv } from '#shared/http/env.ts';
import { authenticatedSecurity, guards } from '#shared/http/guard.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { listOf, pageQuery, toListResponse } from '#shared/http/pagination.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import type { Context } from 'hono';
import * as s from './schemas.ts';

const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } }, required: true });
const security = authenticatedSecurity;

/** The cluster registry: registration, credentials, onboarding and live views, each authorized per cluster. */
export function clustersGroup(deps: Dependencies): EndpointGroup {
  const guard = guards(deps);
  const api = createRouter();
  const clusters = () => deps.clusters;

  /** The cluster of the path; its guard has checked the caller's role on it (404 when they may not even see it). */
  const pathCluster = async (c: Context<AppEnv>): Promise<ClusterRecord> => {
    const id = c.req.param('clusterId')!;
    const cluster = await visibleCluster(clusters(), c.get('principal')!, id);
    c.set('audit', { ...c.get('audit'), resourceKind: 'cluster', resourceId: id, clusterId: id });
    return cluster;
  };

  api.openapi(
    createRoute({
      method: 'get',
      path: '/clusters',
      tags: ['clusters'],
      summary: 'The clusters you may see, filtered by status, provider, labels and a name search',
      security,
      middleware: guard({ access: 'viewer' }),
      request: { query: pageQuery.extend(s.listQuery.shape) },
      responses: { 200: jsonContent(listOf(s.cluster, 'ClusterList'), 'Clusters.'), ...errorResponses(400) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const labels = q.label ? Object.fromEntries(q.label.split(',').map((pair) => pair.split('=') as [string, string])) : undefined;
      const page = await listClusters(
        clusters(),
        c.get('principal')!,
        { status: q.status, provider: q.provider, labels, search: q.search },
        q.limit,
        q.continue,
      );
      return c.json(toListResponse(page, clusterView), 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/clusters',
      tags: ['clusters'],
      summary: 'Register a cluster from exactly one kubeconfig source; the hub connects before it answers',
      description: `Needs the global admin role. ${s.CREDENTIAL_SOURCE_RULES} \`force\` replaces a cluster of the same name, which also needs admin on that cluster (a per-cluster override below admin refuses it, 403); a name taken by a cluster hidden from the caller answers 409 CLUSTER_EXISTS as a lost race for the name would, and is never replaced. An import (\`kubeconfig_secret_ref\`) is deleted once the registration stored it.`,
      security,
      middleware: guard({ access: 'admin', action: 'cluster.register', tier: 'exec' }),
      request: { body: json(s.registerBody) },
      responses: { 201: jsonContent(s.cluster, 'Registered and connected.'), ...errorResponses(400, 403, 409, 422) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      c.set('audit', { resourceKind: 'cluster', details: { name: body.name, force: body.force ?? false } });
      const cluster = await registerCluster(clusters(), c.get('principal')!, body);
      c.set('audit', { resourceKind: 'cluster', resourceId: cluster.id, clusterId: cluster.id, details: { name: cluster.name, server: cluster.serverUrl } });
      return c.json(clusterView(cluster), 201);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/clusters/discover',
      tags: ['clusters'],
      summary: "Local run only: the contexts of this machine's kubeconfig, for registration with local_context",
      security,
      middleware: guard({ access: 'admin' }),
      responses: {
        200: jsonContent(
          z.object({
            items: z.array(
              z.object({
                context: z.string(),
                cluster: z.string().nullable(),
                server: z.string().nullable(),
                current: z.boolean(),
                importable: z.boolean(),
                reason: z.string().nullable(),
              }),
            ),
          }),
          'Contexts.',
        ),
        ...errorResponses(403, 404),
      },
    }),
    async (c) => c.json(await discoverLocalContexts(clusters()), 200),
  );

  /**
   * A route on one cluster, declared once: the guard enforces `cluster`, the role needed on the cluster
   * of the path (a per-cluster override, else the global role), after `global`, and the OpenAPI
   * description says the same.
   */
  const clusterRoute = <M extends 'get' | 'post' | 'patch' | 'delete'>(
    method: M,
    path: string,
    summary: string,
    access: { cluster: Role; global?: Role; action?: string; auditRead?: boolean; tier?: RateTier; also?: string },
    description?: string,
  ) => {
    const needs =
      access.global && access.global !== 'viewer'
        ? `Needs the global ${access.global} role and ${access.cluster} on the cluster.`
        : `Needs ${access.cluster} on the cluster (a per-cluster override, else the global role)${access.cluster === 'viewer' ? '' : '; below it answers 403'}.`;
    return {
      method,
      path: `/clusters/{clusterId}${path}`,
      tags: ['clusters'],
      summary,
      description: [needs, access.also, description].filter(Boolean).join(' '),
      security,
      middleware: guard({ access: access.global ?? 'viewer', cluster: access.cluster, action: access.action, auditRead: access.auditRead, tier: access.tier }),
    };
  };

  api.openapi(
    createRoute({
      ...clusterRoute('get', '', 'A cluster', { cluster: 'viewer' }),
      request: { params: s.clusterIdParam },
      responses: { 200: jsonContent(s.cluster, 'The cluster.'), ...errorResponses(404) },
    }),
    async (c) => c.json(clusterView(await pathCluster(c)), 200),
  );

  api.openapi(
    createRoute({
      ...clusterRoute(
        'patch',
        '',
        'Rename, relabel, or replace the credential (through the same checks as registration)',
        {
          cluster: 'admin',
          action: 'cluster.update',
          tier: 'exec',
          also: 'A credential source also needs the global admin role, as registration does (403 otherwise).',
        },
        'A credential source (kubeconfig, kubeconfig_base64, kubeconfig_secret_ref) replaces the stored credential, which is then deleted; an import is deleted once stored. `context` selects a context of that new kubeconfig and is refused (400) without one.',
      ),
      request: { params: s.clusterIdParam, body: json(s.updateBody) },
      responses: { 200: jsonContent(s.cluster, 'Updated.'), ...errorResponses(400, 403, 404, 409, 422) },
    }),
    async (c) => {
      const cluster = await pathCluster(c);
      const body = c.req.valid('json');
      c.set('audit', {
        ...c.get('audit'),
        details: {
          fields: Object.keys(body).filter((k) => !k.startsWith('kubeconfig')),
          credential_replaced: 'kubeconfig' in body || 'kubeconfig_base64' in body || 'kubeconfig_secret_ref' in body,
        },
      });
      return c.json(clusterView(await updateCluster(clusters(), c.get('principal')!, cluster, body)), 200);
    },
  );

  api.openapi(
    createRoute({
      ...clusterRoute('delete', '', 'Unregister a cluster: its stored credential and every grant on it go too', { cluster: 'admin', action: 'cluster.delete' }),
      request: { params: s.clusterIdParam },
      responses: { 204: { description: 'Deleted.' }, ...errorResponses(403, 404) },
    }),
    async (c) => {
      await deleteCluster(clusters(), await pathCluster(c));
      return c.body(null, 204);
    },
  );

  api.openapi(
    createRoute({
      ...clusterRoute('get', '/kubeconfig', "Download the hub's kubeconfig for the cluster (admin only; audited)", {
        global: 'admin',
        cluster: 'admin',
        action: 'cluster.kubeconfig.export',
        auditRead: true,
      }),
      request: { params: s.clusterIdParam },
      responses: {
        200: {
          description:
            'The kubeconfig YAML as an attachment (`Content-Disposition: attachment; filename="<name>.kubeconfig.yaml"`), served as text so that no client parses it as JSON; save it as a file.',
          headers: { 'Content-Disposition': { schema: { type: 'string', example: 'attachment; filename="prod-eu-1.kubeconfig.yaml"' } } },
          content: { 'text/plain': { schema: z.string().openapi({ format: 'binary' }) } },
        },
        ...errorResponses(403, 404),
      },
    }),
    async (c) => {
      const cluster = await pathCluster(c);
      const { kubeconfig } = await storedCredentials(clusters(), cluster);
      c.header('Content-Disposition', `attachment; filename="${cluster.name}.kubeconfig.yaml"`);
      c.header('Cache-Control', 'no-store');
      return c.text(kubeconfig, 200);
    },
  );

  api.openapi(
    createRoute({
      ...clusterRoute(
        'post',
        '/service-account',
        'Create a service account bound to a ClusterRole on the cluster; optionally make it the hub credential',
        {
          cluster: 'admin',
          action: 'cluster.service_account.onboard',
          tier: 'exec',
          also: 'A ClusterRole outside HUB_ONBOARDING_CLUSTER_ROLES (cluster-admin always) or a namespace outside HUB_ONBOARDING_NAMESPACES also needs the global admin role (403 otherwise).',
        },
        "Only accounts the hub created are bound: an existing account it did not create answers 409 SERVICE_ACCOUNT_NOT_MANAGED. With use_for_hub the hub works with a bound token of the account (TokenRequest API) that expires at `token_expires_at` (HUB_ONBOARDING_TOKEN_DAYS, or less when the API server caps it) and is not renewed; the uploaded credential is deleted, as is a long-lived token Secret an earlier hub made for the account. Idempotent: repeating the request for the account the hub already uses (same name, namespace and role) checks that the account still authenticates and answers the same body, creating nothing. 422 CLUSTER_FORBIDDEN when the hub's credential on the cluster lacks the RBAC permission to create the account, its binding or its token; 503 CLUSTER_UNAVAILABLE when the cluster cannot be reached.",
      ),
      request: { params: s.clusterIdParam, body: json(s.serviceAccountBody) },
      responses: { 200: jsonContent(s.serviceAccount, 'Onboarded, or already the hub credential.'), ...errorResponses(400, 403, 404, 409, 422, 503) },
    }),
    async (c) => {
      const cluster = await pathCluster(c);
      const body = c.req.valid('json');
      c.set('audit', {
        ...c.get('audit'),
        details: { service_account: body.service_account, namespace: body.namespace, role: body.role, use_for_hub: body.use_for_hub },
      });
      const account = { name: body.service_account, namespace: body.namespace, role: body.role };
      return c.json(await onboardServiceAccount(clusters(), c.get('principal')!, cluster, account, body.use_for_hub), 200);
    },
  );

  api.openapi(
    createRoute({
      ...clusterRoute('post', '/test', 'Probe the cluster now', { cluster: 'viewer', action: 'cluster.test' }),
      request: { params: s.clusterIdParam },
      responses: { 200: jsonContent(s.testResult, 'The probe result (ok false with the error when unreachable).'), ...errorResponses(404) },
    }),
    async (c) => c.json(await testCluster(clusters(), await pathCluster(c)), 200),
  );

  api.openapi(
    createRoute({
      ...clusterRoute('get', '/status', 'Probe the cluster and record its status', { cluster: 'viewer' }),
      request: { params: s.clusterIdParam },
      responses: { 200: jsonContent(s.status, 'Status.'), ...errorResponses(404, 502) },
    }),
    async (c) => c.json(await clusterStatus(clusters(), await pathCluster(c)), 200),
  );

  api.openapi(
    createRoute({
      ...clusterRoute('post', '/set-active', 'Include or skip the cluster in background work', { cluster: 'operator', action: 'cluster.set_active' }),
      request: { params: s.clusterIdParam, body: json(z.object({ active: z.boolean() })) },
      responses: { 200: jsonContent(s.cluster, 'Updated.'), ...errorResponses(400, 403, 404) },
    }),
    async (c) => {
      const cluster = await pathCluster(c);
      const { active } = c.req.valid('json');
      c.set('audit', { ...c.get('audit'), details: { active } });
      return c.json(clusterView(await setActive(clusters(), cluster, active)), 200);
    },
  );

  // The two ways a live view fails, told apart: the cluster refused the hub's credential, or could not be reached.
  const liveViewFailures = errorResponses(422, 502, 503);
  liveViewFailures[502]!.description =
    'CLUSTER_RESPONSE_TOO_LARGE: an answer of the cluster was larger than HUB_MAX_CLUSTER_RESPONSE_BYTES (8 MiB by default) even a page of one object at a time (`limit_bytes`). Lists are read in pages that fit, so only an oversized single object causes it. It does not count towards the circuit breaker.';
  liveViewFailures[422]!.description =
    "The cluster answered but refused the hub's credential: CLUSTER_CREDENTIAL_REJECTED (`reason: unauthorized`, the credential is wrong, expired or revoked) or CLUSTER_FORBIDDEN (`reason: forbidden`, RBAC denies all of the view). Parts of a view the credential may not read are null instead. Neither counts towards the circuit breaker.";
  liveViewFailures[503]!.description =
    'CLUSTER_UNAVAILABLE: the cluster could not be reached or failed (`reason`: tls, dns, refused, timeout, unknown), or it failed repeatedly and its circuit is open (`reason: circuit_open`, `retry_after_seconds`).';

  const liveView = <T extends z.ZodType>(path: string, summary: string, schema: T, view: (cluster: ClusterRecord) => Promise<z.infer<T>>) =>
    api.openapi(
      createRoute({
        ...clusterRoute('get', path, summary, { cluster: 'viewer' }),
        request: { params: s.clusterIdParam },
        responses: { 200: jsonContent(schema, 'Live from the cluster.'), ...errorResponses(404), ...liveViewFailures },
      }),
      async (c) => c.json((await view(await pathCluster(c))) as Record<string, unknown>, 200),
    );

  liveView('/namespaces', 'Namespaces, live', s.namespaces, async (cluster) => ({
    items: await withCluster(clusters(), cluster, (g) => g.namespaces()),
  }));
  liveView('/summary', 'Counts of nodes, namespaces, pods, deployments and services, live', s.summary, (cluster) =>
    withCluster(clusters(), cluster, (g) => g.summary()),
  );
  liveView('/workloads', 'Deployments, StatefulSets, DaemonSets, Jobs and CronJobs, live', s.workloads, (cluster) =>
    withCluster(clusters(), cluster, (g) => g.workloads()),
  );
  liveView('/overview', 'The cluster, its counts and its latest events', s.overview, (cluster) => clusterOverview(clusters(), cluster));

  return { name: 'clusters', api };
}
