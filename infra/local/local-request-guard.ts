import { createMiddleware } from 'hono/factory';
import ipaddr from 'ipaddr.js';
import { AppError } from '#shared/domain/errors.ts';
import type { AppEnv } from '#shared/http/env.ts';

/**
 * The local run's answer to a browser on the developer's own machine. Any web page the developer
 * opens can send requests to 127.0.0.1 (and read the answers once its own name is rebound to
 * 127.0.0.1 by DNS), and with HUB_AUTH_MODE=disabled such a request acts as admin: it could
 * export the developer's own kube credentials through discover, import and download. So:
 * - a request must be addressed to this server by a name that cannot be rebound: its Host is
 *   127.0.0.1, localhost or [::1] (or HUB_HOST) with the served port, else 421;
 * - a request that changes something (any method but GET, HEAD, OPTIONS) must come from the hub's
 *   own origin: an `Origin` that is not it, or without one a `Sec-Fetch-Site` other than
 *   same-origin or none (typed in by the user), is refused with 403. Clients such as curl and the
 *   SDKs send neither header and pass.
 * A Lambda behind API Gateway has a host of its own and does not use this.
 */
export function localRequestGuard(served: { host: string; port: number }) {
  const hostAllowed = allowedHost(served.host, served.port);
  return createMiddleware<AppEnv>(async (c, next) => {
    const host = c.req.header('host');
    const own = host === undefined ? undefined : hostAllowed(host);
    if (!own) {
      throw new AppError(
        421,
        'MISDIRECTED_REQUEST',
        `This server answers requests addressed to http://127.0.0.1:${served.port} (or localhost, [::1]${isWildcard(served.host) ? ', or an IP address' : isLoopbackHost(served.host) ? '' : `, ${served.host}`}) only: the Host header names another server.`,
      );
    }
    if (!SAFE_METHODS.has(c.req.method)) {
      const origin = c.req.header('origin');
      const site = c.req.header('sec-fetch-site');
      const crossOrigin = origin !== undefined ? originOf(origin) !== own : site !== undefined && site !== 'same-origin' && site !== 'none';
      if (crossOrigin) {
        throw new AppError(403, 'CROSS_ORIGIN_REQUEST', `Changes are accepted from the hub's own origin (${own}) only, not from another web page.`);
      }
    }
    await next();
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a host name or address reaches this machine only: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || (ipaddr.isValid(bare) && ipaddr.process(bare).range() === 'loopback');
}

/** 0.0.0.0 or ::, listening on every interface. */
const isWildcard = (host: string) => ['0.0.0.0', '::', '[::]', ''].includes(host);

// A Host is a name or an address and an optional port: nothing that a URL parser would read a path or user from.
const HOST_HEADER = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Checks a Host header: answers the origin it stands for (http://host:port) when it names this
 * server, else undefined. Names other than localhost are accepted only when HUB_HOST is one;
 * with HUB_HOST on every interface, any IP address is (DNS rebinding needs a name).
 */
function allowedHost(servedHost: string, port: number): (header: string) => string | undefined {
  const allowed = new Set(['127.0.0.1', 'localhost', '[::1]']);
  if (!isWildcard(servedHost)) {
    try {
      allowed.add(new URL(`http://${servedHost.includes(':') && !servedHost.startsWith('[') ? `[${servedHost}]` : servedHost}`).hostname);
    } catch {
      // An address no URL can hold (fe80::1%eth0): no client can name it in a Host either.
    }
  }
  return (header) => {
    if (!HOST_HEADER.test(header)) return undefined;
    let url: URL;
    try {
      url = new URL(`http://${header}`);
    } catch {
      return undefined;
    }
    if (Number(url.port || 80) !== port) return undefined;
    const name = url.hostname;
    const isAddress = ipaddr.isValid(name.replace(/^\[(.*)\]$/, '$1'));
    return allowed.has(name) || (isWildcard(servedHost) && isAddress) ? url.origin : undefined;
  };
}

/** The origin an Origin header names (normalised as a URL writes it), or undefined for `null` and garbage. */
function originOf(header: string): string | undefined {
  try {
    const url = new URL(header);
    return url.origin === 'null' ? undefined : url.origin;
  } catch {
    return undefined;
  }
}
