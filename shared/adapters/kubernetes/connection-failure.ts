/**
 * Turns whatever went wrong on the way to a cluster into one of the reasons users and filters
 * know (tls, dns, refused, unauthorized, timeout, forbidden, unknown) and a sentence a person can
 * act on. Sentences are built from error codes and statuses, never from raw messages, and are
 * scrubbed of the credential as a last guard: they end up in responses, logs and audit entries.
 */
import { shownFailureText } from '#shared/domain/clusters/failure-text.ts';
import { ClusterUnavailableError, type ConnectionFailureReason } from '#shared/ports/cluster-gateway.ts';
import { AddressRefusedError, RedirectRefusedError, ResponseTooLargeError } from './guarded-transport.ts';

/** The per-call deadline passed. */
export class DeadlineExceededError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`deadline of ${timeoutMs} ms exceeded`);
    this.name = 'DeadlineExceededError';
  }
}

export interface FailureContext {
  /** host:port of the server, shown in sentences. */
  endpoint: string;
  /** Values that must never appear in a sentence (the token, the key). */
  secrets: string[];
}

const TLS_SENTENCES: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its certificate is not signed by the certificate authority in the kubeconfig',
  UNABLE_TO_GET_ISSUER_CERT: 'its certificate is not signed by the certificate authority in the kubeconfig',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its certificate is not signed by the certificate authority in the kubeconfig',
  SELF_SIGNED_CERT_IN_CHAIN: 'its certificate is not signed by the certificate authority in the kubeconfig',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it presents a self-signed certificate that the kubeconfig does not trust',
  CERT_SIGNATURE_FAILURE: 'its certificate signature does not verify',
  CERT_HAS_EXPIRED: 'its certificate has expired',
  CERT_NOT_YET_VALID: 'its certificate is not valid yet',
  CERT_REVOKED: 'its certificate has been revoked',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its certificate is not issued for this host name (tls-server-name can name the one it is issued for)',
  EPROTO: 'it does not speak TLS on this port',
  ERR_SSL_WRONG_VERSION_NUMBER: 'it does not speak TLS on this port',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'it does not speak TLS on this port',
};

const isTlsCode = (code: string) => code in TLS_SENTENCES || /^ERR_(TLS|SSL)_/.test(code) || /CERT|SIGNATURE|_KEY_|ISSUER/.test(code);

interface HttpFailure {
  code: number;
  body?: unknown;
}

/** ApiException of @kubernetes/client-node, recognized by shape so this file does not load the client. */
function asHttpFailure(err: unknown): HttpFailure | undefined {
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && 'body' in err) return err as unknown as HttpFailure;
  return undefined;
}

/** Status.message of a Kubernetes error body, trimmed: it says which resource and verb were refused. */
export function statusMessage(body: unknown): string | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const message = typeof value === 'object' && value !== null ? (value as { message?: unknown }).message : undefined;
  if (typeof message !== 'string' || !message) return undefined;
  return message.length > 300 ? `${message.slice(0, 300)}...` : message;
}

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = err;
  while (current !== undefined && current !== null && chain.length < 8 && !chain.includes(current)) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** The first error of `type` in the cause chain of `err` (the Kubernetes client may wrap the transport's errors). */
export function causeOf<T>(err: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  return causes(err).find((e): e is T => e instanceof type);
}

function classify(err: unknown, ctx: FailureContext): { reason: ConnectionFailureReason; message: string } {
  const chain = causes(err);
  const find = <T>(type: abstract new (...args: never[]) => T) => chain.find((e): e is T => e instanceof type);

  const deadline = find(DeadlineExceededError);
  if (deadline) {
    return { reason: 'timeout', message: `The cluster at ${ctx.endpoint} did not answer within ${formatSeconds(deadline.timeoutMs)}.` };
  }
  const refused = find(AddressRefusedError);
  if (refused) return { reason: 'refused', message: `The hub refused to connect: ${refused.message}` };
  const redirect = find(RedirectRefusedError);
  if (redirect) {
    const to = redirect.target ? ` to ${redirect.target}` : '';
    return {
      reason: 'unknown',
      message: `The cluster at ${ctx.endpoint} answered with a redirect (HTTP ${redirect.status}${to}), which the hub does not follow: register the address of the API server itself.`,
    };
  }
  const tooLarge = find(ResponseTooLargeError);
  if (tooLarge) return { reason: 'unknown', message: tooLargeSentence(ctx.endpoint, tooLarge.limit) };

  const http = chain.map(asHttpFailure).find((h) => h !== undefined);
  if (http) {
    const detail = statusMessage(http.body);
    if (http.code === 401) {
      return { reason: 'unauthorized', message: `The cluster at ${ctx.endpoint} did not accept the credential (HTTP 401): it is wrong, expired or revoked.` };
    }
    if (http.code === 403) {
      return { reason: 'forbidden', message: `The credential may not do this on the cluster at ${ctx.endpoint} (HTTP 403)${detail ? `: ${detail}` : '.'}` };
    }
    return { reason: 'unknown', message: `The cluster at ${ctx.endpoint} answered HTTP ${http.code}${detail ? `: ${detail}` : '.'}` };
  }

  for (const e of chain) {
    const code = (e as { code?: unknown })?.code;
    if (typeof code !== 'string') continue;
    const host = ctx.endpoint.replace(/:\d+$/, '');
    switch (code) {
      case 'ENOTFOUND':
      case 'EAI_NONAME':
      case 'EAI_NODATA':
      case 'EAI_AGAIN':
      case 'EAI_FAIL':
        return { reason: 'dns', message: `The name ${host} could not be resolved${code === 'EAI_AGAIN' ? ' (the DNS server did not answer)' : ''}.` };
      case 'ECONNREFUSED':
        return { reason: 'refused', message: `The cluster at ${ctx.endpoint} refused the connection: nothing listens there, or a firewall rejects it.` };
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return { reason: 'refused', message: `There is no route from the hub to ${ctx.endpoint}.` };
      case 'ETIMEDOUT':
        return { reason: 'timeout', message: `The connection to ${ctx.endpoint} timed out.` };
      case 'ECONNRESET':
        return { reason: 'unknown', message: `The cluster at ${ctx.endpoint} closed the connection unexpectedly.` };
      default:
        if (isTlsCode(code)) {
          const why = TLS_SENTENCES[code] ?? `the TLS handshake failed (${code})`;
          return { reason: 'tls', message: `The hub could not establish a trusted connection to ${ctx.endpoint}: ${why}.` };
        }
    }
  }
  const name = err instanceof Error ? err.name : typeof err;
  return { reason: 'unknown', message: `The hub could not talk to the cluster at ${ctx.endpoint} (${name}).` };
}

/** Why an answer was refused for its size, naming the limit and the setting that raises it. */
export function tooLargeSentence(endpoint: string, limit: number): string {
  const size = limit % (1024 * 1024) === 0 ? `${limit / (1024 * 1024)} MiB` : `${Math.round(limit / 1024)} KiB`;
  return `The cluster at ${endpoint} sent an answer larger than ${size}, the most the hub reads at once (HUB_MAX_CLUSTER_RESPONSE_BYTES), even for a page of one object.`;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** Replaces every credential value (of 4 characters or more) in a sentence with [redacted]. */
export function redact(message: string, secrets: string[]): string {
  let out = message;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/** Classifies a failure and wraps it as ClusterUnavailableError (a ClusterUnavailableError passes through). */
export function toClusterUnavailable(err: unknown, ctx: FailureContext): ClusterUnavailableError {
  if (err instanceof ClusterUnavailableError) return err;
  const { reason, message } = classify(err, ctx);
  // The sentence may quote the cluster's own text (Status.message): capped and scrubbed of anything credential-like too.
  return new ClusterUnavailableError(reason, shownFailureText(redact(message, ctx.secrets)));
}
