/**
 * Which network addresses the hub may open a connection to when it talks to a cluster.
 *
 * A kubeconfig's server is chosen by whoever uploads it, so without this check the hub would
 * fetch from cloud metadata services or poke at its own network on their behalf. The same check
 * runs twice: on the literal host when a kubeconfig is validated, and on every address a name
 * resolves to when a connection is opened (shared/adapters/kubernetes), so neither a DNS answer
 * nor a redirect can route around it.
 */
import ipaddr from 'ipaddr.js';
import { ConfigError } from '#shared/config/config.ts';

/** What an address is, from the hub's point of view. */
export type AddressKind =
  /** Link-local and cloud metadata services: never reachable, whatever the operator allows. */
  | 'metadata'
  /** Multicast, broadcast, reserved and translation ranges the hub cannot check: never reachable. */
  | 'not-unicast'
  | 'loopback'
  /** 0.0.0.0 and ::, which Linux connects to the local host. */
  | 'unspecified'
  | 'private'
  | 'public';

export interface AddressVerdict {
  allowed: boolean;
  /** The address in canonical form (IPv4 dotted quad; compressed IPv6). */
  address: string;
  kind: AddressKind;
  /** Why the address is refused, as a sentence a user can act on; absent when allowed. */
  reason?: string;
}

export interface NetworkPolicy {
  /** The operator's allow-list, canonical CIDRs. */
  readonly allowedNetworks: readonly string[];
  /** Decides on one IP address (any notation ipaddr.js or a URL host accepts, brackets allowed). */
  checkAddress(address: string): AddressVerdict;
}

export const ALLOWED_NETWORKS_VARIABLE = 'HUB_ALLOWED_CLUSTER_NETWORKS';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];
const cidr = (text: string): Range => ipaddr.parseCIDR(text);

// Always refused. 169.254/16 holds the AWS, GCP, Azure, OpenStack and DigitalOcean metadata
// services and the ECS task endpoint; the others are single well-known metadata or host-agent
// addresses. fd00:ec2::/32 is AWS's own range for IMDS, its DNS resolver and its time service.
const METADATA: Range[] = [
  '169.254.0.0/16',
  '100.100.100.200/32', // Alibaba Cloud metadata
  '168.63.129.16/32', // Azure wire server
  '192.0.0.192/32', // Oracle Cloud metadata
  'fe80::/10',
  'fd00:ec2::/32', // AWS IMDS (fd00:ec2::254), DNS and NTP over IPv6
  'fd20:ce::254/128', // GCP metadata over IPv6
].map(cidr);

const NOT_UNICAST: Range[] = [
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, and 255.255.255.255
  'ff00::/8', // multicast
  '2001::/32', // Teredo: the IPv4 behind it is obfuscated and cannot be checked
  '64:ff9b:1::/48', // local-use IPv4 translation: the embedding depends on the site's setup
].map(cidr);

const LOOPBACK: Range[] = ['127.0.0.0/8', '::1/128'].map(cidr);
const UNSPECIFIED: Range[] = ['0.0.0.0/8', '::/128'].map(cidr);
const PRIVATE: Range[] = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10', // carrier-grade NAT, used inside clouds (Alibaba, Tailscale)
  '192.0.0.0/24', // IETF protocol assignments
  '198.18.0.0/15', // benchmarking, seen on internal test networks
  'fc00::/7', // unique local
  'fec0::/10', // deprecated site-local, still routed inside some networks
].map(cidr);

const inAny = (addr: ipaddr.IPv4 | ipaddr.IPv6, ranges: Range[]) => ranges.some(([net, bits]) => addr.kind() === net.kind() && addr.match(net, bits));

/**
 * The IPv4 address an IPv6 address stands for, when it carries one: IPv4-mapped (::ffff:a.b.c.d),
 * IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16). Connecting to any of
 * these reaches (or may reach) the IPv4 address, so that is the one to judge.
 */
function embeddedIPv4(addr: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = addr.parts;
  const fromWords = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  if (addr.isIPv4MappedAddress()) return addr.toIPv4Address();
  if (p.slice(0, 6).every((w) => w === 0) && (p[6] !== 0 || (p[7] ?? 0) > 1)) return fromWords(p[6]!, p[7]!);
  if (addr.match(ipaddr.parseCIDR('64:ff9b::/96'))) return fromWords(p[6]!, p[7]!);
  if (p[0] === 0x2002) return fromWords(p[1]!, p[2]!);
  return undefined;
}

function kindOf(addr: ipaddr.IPv4 | ipaddr.IPv6): AddressKind {
  if (inAny(addr, METADATA)) return 'metadata';
  if (inAny(addr, NOT_UNICAST)) return 'not-unicast';
  if (inAny(addr, LOOPBACK)) return 'loopback';
  if (inAny(addr, UNSPECIFIED)) return 'unspecified';
  if (inAny(addr, PRIVATE)) return 'private';
  return 'public';
}

/**
 * Parses an IP address in any notation a URL host or a resolver may carry: dotted, decimal,
 * hex, octal and short IPv4 forms, IPv6 with or without brackets. Returns undefined for a name.
 */
export function parseIpAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  let host = text.trim();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.includes('%')) return undefined; // zone ids only exist on link-local addresses, refused as names
  if (ipaddr.IPv6.isValid(host)) return ipaddr.IPv6.parse(host);
  // ipaddr.js accepts the same legacy IPv4 forms inet_aton does (0xa9fea9fe, 2852039166, 0251.0376.0251.0376, 169.254.43518)
  if (ipaddr.IPv4.isValid(host)) return ipaddr.IPv4.parse(host);
  return undefined;
}

/** Canonical text of an address: dotted quad, or compressed IPv6. */
function canonical(addr: ipaddr.IPv4 | ipaddr.IPv6): string {
  return addr.toString();
}

/** Classifies one address (metadata, loopback, private...) without any allow-list. */
export function classifyAddress(address: string): AddressKind {
  const addr = parseIpAddress(address);
  if (!addr) throw new TypeError('not an IP address');
  return classifyParsed(addr).kind;
}

function classifyParsed(addr: ipaddr.IPv4 | ipaddr.IPv6): { kind: AddressKind; judged: ipaddr.IPv4 | ipaddr.IPv6 } {
  const own = kindOf(addr);
  if (addr.kind() === 'ipv6' && own !== 'metadata' && own !== 'not-unicast' && own !== 'loopback' && own !== 'unspecified') {
    const v4 = embeddedIPv4(addr as ipaddr.IPv6);
    if (v4) return { kind: kindOf(v4), judged: v4 };
  }
  return { kind: own, judged: addr };
}

const KIND_WORDS: Record<AddressKind, string> = {
  metadata: 'a link-local or cloud metadata address',
  'not-unicast': 'a multicast, reserved or translated address',
  loopback: 'a loopback address',
  unspecified: 'an unspecified address (0.0.0.0 or ::), which reaches the hub itself',
  private: 'a private-network address',
  public: 'a public address',
};

function parseCidrEntry(entry: string, variable: string): Range {
  const fail = (why: string): never => {
    throw new ConfigError(`${variable} entry "${entry}" is not valid: ${why}. Give comma-separated CIDRs such as 127.0.0.0/8,::1/128.`);
  };
  const [addrText, bitsText, extra] = entry.split('/');
  if (extra !== undefined || !addrText) return fail('write one address and one prefix length');
  // Only the plain notations here: an operator writing 0x7f/8 has made a mistake, not a choice.
  const isV4 = ipaddr.IPv4.isValidFourPartDecimal(addrText);
  if (!isV4 && !ipaddr.IPv6.isValid(addrText)) return fail('the address is neither a dotted IPv4 address nor an IPv6 address');
  const addr = isV4 ? ipaddr.IPv4.parse(addrText) : ipaddr.IPv6.parse(addrText);
  const max = isV4 ? 32 : 128;
  const bits = bitsText === undefined ? max : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
  if (!(bits >= 0 && bits <= max)) return fail(`the prefix length must be a whole number from 0 to ${max}`);
  const network = isV4 ? ipaddr.IPv4.networkAddressFromCIDR(`${addrText}/${bits}`) : ipaddr.IPv6.networkAddressFromCIDR(`${addrText}/${bits}`);
  if (network.toString() !== addr.toString()) return fail(`it has bits set beyond the prefix (its network is ${network.toString()}/${bits})`);
  return [addr, bits];
}

/**
 * Builds the policy from an allow-list of CIDRs (the value of HUB_ALLOWED_CLUSTER_NETWORKS).
 * Loopback, unspecified and private addresses are reachable only inside an allowed network;
 * metadata and non-unicast addresses never are. Throws ConfigError naming a bad entry.
 */
export function parseNetworkPolicy(allowList: string | undefined, variable = ALLOWED_NETWORKS_VARIABLE): NetworkPolicy {
  const entries = (allowList ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const ranges = entries.map((e) => parseCidrEntry(e, variable));
  const allowedNetworks = ranges.map(([a, b]) => `${a.toString()}/${b}`);
  const inAllowList = (addr: ipaddr.IPv4 | ipaddr.IPv6) => inAny(addr, ranges);

  return {
    allowedNetworks,
    checkAddress(address: string): AddressVerdict {
      const addr = parseIpAddress(address);
      if (!addr) {
        return { allowed: false, address, kind: 'not-unicast', reason: 'The server address is not an IP address the hub can check.' };
      }
      const { kind, judged } = classifyParsed(addr);
      const text = canonical(addr);
      const shown = judged === addr ? text : `${text} (which reaches ${canonical(judged)})`;
      switch (kind) {
        case 'public':
          return { allowed: true, address: text, kind };
        case 'metadata':
        case 'not-unicast':
          return { allowed: false, address: text, kind, reason: `${shown} is ${KIND_WORDS[kind]}, which the hub never connects to.` };
        default:
          if (inAllowList(addr) || inAllowList(judged)) return { allowed: true, address: text, kind };
          return {
            allowed: false,
            address: text,
            kind,
            reason: `${shown} is ${KIND_WORDS[kind]}; the hub connects to such addresses only when the operator lists their network in ${variable}.`,
          };
      }
    },
  };
}

/** The policy the operator configured through HUB_ALLOWED_CLUSTER_NETWORKS (empty: none of the local ranges). */
export function networkPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): NetworkPolicy {
  return parseNetworkPolicy(env[ALLOWED_NETWORKS_VARIABLE]);
}

// Names that only ever resolve to a metadata service; refusing them by name gives a clearer
// sentence than the connect-time check would (which refuses them too).
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);

/**
 * Decides on the host of a server URL (URL.hostname) before any connection: IP literals are
 * judged now; `localhost` is judged as 127.0.0.1; metadata names are refused; other names return
 * undefined, to be judged address by address when they are resolved.
 */
export function checkServerHost(hostname: string, policy: NetworkPolicy): AddressVerdict | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (parseIpAddress(host)) return policy.checkAddress(host);
  if (METADATA_NAMES.has(host)) {
    return { allowed: false, address: host, kind: 'metadata', reason: `${host} is a cloud metadata host name, which the hub never connects to.` };
  }
  if (host === 'localhost' || host.endsWith('.localhost')) {
    const verdict = policy.checkAddress('127.0.0.1');
    return verdict.allowed ? undefined : { ...verdict, address: host, reason: verdict.reason?.replace('127.0.0.1', `${host} (127.0.0.1)`) };
  }
  return undefined;
}
