/**
 * KubeconfigPolicy: what the hub accepts in an uploaded kubeconfig, and the kubeconfig it keeps.
 *
 * A kubeconfig is hostile input: @kubernetes/client-node runs `exec` plugins and auth-provider
 * commands, reads token and certificate files, honours proxy-url and sends basic auth. So only
 * inline data is accepted (server, CA data, a token or a client certificate and key), everything
 * else in the chosen context is refused with a sentence naming the field, and what is stored is
 * a kubeconfig rebuilt from the accepted fields only, never the uploaded text.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isScalar, LineCounter, parseDocument, stringify as stringifyYaml, visit, YAMLError } from 'yaml';
import { ConfigError } from '#shared/config/config.ts';
import { InputError, type FieldError } from '#shared/domain/errors.ts';
import { checkServerHost, networkPolicyFromEnv, type NetworkPolicy } from './network-policy.ts';

export type KubeconfigAuthKind = 'token' | 'client-certificate';

/** What a checked kubeconfig says, without its secrets: safe to store, log and show. */
export interface KubeconfigSummary {
  /** The API server, normalized: https://host[:port][/path]. */
  server: string;
  context: string;
  cluster: string;
  user: string;
  namespace?: string;
  authKind: KubeconfigAuthKind;
  /** Only ever true when the operator allows it (HUB_ALLOW_INSECURE_CLUSTER_TLS). */
  insecureSkipTlsVerify: boolean;
}

/** A kubeconfig rebuilt from checked inline data: one cluster, one user, one context. */
export interface CheckedKubeconfig {
  /** YAML text of the rebuilt kubeconfig. Holds the credential: keep it in the secret store only. */
  kubeconfig: string;
  summary: KubeconfigSummary;
}

export type ClusterCredential = { kind: 'token'; token: string } | { kind: 'client-certificate'; certificatePem: string; keyPem: string };

/** Everything needed to open a connection to the cluster. Holds the credential: never log it. */
export interface ClusterConnection {
  summary: KubeconfigSummary;
  /** PEM bundle of the cluster CA; absent to use the public trust store (or with insecureSkipTlsVerify). */
  caPem?: string;
  /** Name to verify the server certificate against instead of the server's host. */
  tlsServerName?: string;
  credential: ClusterCredential;
}

export interface KubeconfigPolicy {
  networks: NetworkPolicy;
  /** Accept insecure-skip-tls-verify: true (off unless the operator turns it on). */
  allowInsecureTls: boolean;
}

export interface KubeconfigSource {
  /** The uploaded kubeconfig: YAML (or JSON) text, or the same base64-encoded. */
  text: string;
  /** `auto` decodes base64 when the text is nothing but base64 (a YAML kubeconfig never is). */
  encoding?: 'auto' | 'yaml' | 'base64';
  /** The context to use; defaults to current-context, or the only context. */
  context?: string;
  /** The request field the text came from, to name in errors (default `kubeconfig`). */
  field?: string;
  /** Size limits; uploads get UPLOAD_KUBECONFIG_LIMITS (the default), the local run's own file TRUSTED_KUBECONFIG_LIMITS. */
  limits?: KubeconfigLimits;
}

/**
 * What a kubeconfig may weigh before it is parsed. `keys` bounds the mapping keys and flow
 * entries, counted as the `:`, `,` and `?` characters of the text (an over-count), so a document
 * with tens of thousands of tiny keys is refused before the parser builds a node for each.
 */
export interface KubeconfigLimits {
  bytes: number;
  keys: number;
}

/**
 * Uploaded kubeconfigs (inline, base64, imported from the secret store): 64 KiB. A kubeconfig of
 * one cluster with a CA, a client certificate and key is about 6 KiB; 64 KiB holds some twenty such
 * contexts, and a real one of that size has a few hundred keys (5,000 leaves a wide margin).
 */
export const UPLOAD_KUBECONFIG_LIMITS: KubeconfigLimits = { bytes: 64 * 1024, keys: 5_000 };
/**
 * Kubeconfigs no caller of the API wrote: the local run's own ~/.kube/config (its owner may merge
 * many contexts into it), and the ones the hub rebuilt and stored (a little longer than the upload
 * they came from when it was compact JSON).
 */
export const TRUSTED_KUBECONFIG_LIMITS: KubeconfigLimits = { bytes: 1024 * 1024, keys: 80_000 };

export const INSECURE_TLS_VARIABLE = 'HUB_ALLOW_INSECURE_CLUSTER_TLS';
const MAX_TOKEN_LENGTH = 64 * 1024;

/** The policy the operator configured through HUB_ALLOWED_CLUSTER_NETWORKS and HUB_ALLOW_INSECURE_CLUSTER_TLS. */
export function kubeconfigPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): KubeconfigPolicy {
  const insecure = (env[INSECURE_TLS_VARIABLE] ?? '').trim().toLowerCase();
  if (!['', 'true', 'false', '1', '0'].includes(insecure)) {
    throw new ConfigError(`${INSECURE_TLS_VARIABLE}=${JSON.stringify(env[INSECURE_TLS_VARIABLE])} is not valid: set it to true or false, or unset it.`);
  }
  return { networks: networkPolicyFromEnv(env), allowInsecureTls: insecure === 'true' || insecure === '1' };
}

/**
 * Parses an uploaded kubeconfig, picks the context, checks it against the policy and rebuilds it.
 * Throws InputError listing every refused field of the chosen context.
 */
export function checkKubeconfig(source: KubeconfigSource, policy: KubeconfigPolicy): CheckedKubeconfig {
  const connection = inspectKubeconfig(source, policy);
  return { kubeconfig: renderKubeconfig(connection), summary: connection.summary };
}

/**
 * Reads a stored (rebuilt) kubeconfig back into connection details, checking it again so that an
 * adapter never connects with anything the current policy would refuse.
 */
export function readClusterConnection(kubeconfig: string, policy: KubeconfigPolicy): ClusterConnection {
  return inspectKubeconfig({ text: kubeconfig, encoding: 'yaml', limits: TRUSTED_KUBECONFIG_LIMITS }, policy);
}

/** Builds the kubeconfig for a connection (used after onboarding a service account, with its token). */
export function buildKubeconfig(connection: ClusterConnection): CheckedKubeconfig {
  const summary: KubeconfigSummary = { ...connection.summary, authKind: connection.credential.kind };
  const rebuilt = { ...connection, summary };
  return { kubeconfig: renderKubeconfig(rebuilt), summary };
}

// ---------------------------------------------------------------------------------------------

type YamlMap = Record<string, unknown>;

class Problems {
  readonly errors: FieldError[] = [];
  constructor(private readonly field: string) {}
  /** `path` names the spot inside the kubeconfig; the sentence starts with it. */
  add(path: string, sentence: string) {
    this.errors.push({ field: path ? `${this.field}.${path}` : this.field, location: 'body', message: path ? `${path} ${sentence}` : sentence });
  }
  addRequestField(field: string, message: string) {
    this.errors.push({ field, location: 'body', message });
  }
  fail(): never {
    const count = this.errors.length;
    const messages = this.errors.map((e) => e.message).join(' ');
    // Sentences about the whole document already say "The kubeconfig ..."; field sentences need the lead.
    if (messages.startsWith('The kubeconfig')) throw new InputError(messages, this.errors);
    const lead = count === 1 ? 'The kubeconfig is not accepted:' : `The kubeconfig is not accepted (${count} problems):`;
    throw new InputError(`${lead} ${messages}`, this.errors);
  }
}

const isMap = (v: unknown): v is YamlMap => typeof v === 'object' && v !== null && !Array.isArray(v);
const present = (m: YamlMap, key: string) => m[key] !== undefined && m[key] !== null && m[key] !== '';
// Names are shown back to users and written into the rebuilt kubeconfig: printable, bounded.
const isName = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= 253 && ![...v].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);

function decodeBase64(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '');
  if (!compact || compact.length % 4 === 1) return undefined;
  if (/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || /^[A-Za-z0-9_-]*={0,2}$/.test(compact)) {
    return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
  }
  return undefined;
}

const tooLarge = (limits: KubeconfigLimits) =>
  `The kubeconfig is larger than ${limits.bytes} bytes (${limits.bytes / 1024} KiB), the most the hub accepts: keep only the context to register (kubectl config view --minify --flatten --context <name>).`;

function decodeSource(source: KubeconfigSource, limits: KubeconfigLimits, problems: Problems): string {
  const encoding = source.encoding ?? 'auto';
  const text = source.text;
  // Base64 takes 4/3 of the bytes it encodes (plus line breaks); the decoded size is checked again when parsed.
  if (text.length > (limits.bytes * 4) / 3 + 4096) {
    problems.add('', tooLarge(limits));
    return problems.fail();
  }
  const looksBase64 = /^[A-Za-z0-9+/=_\-\s]+$/.test(text.trim());
  if (encoding === 'base64' || (encoding === 'auto' && looksBase64)) {
    const decoded = decodeBase64(text);
    if (!decoded && encoding === 'auto') return text; // a bare word: let the YAML reading say what is wrong
    if (!decoded) {
      problems.add('', 'The kubeconfig is not valid base64.');
      return problems.fail();
    }
    return decoded.toString('utf8');
  }
  return text;
}

/** The `:`, `,` and `?` of the text: at least one per mapping key or flow entry, counted without parsing. */
function structureMarks(text: string, stopAt: number): number {
  let count = 0;
  for (let i = 0; i < text.length && count <= stopAt; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x3a || ch === 0x2c || ch === 0x3f) count++;
  }
  return count;
}

function parseKubeconfigYaml(text: string, limits: KubeconfigLimits, problems: Problems): YamlMap {
  if (Buffer.byteLength(text) > limits.bytes) {
    problems.add('', tooLarge(limits));
    return problems.fail();
  }
  if (structureMarks(text, limits.keys) > limits.keys) {
    problems.add('', `The kubeconfig has more than ${limits.keys} keys and list entries, far more than a real one: keep only the context to register.`);
    return problems.fail();
  }
  const lineCounter = new LineCounter();
  // Never echo the parser's message: it quotes the offending text, which may be a credential.
  const invalid = (offset: number | undefined) => {
    const at = offset === undefined ? undefined : lineCounter.linePos(offset);
    problems.add('', `The kubeconfig is not valid YAML${at ? ` (line ${at.line}, column ${at.col})` : ''}.`);
    return problems.fail();
  };
  // uniqueKeys is off because the parser checks it by comparing every key of a mapping with every
  // other (quadratic: 67 s of CPU for 512 KiB of distinct keys); duplicates are found below with a
  // set, in one pass. Merge keys are off and alias expansion bounded, so that a small document cannot
  // expand into a huge one; warnings are not printed (they quote the document).
  const doc = parseDocument(text, { uniqueKeys: false, merge: false, prettyErrors: true, logLevel: 'error', lineCounter });
  if (doc.errors.length) return invalid(doc.errors[0]!.pos[0]);
  let refusedAt: number | undefined;
  let refused = false;
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = pair.key;
        // Compared as the property names they become (1 and "1" are one key to a reader); kubeconfig
        // keys are plain words, so a mapping or an alias as a key has no place in one.
        const id = key === null ? 'null' : isScalar(key) ? String(key.value) : undefined;
        if (id === undefined || seen.has(id)) {
          refused = true;
          refusedAt = (key as { range?: [number, number, number] } | null)?.range?.[0];
          return visit.BREAK;
        }
        seen.add(id);
      }
      return undefined;
    },
  });
  if (refused) return invalid(refusedAt);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    return invalid(err instanceof YAMLError ? err.pos[0] : undefined);
  }
  if (!isMap(value)) {
    problems.add('', 'The kubeconfig is not a YAML mapping with clusters, users and contexts.');
    return problems.fail();
  }
  return value;
}

interface Entry {
  index: number;
  name: string;
  body: YamlMap;
}

/** Reads `clusters`, `users` or `contexts`: a list of {name, <inner>}. */
function entries(doc: YamlMap, list: string, inner: string, problems: Problems): Entry[] {
  const value = doc[list];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.add(list, 'must be a list.');
    return [];
  }
  const out: Entry[] = [];
  value.forEach((item, index) => {
    if (!isMap(item) || !isName(item.name) || !isMap(item[inner])) {
      problems.add(`${list}[${index}]`, `must have a name and a ${inner} mapping.`);
      return;
    }
    out.push({ index, name: item.name, body: item[inner] });
  });
  return out;
}

interface ChosenContext {
  name: string;
  /** Index in `contexts`; absent when the kubeconfig had no contexts and one was implied. */
  index?: number;
  body: YamlMap;
}

function chooseContext(doc: YamlMap, source: KubeconfigSource, contexts: Entry[], clusters: Entry[], users: Entry[], problems: Problems): ChosenContext {
  const names = contexts.map((c) => `"${c.name}"`).join(', ') || 'none';
  const wanted = source.context ?? (isName(doc['current-context']) ? doc['current-context'] : undefined);
  if (wanted !== undefined) {
    const found = contexts.find((c) => c.name === wanted);
    if (found) return found;
    if (source.context !== undefined) problems.addRequestField('context', `The kubeconfig has no context named "${wanted}"; its contexts are ${names}.`);
    else problems.add('current-context', `names a context the kubeconfig does not have; its contexts are ${names}.`);
    return problems.fail();
  }
  if (contexts.length === 1) return contexts[0]!;
  if (contexts.length === 0 && clusters.length === 1 && users.length === 1) {
    // A bare cluster + user pair (some generators omit contexts): there is only one way to read it.
    return { name: clusters[0]!.name, body: { cluster: clusters[0]!.name, user: users[0]!.name } };
  }
  problems.addRequestField('context', `Name the context to use: the kubeconfig has no current-context and its contexts are ${names}.`);
  return problems.fail();
}

function pickContext(doc: YamlMap, source: KubeconfigSource, problems: Problems) {
  const contexts = entries(doc, 'contexts', 'context', problems);
  const clusters = entries(doc, 'clusters', 'cluster', problems);
  const users = entries(doc, 'users', 'user', problems);
  if (problems.errors.length) problems.fail();
  const context = chooseContext(doc, source, contexts, clusters, users, problems);

  const at = context.index === undefined ? undefined : `contexts[${context.index}].context`;
  const cluster = clusters.find((c) => c.name === context.body.cluster);
  const user = users.find((u) => u.name === context.body.user);
  if (!cluster) problems.add(at ? `${at}.cluster` : 'clusters', 'names a cluster the kubeconfig does not define.');
  if (!user) problems.add(at ? `${at}.user` : 'users', 'names a user the kubeconfig does not define.');
  let namespace: string | undefined;
  const ns = context.body.namespace;
  if (ns !== undefined && ns !== null && ns !== '') {
    if (typeof ns === 'string' && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns)) namespace = ns;
    else problems.add(`${at}.namespace`, 'must be a Kubernetes namespace name.');
  }
  if (!cluster || !user) return problems.fail();
  return { contextName: context.name, namespace, cluster, user };
}

/**
 * The PEM blocks of `text` whose label `wanted` accepts, found with indexOf in one pass. (A lazy
 * regex such as /BEGIN X[\s\S]+?END X/g restarts at every BEGIN line and scans to the end of the
 * text each time when no END follows: quadratic on a text of repeated BEGIN lines.)
 */
export function pemBlocks(text: string, wanted: (label: string) => boolean): string[] {
  const blocks: string[] = [];
  let from = 0;
  for (;;) {
    const begin = text.indexOf('-----BEGIN ', from);
    if (begin < 0) return blocks;
    const labelStart = begin + '-----BEGIN '.length;
    const labelEnd = text.indexOf('-----', labelStart);
    if (labelEnd < 0) return blocks;
    const label = text.slice(labelStart, labelEnd);
    if (!/^[A-Z0-9 ]{1,64}$/.test(label) || !wanted(label)) {
      from = labelEnd; // the dashes that ended this label may open the next BEGIN line
      continue;
    }
    const footer = `-----END ${label}-----`;
    const end = text.indexOf(footer, labelEnd + 5);
    if (end < 0) return blocks; // no END anywhere after this BEGIN: none after a later one either
    blocks.push(text.slice(begin, end + footer.length));
    from = end + footer.length;
  }
}

function certificatesIn(pem: string): X509Certificate[] | undefined {
  const blocks = pemBlocks(pem, (label) => label === 'CERTIFICATE');
  if (!blocks.length) return undefined;
  try {
    return blocks.map((b) => new X509Certificate(b));
  } catch {
    return undefined;
  }
}

function checkCluster(cluster: Entry, policy: KubeconfigPolicy, problems: Problems) {
  const at = `clusters[${cluster.index}].cluster`;
  const c = cluster.body;
  let server: string | undefined;

  if (typeof c.server !== 'string' || !c.server.trim()) {
    problems.add(`${at}.server`, 'is missing: give the https:// address of the API server.');
  } else {
    let url: URL | undefined;
    try {
      url = new URL(c.server.trim());
    } catch {
      // Do not echo the value: a pasted credential in the wrong place must not come back.
      problems.add(`${at}.server`, 'is not a URL.');
    }
    if (url) {
      if (url.protocol !== 'https:') {
        problems.add(`${at}.server`, `must use https:// (it uses ${url.protocol}//): the hub only talks to clusters over TLS.`);
      } else if (url.username || url.password) {
        problems.add(`${at}.server`, 'must not carry a user name or password in the URL.');
      } else if (url.search || url.hash) {
        problems.add(`${at}.server`, 'must not have a query or fragment.');
      } else if (!url.hostname) {
        problems.add(`${at}.server`, 'has no host.');
      } else {
        const verdict = checkServerHost(url.hostname, policy.networks);
        if (verdict && !verdict.allowed) problems.add(`${at}.server`, `is refused: ${verdict.reason}`);
        else server = `https://${url.host}${url.pathname.replace(/\/+$/, '')}`;
      }
    }
  }

  if (present(c, 'certificate-authority')) {
    problems.add(`${at}.certificate-authority`, 'names a file on the hub, which the hub never reads: give the CA inline as certificate-authority-data.');
  }
  if (present(c, 'proxy-url')) {
    problems.add(`${at}.proxy-url`, 'routes the connection through a proxy, which the hub does not accept: remove it.');
  }

  let insecure = false;
  if (c['insecure-skip-tls-verify'] !== undefined && c['insecure-skip-tls-verify'] !== null && c['insecure-skip-tls-verify'] !== false) {
    if (c['insecure-skip-tls-verify'] !== true) {
      problems.add(`${at}.insecure-skip-tls-verify`, 'must be true or false.');
    } else if (!policy.allowInsecureTls) {
      problems.add(
        `${at}.insecure-skip-tls-verify`,
        `turns off verification of the server certificate, which the hub allows only when the operator sets ${INSECURE_TLS_VARIABLE}=true: give certificate-authority-data instead.`,
      );
    } else if (present(c, 'certificate-authority-data')) {
      problems.add(`${at}.insecure-skip-tls-verify`, 'cannot be combined with certificate-authority-data: keep one of them.');
    } else {
      insecure = true;
    }
  }

  let caPem: string | undefined;
  if (present(c, 'certificate-authority-data')) {
    const raw = c['certificate-authority-data'];
    const decoded = typeof raw === 'string' ? decodeBase64(raw) : undefined;
    const pem = decoded?.toString('utf8');
    if (!pem || !certificatesIn(pem)) {
      problems.add(`${at}.certificate-authority-data`, 'must be base64-encoded PEM certificates.');
    } else {
      caPem = pem;
    }
  }

  let tlsServerName: string | undefined;
  if (present(c, 'tls-server-name')) {
    const name = c['tls-server-name'];
    if (typeof name === 'string' && /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(name)) tlsServerName = name.toLowerCase();
    else problems.add(`${at}.tls-server-name`, 'must be a DNS name.');
  }
  return { server, caPem, tlsServerName, insecure };
}

function checkUser(user: Entry, problems: Problems): ClusterCredential | undefined {
  const at = `users[${user.index}].user`;
  const u = user.body;
  const inlineOnly = 'give a token or a client certificate inline instead.';

  if (present(u, 'exec')) problems.add(`${at}.exec`, `runs a command on the hub (an exec credential plugin), which the hub never does: ${inlineOnly}`);
  if (present(u, 'auth-provider')) {
    const name = isMap(u['auth-provider']) && isName(u['auth-provider'].name) ? ` (${u['auth-provider'].name})` : '';
    problems.add(
      `${at}.auth-provider`,
      `uses an auth provider${name}, which may run commands or refresh tokens on the hub, and is not accepted: ${inlineOnly}`,
    );
  }
  for (const key of ['tokenFile', 'token-file']) {
    if (present(u, key)) problems.add(`${at}.${key}`, 'names a file on the hub, which the hub never reads: give the token inline as token.');
  }
  if (present(u, 'client-certificate')) {
    problems.add(`${at}.client-certificate`, 'names a file on the hub, which the hub never reads: give the certificate inline as client-certificate-data.');
  }
  if (present(u, 'client-key')) {
    problems.add(`${at}.client-key`, 'names a file on the hub, which the hub never reads: give the key inline as client-key-data.');
  }
  for (const key of ['username', 'password']) {
    if (present(u, key)) problems.add(`${at}.${key}`, `is basic authentication (username and password), which the hub does not support: ${inlineOnly}`);
  }
  for (const key of ['as', 'as-uid', 'as-groups', 'as-user-extra']) {
    if (present(u, key)) problems.add(`${at}.${key}`, 'asks for impersonation, which the hub does not support: give the credential of the identity to act as.');
  }

  const hasToken = present(u, 'token');
  const hasCert = present(u, 'client-certificate-data') || present(u, 'client-key-data');
  if (hasToken && hasCert) {
    problems.add(at, 'has both a token and a client certificate: keep one of them.');
    return undefined;
  }
  if (hasToken) {
    const token = u.token;
    // Visible ASCII only: anything else cannot travel in an Authorization header (or is an injection attempt).
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)) {
      problems.add(`${at}.token`, 'must be a bearer token: printable characters without spaces.');
      return undefined;
    }
    return { kind: 'token', token };
  }
  if (hasCert) {
    const certRaw = u['client-certificate-data'];
    const keyRaw = u['client-key-data'];
    if (!present(u, 'client-certificate-data') || !present(u, 'client-key-data')) {
      problems.add(at, 'needs both client-certificate-data and client-key-data.');
      return undefined;
    }
    const certificatePem = typeof certRaw === 'string' ? decodeBase64(certRaw)?.toString('utf8') : undefined;
    const certs = certificatePem ? certificatesIn(certificatePem) : undefined;
    if (!certificatePem || !certs) problems.add(`${at}.client-certificate-data`, 'must be a base64-encoded PEM certificate.');
    const keyPem = typeof keyRaw === 'string' ? decodeBase64(keyRaw)?.toString('utf8') : undefined;
    let key: ReturnType<typeof createPrivateKey> | undefined;
    try {
      if (keyPem && pemBlocks(keyPem, (label) => label.endsWith('PRIVATE KEY')).length) key = createPrivateKey(keyPem);
    } catch {
      key = undefined;
    }
    if (!keyPem || !key) problems.add(`${at}.client-key-data`, 'must be a base64-encoded PEM private key without a passphrase.');
    if (!certificatePem || !certs || !keyPem || !key) return undefined;
    if (!certs[0]!.checkPrivateKey(key)) {
      problems.add(`${at}.client-key-data`, 'does not belong to the certificate in client-certificate-data.');
      return undefined;
    }
    return { kind: 'client-certificate', certificatePem, keyPem };
  }
  if (!problems.errors.some((e) => e.field.includes(`users[${user.index}]`))) {
    problems.add(at, `has no credential: ${inlineOnly.replace(' instead', '')}`);
  }
  return undefined;
}

function inspectKubeconfig(source: KubeconfigSource, policy: KubeconfigPolicy): ClusterConnection {
  const field = source.field ?? 'kubeconfig';
  const problems = new Problems(field);
  const limits = source.limits ?? UPLOAD_KUBECONFIG_LIMITS;
  const doc = parseKubeconfigYaml(decodeSource(source, limits, problems), limits, problems);
  const { contextName, namespace, cluster, user } = pickContext(doc, source, problems);
  const checkedCluster = checkCluster(cluster, policy, problems);
  const credential = checkUser(user, problems);
  if (problems.errors.length || !credential || !checkedCluster.server) return problems.fail();
  return {
    summary: {
      server: checkedCluster.server,
      context: contextName,
      cluster: cluster.name,
      user: user.name,
      ...(namespace ? { namespace } : {}),
      authKind: credential.kind,
      insecureSkipTlsVerify: checkedCluster.insecure,
    },
    ...(checkedCluster.caPem ? { caPem: checkedCluster.caPem } : {}),
    ...(checkedCluster.tlsServerName ? { tlsServerName: checkedCluster.tlsServerName } : {}),
    credential,
  };
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Writes the kubeconfig from checked fields only; nothing from the uploaded text passes through unread. */
function renderKubeconfig(connection: ClusterConnection): string {
  const { summary, credential } = connection;
  const cluster: YamlMap = { server: summary.server };
  if (connection.caPem) cluster['certificate-authority-data'] = b64(connection.caPem);
  if (connection.tlsServerName) cluster['tls-server-name'] = connection.tlsServerName;
  if (summary.insecureSkipTlsVerify) cluster['insecure-skip-tls-verify'] = true;
  const user: YamlMap =
    credential.kind === 'token'
      ? { token: credential.token }
      : { 'client-certificate-data': b64(credential.certificatePem), 'client-key-data': b64(credential.keyPem) };
  const context: YamlMap = { cluster: summary.cluster, user: summary.user };
  if (summary.namespace) context.namespace = summary.namespace;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: summary.cluster, cluster }],
    users: [{ name: summary.user, user }],
    contexts: [{ name: summary.context, context }],
    'current-context': summary.context,
  };
  // lineWidth 0: never fold long base64 or token lines.
  return stringifyYaml(doc, { lineWidth: 0 });
}
