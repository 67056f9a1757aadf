/**
 * What every route file of the resources group is declared with: the guard of a route on one
 * cluster (role on the cluster, audit action, rate tier) and its OpenAPI text, the caller and the
 * cluster of the path, and the cluster's warnings passed on as `Warning` headers.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { RateTier } from '#shared/config/config.ts';
import { visibleCluster } from '#shared/domain/clusters/registry.ts';
import type { Role } from '#shared/domain/identity/access.ts';
import type { Caller } from '#shared/domain/resources/cluster-session.ts';
import type { Router } from '#shared/http/app.ts';
import type { AppEnv } from '#shared/http/env.ts';
import { authenticatedSecurity, guards } from '#shared/http/guard.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';

export const clusterIdParam = z.object({ clusterId: z.uuid().openapi({ description: 'The cluster id.' }) });

/** A path segment naming a kind: a plural, Kind, short name or group-qualified name. */
export const kindSegment = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/)
  .openapi({ description: 'A plural (`deployments`), Kind (`Deployment`), short name (`deploy`) or group-qualified name (`certificates.cert-manager.io`).' });

const dnsName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);

export const objectParams = clusterIdParam.extend({
  kind: kindSegment,
  namespace: z
    .string()
    .max(63)
    .regex(/^(-|_|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/)
    .openapi({ description: 'The namespace; `-` or `_` for a cluster-scoped kind.' }),
  name: dnsName.openapi({ description: 'The object name.' }),
});

export interface ResourceRouteAccess {
  /** The role needed on the cluster (a per-cluster override, else the global role). */
  cluster: Role;
  action?: string;
  tier?: RateTier;
  auditRead?: boolean | ((c: Context<AppEnv>) => boolean);
}

export interface ResourcesKit {
  deps: Dependencies;
  api: Router;
  /** The common part of a route on `/clusters/{clusterId}<path>`: tags, security, guard, and the role it needs in the description. */
  route<M extends 'get' | 'post' | 'patch' | 'delete'>(
    method: M,
    path: string,
    summary: string,
    access: ResourceRouteAccess,
    description?: string,
  ): {
    method: M;
    path: string;
    tags: string[];
    summary: string;
    description: string;
    security: typeof authenticatedSecurity;
    middleware: ReturnType<ReturnType<typeof guards>>;
  };
  /** The caller and the cluster of the path; 404 when they may not see it. Notes the cluster for the audit entry. */
  caller(c: Context<AppEnv>): Promise<Caller>;
  /** Notes the object a change is about, for the audit entry (refused ones too). */
  noteTarget(c: Context<AppEnv>, target: { kind: string; namespace?: string; name?: string; details?: Record<string, unknown> }): void;
  /** Passes the cluster's warnings on as `Warning: 299` headers, as kubectl shows them. */
  warn(c: Context<AppEnv>, warnings: string[]): void;
}

const quoted = (text: string) => `"${text.replace(/[\\"]/g, '\\$&').replace(/[^\x20-\x7e]/g, '?')}"`;

export function resourcesKit(deps: Dependencies, api: Router): ResourcesKit {
  const guard = guards(deps);
  return {
    deps,
    api,
    route(method, path, summary, access, description) {
      const needs = `Needs ${access.cluster} on the cluster (a per-cluster override, else the global role)${access.cluster === 'viewer' ? '' : '; below it answers 403'}.`;
      return {
        method,
        path: `/clusters/{clusterId}${path}`,
        tags: ['resources'],
        summary,
        description: [needs, description].filter(Boolean).join(' '),
        security: authenticatedSecurity,
        middleware: guard({ access: 'viewer', cluster: access.cluster, action: access.action, auditRead: access.auditRead, tier: access.tier }),
      };
    },
    async caller(c) {
      const id = c.req.param('clusterId')!;
      const principal = c.get('principal')!;
      const cluster = await visibleCluster(deps.clusters, principal, id);
      c.set('audit', { ...c.get('audit'), clusterId: id });
      return { principal, cluster };
    },
    noteTarget(c, { kind, namespace, name, details }) {
      const ns = namespace === '-' || namespace === '_' ? undefined : namespace;
      c.set('audit', {
        ...c.get('audit'),
        clusterId: c.req.param('clusterId'),
        resourceKind: kind,
        ...(name ? { resourceId: ns ? `${ns}/${name}` : name } : {}),
        details: { ...c.get('audit')?.details, kind, ...(ns ? { namespace: ns } : {}), ...(name ? { name } : {}), ...details },
      });
    },
    warn(c, warnings) {
      for (const text of warnings) c.header('Warning', `299 - ${quoted(text)}`, { append: true });
    },
  };
}

/** A route file of the group: declares its routes on the kit's router. */
export type ResourceRouteFile = (kit: ResourcesKit) => void;
