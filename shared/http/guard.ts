import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { randomUUID } from 'node:crypto';
import type { RateTier } from '#shared/config/config.ts';
import { AppError, AuthenticationError, RateLimitError } from '#shared/domain/errors.ts';
import { authorizeCluster, requireRole, type Principal, type Role } from '#shared/domain/identity/access.ts';
import { authenticateAccessToken, authenticateApiKey } from '#shared/domain/identity/authentication.ts';
import { redact } from '#shared/observability/logger.ts';
import type { Dependencies } from '#shared/runtime/dependencies.ts';
import { clientIp, sourceKey } from './client-ip.ts';
import type { AppEnv, AuditNote } from './env.ts';
import { httpStatusOf } from './problem.ts';

export interface GuardOptions {
  /** `public` routes (login, refresh) run without a principal and are limited per client IP. */
  access: 'public' | Role;
  /**
   * The role needed on the cluster of the path (`{clusterId}`): the caller's override there, else
   * their global role. A caller who may not see that cluster gets 404, one below it 403.
   */
  cluster?: Role;
  /** The rate tier; defaults to read for GET and write for the rest. */
  tier?: RateTier;
  /** The audit action of a change, such as `user.create`; every non-GET request is audited. */
  action?: string;
  /** Audit this read too (a read that hands out a credential), or only the requests for which it answers true (`reveal=true`). */
  auditRead?: boolean | ((c: Context<AppEnv>) => boolean);
  /** What the audit entry says about the target from the request alone (the path's object), so a refusal names it too. */
  auditTarget?: (c: Context<AppEnv>) => AuditNote;
}

/** The security policy OpenAPI shows for authenticated routes. */
export const authenticatedSecurity: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKey: [] }];

/**
 * The middleware in front of every route but the system ones (declared with shared/http/route.ts): authentication
 * (bearer token or API key, per HUB_AUTH_MODE), the role the route needs, the
 * rate limit of its tier, and an audit entry for every change that reaches its route
 * (whatever its outcome) or that the role check refuses.
 */
export function guards(deps: Dependencies) {
  return (options: GuardOptions): MiddlewareHandler<AppEnv> => {
    return createMiddleware<AppEnv>(async (c, next) => {
      const ip = clientIp(c, deps.config.trustedProxies);
      const mutating = !['GET', 'HEAD', 'OPTIONS'].includes(c.req.method);
      const audited = mutating || (typeof options.auditRead === 'function' ? options.auditRead(c) : options.auditRead === true);
      if (options.auditTarget) c.set('audit', options.auditTarget(c));
      let principal: Principal | undefined;
      let refusedWith: number | undefined;
      let reachedRoute = false;
      try {
        // Addresses count by source: IPv6 by /64, which one client can fill with addresses of its own.
        if (options.access === 'public') {
          await limit(deps, c, 'auth', `ip:${sourceKey(ip)}`);
        } else {
          principal = await resolvePrincipal(deps, c);
          c.set('principal', principal);
          // Anonymous callers (auth mode optional or disabled) share no one identity: count them per client IP.
          const who = principal.via === 'anonymous' ? `anonymous:${sourceKey(ip)}` : `principal:${principal.userId}`;
          await limit(deps, c, options.tier ?? (mutating ? 'write' : 'read'), who);
          requireRole(principal, options.access);
          if (options.cluster) authorizeCluster(principal, c.req.param('clusterId') ?? '', options.cluster);
        }
        reachedRoute = true;
        await next();
      } catch (err) {
        if (!reachedRoute) refusedWith = err instanceof AppError ? httpStatusOf(err.kind) : 500;
        throw err;
      } finally {
        if (audited && worthAuditing(refusedWith) && c.res.status !== 429) {
          const action = options.action ?? `${c.req.method} ${c.req.routePath}`;
          await writeAudit(deps, c, action, principal, ip, refusedWith ?? c.res.status);
        }
      }
    });
  };
}

/**
 * Whether a change the guard let through or refused goes into the audit trail. A refusal for a
 * missing role (403) does: it is an authenticated user reaching for more than they may. Refusals
 * before anyone is known (401) or over a rate limit (429) do not, nor a route's own 429 (a login
 * lockout, refused before any password check): anyone can send those without limit, so auditing
 * them would let anyone write to the table without limit; the request log has them.
 */
function worthAuditing(refusedWith: number | undefined): boolean {
  return refusedWith !== 401 && refusedWith !== 429;
}

async function resolvePrincipal(deps: Dependencies, c: Context<AppEnv>): Promise<Principal> {
  const authorization = c.req.header('Authorization');
  const apiKey = c.req.header('X-API-Key');
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw new AuthenticationError('The Authorization header must be "Bearer <token>".', 'INVALID_TOKEN');
    return authenticateAccessToken(deps.identity, match[1]!);
  }
  if (apiKey) return authenticateApiKey(deps.identity, apiKey);
  switch (deps.config.authMode) {
    case 'disabled':
      return anonymous('admin');
    case 'optional':
      return anonymous('viewer');
    default:
      throw new AuthenticationError('Authentication is required: send a Bearer token or an X-API-Key.');
  }
}

function anonymous(role: Principal['role']): Principal {
  return { userId: 'anonymous', username: 'anonymous', role, clusterPermissions: {}, via: 'anonymous', totpEnabled: false };
}

/**
 * Counts the request once more, in another tier than its route's: a route that runs several kinds
 * of work (the shell runs a read or a delete) charges what it runs the tier of the route that does it.
 */
export async function chargeTier<E extends AppEnv>(deps: Dependencies, routeContext: Context<E>, tier: RateTier): Promise<void> {
  const c = routeContext as unknown as Context<AppEnv>;
  const principal = c.get('principal');
  const who = !principal || principal.via === 'anonymous' ? `anonymous:${sourceKey(clientIp(c, deps.config.trustedProxies))}` : `principal:${principal.userId}`;
  await limit(deps, c, tier, who);
}

async function limit(deps: Dependencies, c: Context<AppEnv>, tier: RateTier, key: string) {
  const decision = await deps.rateLimiter.hit(tier, key, deps.config.rateLimits[tier], 60, deps.clock.now());
  c.header('X-RateLimit-Limit', String(decision.limit));
  c.header('X-RateLimit-Remaining', String(decision.remaining));
  c.header('X-RateLimit-Reset', String(decision.resetAt));
  if (!decision.allowed) {
    throw new RateLimitError(Math.max(1, decision.resetAt - Math.floor(deps.clock.now().getTime() / 1000)));
  }
}

async function writeAudit(deps: Dependencies, c: Context<AppEnv>, action: string, principal: Principal | undefined, ip: string, statusCode: number) {
  const note: AuditNote = c.get('audit') ?? {};
  try {
    await deps.audit.record({
      id: randomUUID(),
      timestamp: deps.clock.now().toISOString(),
      userId: principal?.userId ?? note.subject?.userId ?? null,
      username: principal?.username ?? note.subject?.username ?? null,
      action,
      resourceKind: note.resourceKind ?? null,
      resourceId: note.resourceId ?? null,
      clusterId: note.clusterId ?? c.req.param('clusterId') ?? null,
      statusCode,
      requestIp: ip,
      requestId: c.get('requestId'),
      details: redact(note.details ?? {}) as Record<string, unknown>,
    });
  } catch (err) {
    // The change happened; losing its audit entry must be loud, not silent.
    c.get('logger').error('audit write failed', { action, error: err instanceof Error ? err.message : String(err) });
  }
}
