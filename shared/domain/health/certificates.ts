/**
 * Certificate facts for the expiry radar, read from PEM or a JWT without keeping either: only the
 * subject's common name, the issuer's and the end of validity leave these functions. A key, a
 * token or a Secret value never does.
 */
import { X509Certificate } from 'node:crypto';

export interface CertificateFacts {
  /** The subject's CN (or the whole subject when it has none), cut short. */
  subject: string;
  issuer: string;
  notAfter: string;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const MAX_NAME = 200;

function commonName(distinguished: string): string {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(distinguished)?.[1];
  return (cn ?? distinguished.replace(/\n/g, ', ')).slice(0, MAX_NAME);
}

/** Every certificate of a PEM bundle that parses (a leaf and its chain, or a CA bundle); the rest is skipped. */
export function certificatesOf(pem: string): CertificateFacts[] {
  const facts: CertificateFacts[] = [];
  for (const block of pem.match(PEM_CERTIFICATE) ?? []) {
    try {
      const cert = new X509Certificate(block);
      facts.push({ subject: commonName(cert.subject), issuer: commonName(cert.issuer), notAfter: new Date(cert.validTo).toISOString() });
    } catch {
      // Not a certificate Node can read: the radar cannot date it, and says nothing rather than guess.
    }
  }
  return facts;
}

/** The first certificate of a PEM bundle: the leaf, for a TLS Secret's `tls.crt`. */
export function leafCertificate(pem: string): CertificateFacts | undefined {
  return certificatesOf(pem)[0];
}

/** What a bearer token says of its end: when it expires, or why its `exp` cannot be read as a time. */
export type TokenExpiry = { expiresAt: string } | { invalid: string };

/** The latest `exp` the radar dates, in seconds since the epoch: the end of year 9999, the last an ISO 8601 time writes in its plain form. */
const MAX_EXP_SECONDS = 253_402_300_799;

/**
 * When a JWT bearer token expires (`exp`), from its payload alone; undefined for a token that is no
 * JWT or carries none. An `exp` that names no time from 1970 to 9999 (a string, a negative number,
 * 1e20) is `invalid` with the reason, never a date: it would throw, or date the radar's entry in a
 * form other clients cannot read.
 */
export function tokenExpiry(token: string): TokenExpiry | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null || !('exp' in payload) || payload.exp === undefined) return undefined;
  const { exp } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp) || exp < 0 || exp > MAX_EXP_SECONDS) {
    return { invalid: 'The bearer token’s exp claim is not a time between 1970 and 9999, so its expiry is unknown.' };
  }
  return { expiresAt: new Date(Math.floor(exp * 1000)).toISOString() };
}
