import { compareConfigMaps, compareSecrets, compareServices } from '#shared/domain/environments/compare.ts';
import { InputError } from '#shared/domain/errors.ts';
import { environmentParity } from '#shared/domain/environments/parity.ts';
import { listConfigMaps, listServices } from '#shared/domain/environments/services.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import type { DeclareRoute } from '#shared/http/route.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import * as s from './schemas.ts';
import { appInstanceView, comparisonView, serviceView } from './views.ts';

const TAGS = ['environments'];
const LIVE =
  "Read live from the clusters (needs viewer on each instance's cluster; 404 for one you may not see), paged; more than 1,000 objects of a kind in one instance answers 422 TOO_MANY_OBJECTS.";

/** What runs in app instances, and how two instances differ. */
export function compareRoutes(deps: Dependencies, route: DeclareRoute): void {
  const env = () => deps.environments;

  route(
    {
      method: 'get',
      path: '/services',
      tags: TAGS,
      summary:
        'The workloads (Deployments, StatefulSets, DaemonSets, CronJobs) of an app instance or of an environment, with images, tags, replicas and readiness',
      description: `${LIVE} An environment with more than 20 instances answers 422: ask per instance.`,
      access: 'viewer',
      request: { query: s.servicesQuery },
      responses: { 200: jsonContent(s.services, 'Workloads.'), ...errorResponses(404, 422, 503) },
    },
    async (c) => {
      const q = c.req.valid('query');
      const items = await listServices(env(), c.get('principal')!, {
        appInstanceId: q.app_instance_id,
        environmentId: q.environment_id,
        kind: q.kind,
        search: q.search,
      });
      return c.json({ items: items.map(serviceView) }, 200);
    },
  );

  route(
    {
      method: 'get',
      path: '/services/compare',
      tags: TAGS,
      summary:
        'Two app instances side by side: per workload, present in both or one, each container image equal or not, replicas, differing environment variable names',
      description: LIVE,
      access: 'viewer',
      request: { query: s.compareQuery },
      responses: { 200: jsonContent(s.serviceComparison, 'The comparison.'), ...errorResponses(404, 422, 503) },
    },
    async (c) => c.json(comparisonView(await compareServices(env(), c.get('principal')!, c.req.valid('query'))), 200),
  );

  route(
    {
      method: 'get',
      path: '/configmaps/compare',
      tags: TAGS,
      summary: "Two app instances' ConfigMaps: per object and key, equal, different, only in source, only in target",
      description: `${LIVE} The cluster's own kube-root-ca.crt is left out.`,
      access: 'viewer',
      request: { query: s.compareQuery },
      responses: { 200: jsonContent(s.keyedComparison, 'The comparison.'), ...errorResponses(404, 422, 503) },
    },
    async (c) => c.json(comparisonView(await compareConfigMaps(env(), c.get('principal')!, c.req.valid('query'))), 200),
  );

  route(
    {
      method: 'get',
      path: '/secrets/compare',
      tags: TAGS,
      summary:
        "Two app instances' Secrets: per object and key, equal, different, only in source, only in target; values compared by SHA-256 inside the hub and never answered",
      description: `${LIVE} Service-account token Secrets (per-cluster credentials) are left out.`,
      access: 'viewer',
      request: { query: s.compareQuery },
      responses: { 200: jsonContent(s.keyedComparison, 'The comparison.'), ...errorResponses(404, 422, 503) },
    },
    async (c) => c.json(comparisonView(await compareSecrets(env(), c.get('principal')!, c.req.valid('query'))), 200),
  );

  route(
    {
      method: 'get',
      path: '/environments/{environmentId}/parity',
      tags: TAGS,
      summary: 'How alike two environments are: a score (the share of workloads and ConfigMap keys that match) with the differences',
      description: `${LIVE} Instances are paired by name; one without a partner counts all its items as differences. At most 20 instances per environment (422 beyond), at most 500 differences listed.`,
      access: 'viewer',
      request: { params: s.environmentIdParam, query: s.parityQuery },
      responses: { 200: jsonContent(s.parity, 'The parity.'), ...errorResponses(404, 422, 503) },
    },
    async (c) => {
      const { against } = c.req.valid('query');
      if (!against) throw new InputError('Name the environment to compare with in `against`.', [{ field: 'against', location: 'query', message: 'Required' }]);
      return c.json(await environmentParity(env(), c.get('principal')!, c.req.valid('param').environmentId, against), 200);
    },
  );

  route(
    {
      method: 'get',
      path: '/configmaps/{appInstanceId}',
      tags: TAGS,
      summary: "An app instance's ConfigMaps with their keys and the size of each value",
      description: LIVE,
      access: 'viewer',
      request: { params: s.appInstanceIdParam },
      responses: { 200: jsonContent(s.configMaps, 'ConfigMaps.'), ...errorResponses(404, 422, 503) },
    },
    async (c) => {
      const { instance, items } = await listConfigMaps(env(), c.get('principal')!, c.req.valid('param').appInstanceId);
      return c.json({ app_instance_id: appInstanceView(instance).id, items }, 200);
    },
  );
}
