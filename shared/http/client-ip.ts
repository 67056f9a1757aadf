import type { Context } from 'hono';
import ipaddr from 'ipaddr.js';

interface RuntimeEnv {
  /** hono/aws-lambda: API Gateway's view of the caller, which a client cannot forge. */
  requestContext?: { http?: { sourceIp?: string } };
  /** @hono/node-server: the socket of the local run. */
  incoming?: { socket?: { remoteAddress?: string } };
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/** An address in the strict notations a peer or a proxy writes (no legacy IPv4 forms); IPv4-mapped IPv6 as IPv4. */
function parseStrict(text: string): Address | undefined {
  let host = text.trim();
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']') > 0 ? host.indexOf(']') : undefined);
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(host)) host = host.slice(0, host.lastIndexOf(':'));
  host = host.split('%')[0]!;
  if (ipaddr.IPv4.isValidFourPartDecimal(host)) return ipaddr.IPv4.parse(host);
  if (ipaddr.IPv6.isValid(host)) return ipaddr.process(host);
  return undefined;
}

const rangesByList = new WeakMap<readonly string[], Range[]>();
const rangesOf = (cidrs: readonly string[]): Range[] => {
  let ranges = rangesByList.get(cidrs);
  if (!ranges) {
    ranges = cidrs.map((cidr) => ipaddr.parseCIDR(cidr));
    rangesByList.set(cidrs, ranges);
  }
  return ranges;
};
const within = (addr: Address, ranges: Range[]) => ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));

/**
 * The caller's address. The platform's view of the peer (API Gateway's sourceIp, the local
 * server's socket) is what counts: clients can write X-Forwarded-For. Only when that peer is
 * one of the operator's trusted proxies (HUB_TRUSTED_PROXIES, CIDRs; none by default) does
 * X-Forwarded-For count, and then only the part trusted proxies wrote: the rightmost address
 * that is not itself a trusted proxy.
 */
export function clientIp(c: Context, trustedProxies: readonly string[] = []): string {
  const env = c.env as RuntimeEnv | undefined;
  const peerText = env?.requestContext?.http?.sourceIp ?? env?.incoming?.socket?.remoteAddress;
  const peer = peerText === undefined ? undefined : parseStrict(peerText);
  if (!peer) return peerText ?? 'unknown';
  const trusted = rangesOf(trustedProxies);
  let client = peer;
  if (within(client, trusted)) {
    const hops = (c.req.header('X-Forwarded-For') ?? '').split(',').filter((h) => h.trim() !== '');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = parseStrict(hops[i]!);
      // Anything unparsable ends the chain: what lies left of it nobody trusted vouched for.
      if (!hop) break;
      client = hop;
      if (!within(hop, trusted)) break;
    }
  }
  return client.toString();
}

/**
 * What counts as one source for limits and lockouts: an IPv4 address, or an IPv6 address's /64
 * (one subscriber or LAN gets a /64 and can pick any address in it).
 */
export function sourceKey(ip: string): string {
  const addr = parseStrict(ip);
  if (!addr) return ip;
  if (addr.kind() === 'ipv4') return addr.toString();
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/64`).toString()}/64`;
}
