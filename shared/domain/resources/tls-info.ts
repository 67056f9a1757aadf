/**
 * What a kubernetes.io/tls Secret's certificate says: subject, names, issuer, validity and the
 * days it has left (negative once expired), for every certificate of its chain. The private key
 * is read only to say whether it belongs to the certificate; no byte of the Secret is answered.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { AppError } from '#shared/domain/errors.ts';
import type { ClusterGateway } from '#shared/ports/cluster-gateway.ts';

const SECRETS = { group: '', version: 'v1', plural: 'secrets' };
const DAY_MS = 86_400_000;
/** More certificates than any real chain has: the rest of a bundle is not parsed. */
const MAX_CHAIN = 20;

export interface SubjectAltNames {
  dns: string[];
  ip: string[];
  email: string[];
  uri: string[];
}

export interface CertificateInfo {
  subject: string;
  common_name: string | null;
  issuer: string;
  subject_alt_names: SubjectAltNames;
  serial_number: string;
  not_before: string;
  not_after: string;
  /** Whole days until not_after: 0 on its last day, negative once expired. */
  days_remaining: number;
  expired: boolean;
  not_yet_valid: boolean;
  is_ca: boolean;
  self_signed: boolean;
  key_type: string | null;
  key_size: number | null;
  key_curve: string | null;
  fingerprint_sha256: string;
}

export interface TlsInfo {
  /** The leaf: the first certificate of tls.crt. */
  certificate: CertificateInfo;
  /** tls.crt in order, leaf first. */
  chain: CertificateInfo[];
  /** Each certificate of the chain is issued and signed by the next. */
  chain_valid: boolean;
  /** Whether tls.key is the leaf's private key; null when it is absent or unreadable. */
  key_matches_certificate: boolean | null;
  /** The certificates of ca.crt, when the Secret has one (cert-manager writes it). */
  ca: CertificateInfo[];
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle; none when one of them cannot be parsed (a damaged bundle is no chain). */
function readable(pem: string): X509Certificate[] {
  try {
    return [...pem.matchAll(PEM_CERTIFICATE)].slice(0, MAX_CHAIN).map((m) => new X509Certificate(m[0]));
  } catch {
    return [];
  }
}

/** Node writes subjectAltName as `DNS:a, IP Address:10.0.0.1, email:x`, quoting a value that holds a comma. */
export function subjectAltNames(text: string | undefined): SubjectAltNames {
  const names: SubjectAltNames = { dns: [], ip: [], email: [], uri: [] };
  for (const [, type, raw = ''] of (text ?? '').matchAll(/([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g)) {
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    if (type === 'DNS') names.dns.push(value);
    else if (type === 'IP Address') names.ip.push(value);
    else if (type === 'email') names.email.push(value);
    else if (type === 'URI') names.uri.push(value);
  }
  return names;
}

/** Node writes a distinguished name one attribute per line: shown on one line, as openssl does. */
const oneLine = (name: string) => name.split('\n').filter(Boolean).join(', ');

function describe(cert: X509Certificate, now: Date): CertificateInfo {
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  const details = cert.publicKey.asymmetricKeyDetails ?? {};
  return {
    subject: oneLine(cert.subject),
    common_name: /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? null,
    issuer: oneLine(cert.issuer),
    subject_alt_names: subjectAltNames(cert.subjectAltName),
    serial_number: cert.serialNumber,
    not_before: notBefore.toISOString(),
    not_after: notAfter.toISOString(),
    days_remaining: Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS),
    expired: now.getTime() > notAfter.getTime(),
    not_yet_valid: now.getTime() < notBefore.getTime(),
    is_ca: cert.ca,
    self_signed: cert.checkIssued(cert) && cert.verify(cert.publicKey),
    key_type: cert.publicKey.asymmetricKeyType ?? null,
    key_size: details.modulusLength ?? null,
    key_curve: details.namedCurve ?? null,
    fingerprint_sha256: cert.fingerprint256,
  };
}

const decoded = (value: unknown) => (typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : '');

function keyMatches(leaf: X509Certificate, keyPem: string): boolean | null {
  if (!keyPem) return null;
  try {
    return leaf.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return null;
  }
}

/** Reads the Secret and describes its certificates; 422 when it holds none. */
export async function tlsInfo(gateway: ClusterGateway, namespace: string, name: string, now: Date): Promise<TlsInfo> {
  const { object: secret } = await gateway.get({ ...SECRETS, namespace, name });
  const data = (secret.data ?? {}) as Record<string, unknown>;
  if (typeof data['tls.crt'] !== 'string') {
    throw new AppError('unprocessable', 'NOT_A_TLS_SECRET', `Secret ${namespace}/${name} has no tls.crt (type ${String(secret.type ?? 'Opaque')}).`);
  }
  const chain = readable(decoded(data['tls.crt']));
  const ca = readable(decoded(data['ca.crt']));
  const leaf = chain[0];
  if (!leaf) throw new AppError('unprocessable', 'CERTIFICATE_UNREADABLE', `The tls.crt of Secret ${namespace}/${name} holds no readable PEM certificate.`);
  const described = chain.map((cert) => describe(cert, now));
  return {
    certificate: described[0]!,
    chain: described,
    chain_valid: chain.every((cert, i) => i === chain.length - 1 || (cert.checkIssued(chain[i + 1]!) && cert.verify(chain[i + 1]!.publicKey))),
    key_matches_certificate: keyMatches(leaf, decoded(data['tls.key'])),
    ca: ca.map((cert) => describe(cert, now)),
  };
}
