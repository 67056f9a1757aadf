/**
 * The only way the Kubernetes adapter reaches a cluster: HTTPS to the checked server, through an
 * agent whose DNS lookup judges every answer with the network policy and hands the socket only
 * the addresses it judged. No proxy, no redirects, no files; a deadline on every request.
 *
 * @kubernetes/client-node is used for its typed API and models only: its own transport (which
 * would honour proxy-url and follow redirects) is replaced by this one.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { Agent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ClusterConnection } from '#shared/domain/clusters/kubeconfig-policy.ts';
import type { Impersonation } from '#shared/ports/cluster-gateway.ts';
import { checkServerHost, parseIpAddress, type AddressVerdict, type NetworkPolicy } from '#shared/domain/clusters/network-policy.ts';

/** Resolves a host name to every address it has (tests swap in their own answers). */
export type HostResolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

/** The operating system's resolver (getaddrinfo, /etc/hosts included), every address it knows. */
export const systemResolver: HostResolver = (hostname) => dnsLookup(hostname, { all: true, order: 'verbatim' });

/** The policy refused an address the server's name resolved to (or its literal address). */
export class AddressRefusedError extends Error {
  constructor(
    readonly host: string,
    readonly verdict: AddressVerdict,
  ) {
    super(
      host === verdict.address
        ? (verdict.reason ?? 'address refused')
        : `${host} resolves to ${verdict.address}, and ${verdict.reason ?? 'that address is refused.'}`,
    );
    this.name = 'AddressRefusedError';
  }
}

/** The server answered with a redirect, which the hub never follows. */
export class RedirectRefusedError extends Error {
  constructor(
    readonly status: number,
    /** Origin of the Location header (scheme, host, port), or undefined when there was none or it was not a URL. */
    readonly target: string | undefined,
  ) {
    super(`redirect ${status}`);
    this.name = 'RedirectRefusedError';
  }
}

/** The answer was larger than the transport keeps in memory; the request was aborted. */
export class ResponseTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`response larger than ${limit} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/**
 * The most one answer may hold, unless configured (HUB_MAX_CLUSTER_RESPONSE_BYTES): a live view
 * makes five or six calls at once, each answer is parsed into objects several times its size, and
 * a function has 1 GB. Lists page, so only a page has to fit.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export interface TransportRequest {
  method: string;
  /** Path and query from the server's origin (including any path prefix of the server URL). */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface GuardedTransportOptions {
  networks: NetworkPolicy;
  resolveHost?: HostResolver;
  maxResponseBytes?: number;
  /** Whom every request acts for (Impersonate-User, Impersonate-Group), set after the caller's headers so none can override it. */
  impersonate?: Impersonation;
  /**
   * The keep-alive agent of this connection (clusterAgent), shared by the transports on the same
   * credential so that a request does not open a TLS connection afresh; its owner closes it. Without
   * it the transport makes its own and closes it with itself.
   */
  agent?: Agent;
}

/** How long an idle kept-alive connection to a cluster stays open. */
export const IDLE_SOCKET_MS = 30_000;

/**
 * The agent of one cluster connection: its CA, server name and client certificate, and a DNS
 * lookup that judges every answer with the network policy. Idle sockets close after IDLE_SOCKET_MS.
 */
export function clusterAgent(connection: ClusterConnection, options: Pick<GuardedTransportOptions, 'networks' | 'resolveHost'>): Agent {
  const credential = connection.credential;
  return new Agent({
    keepAlive: true,
    maxSockets: 8,
    timeout: IDLE_SOCKET_MS,
    lookup: guardedLookup(options.networks, options.resolveHost ?? systemResolver),
    ...(connection.caPem ? { ca: connection.caPem } : {}),
    ...(connection.tlsServerName ? { servername: connection.tlsServerName } : {}),
    ...(credential.kind === 'client-certificate' ? { cert: credential.certificatePem, key: credential.keyPem } : {}),
    rejectUnauthorized: !connection.summary.insecureSkipTlsVerify,
  });
}

/** HTTPS to one cluster, guarded by the network policy; one per gateway, sharing at most the agent of the same credential, never another cluster's. */
export class GuardedTransport {
  readonly origin: string;
  private readonly hostname: string;
  private readonly port: number;
  private readonly agent: Agent;
  private readonly ownsAgent: boolean;
  private readonly authorization?: string;
  private readonly literalRefusal?: AddressRefusedError;
  private readonly maxResponseBytes: number;
  private readonly impersonate?: Impersonation;

  constructor(connection: ClusterConnection, options: GuardedTransportOptions) {
    const url = new URL(connection.summary.server);
    this.origin = url.origin;
    this.hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = url.port ? Number(url.port) : 443;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.impersonate = options.impersonate;

    // Node never calls `lookup` for an IP literal, so a literal is judged here, once.
    if (parseIpAddress(this.hostname)) {
      const verdict = options.networks.checkAddress(this.hostname);
      if (!verdict.allowed) this.literalRefusal = new AddressRefusedError(this.hostname, verdict);
    } else {
      const verdict = checkServerHost(this.hostname, options.networks);
      if (verdict && !verdict.allowed) this.literalRefusal = new AddressRefusedError(this.hostname, verdict);
    }

    const credential = connection.credential;
    if (credential.kind === 'token') this.authorization = `Bearer ${credential.token}`;
    this.ownsAgent = options.agent === undefined;
    this.agent = options.agent ?? clusterAgent(connection, options);
  }

  /** Sends one request; rejects on a refused address, a redirect, an oversized answer or the signal. */
  request(req: TransportRequest): Promise<TransportResponse> {
    if (this.literalRefusal) return Promise.reject(this.literalRefusal);
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | string[]> = { 'user-agent': 'clusterhub', ...req.headers };
      if (this.authorization) headers.authorization = this.authorization;
      if (this.impersonate) {
        for (const name of Object.keys(headers)) if (name.toLowerCase().startsWith('impersonate-')) delete headers[name];
        headers['impersonate-user'] = this.impersonate.user;
        headers['impersonate-group'] = this.impersonate.groups;
      }
      if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
      const outgoing = httpsRequest(
        {
          agent: this.agent,
          host: this.hostname,
          port: this.port,
          method: req.method,
          path: req.path,
          headers,
          ...(req.signal ? { signal: req.signal } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 300 && status < 400) {
            res.resume();
            reject(new RedirectRefusedError(status, originOf(res.headers.location, this.origin)));
            return;
          }
          // Too large: stop reading and close the connection (the rest of the body is never received).
          const tooLarge = () => {
            const err = new ResponseTooLargeError(this.maxResponseBytes);
            reject(err);
            res.destroy(err);
          };
          if (Number(res.headers['content-length']) > this.maxResponseBytes) {
            tooLarge();
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.maxResponseBytes) {
              chunks.length = 0;
              tooLarge();
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            const flat: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
            }
            resolve({ status, headers: flat, body: Buffer.concat(chunks) });
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(req.body);
    });
  }

  /** Closes its keep-alive connections, unless they belong to a shared agent (whose owner closes them). */
  close(): void {
    if (this.ownsAgent) this.agent.destroy();
  }
}

function originOf(location: string | undefined, base: string): string | undefined {
  if (!location) return undefined;
  try {
    return new URL(location, base).origin;
  } catch {
    return undefined;
  }
}

/**
 * A `lookup` for net.connect that resolves the name itself, refuses the connection when any
 * answer is refused by the policy (a name that also points at a metadata address is hostile,
 * not half-usable), and otherwise returns exactly the addresses it checked.
 */
export function guardedLookup(networks: NetworkPolicy, resolveHost: HostResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolveHost(hostname).then(
      (answers) => {
        if (answers.length === 0) {
          const err = Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND', hostname });
          callback(err, '', 0);
          return;
        }
        for (const answer of answers) {
          const verdict = networks.checkAddress(answer.address);
          if (!verdict.allowed) {
            callback(new AddressRefusedError(hostname, verdict) as NodeJS.ErrnoException, '', 0);
            return;
          }
        }
        const family = typeof options.family === 'number' ? options.family : 0;
        const usable = family === 4 || family === 6 ? answers.filter((a) => a.family === family) : answers;
        if (usable.length === 0) {
          const err = Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND', hostname });
          callback(err, '', 0);
          return;
        }
        if (options.all) callback(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}
