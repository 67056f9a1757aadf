import { describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/config/config.ts';
import { checkServerHost, classifyAddress, networkPolicyFromEnv, parseNetworkPolicy } from '#shared/domain/clusters/network-policy.ts';

const none = parseNetworkPolicy(undefined);
const loopbackAllowed = parseNetworkPolicy('127.0.0.0/8,::1/128');
const everything = parseNetworkPolicy('0.0.0.0/0,::/0');

describe('metadata and link-local addresses', () => {
  // Every notation a URL host, inet_aton or an IPv6 embedding can give 169.254.169.254 (and friends).
  it.each([
    '169.254.169.254',
    '169.254.170.2',
    '0xa9fea9fe',
    '2852039166',
    '0251.0376.0251.0376',
    '169.254.43518',
    '0xa9.0xfe.0xa9.0xfe',
    '[::ffff:169.254.169.254]',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '::a9fe:a9fe',
    '64:ff9b::a9fe:a9fe',
    '2002:a9fe:a9fe::1',
    'fe80::1',
    '[fe80::a:b:c:d]',
    'febf:ffff::1',
    '100.100.100.200',
    'fd00:ec2::254',
    '[fd00:ec2::254]',
    'fd20:ce::254',
    '168.63.129.16',
    '192.0.0.192',
  ])('refuses %s even when every network is allowed', (address) => {
    const verdict = everything.checkAddress(address);
    expect(verdict.allowed).toBe(false);
    expect(verdict.kind).toBe('metadata');
    expect(verdict.reason).toMatch(/never connects/);
  });

  it.each(['224.0.0.1', '255.255.255.255', '240.0.0.1', 'ff02::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2'])(
    'refuses the non-unicast address %s always',
    (address) => {
      expect(everything.checkAddress(address)).toMatchObject({ allowed: false, kind: 'not-unicast' });
    },
  );
});

describe('loopback, unspecified and private addresses', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.1', 'loopback'],
    ['0x7f000001', 'loopback'],
    ['2130706433', 'loopback'],
    ['017700000001', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
  ])('refuses %s (%s) unless its network is allowed', (address, kind) => {
    const verdict = none.checkAddress(address);
    expect(verdict).toMatchObject({ allowed: false, kind });
    expect(verdict.reason).toContain('HUB_ALLOWED_CLUSTER_NETWORKS');
    expect(everything.checkAddress(address).allowed).toBe(true);
  });

  it('allows loopback in every notation once 127.0.0.0/8 and ::1/128 are allowed, and nothing private with it', () => {
    for (const address of ['127.0.0.1', '127.0.0.53', '0x7f000001', '127.1', '::1', '::ffff:127.0.0.1']) {
      expect(loopbackAllowed.checkAddress(address).allowed, address).toBe(true);
    }
    for (const address of ['10.0.0.1', '192.168.0.1', '0.0.0.0', 'fd00::1']) {
      expect(loopbackAllowed.checkAddress(address).allowed, address).toBe(false);
    }
  });

  it('allows exactly the listed private network', () => {
    const policy = parseNetworkPolicy(' 10.20.0.0/16 , fd00:abcd::/32 ');
    expect(policy.allowedNetworks).toEqual(['10.20.0.0/16', 'fd00:abcd::/32']);
    expect(policy.checkAddress('10.20.3.4').allowed).toBe(true);
    expect(policy.checkAddress('10.21.3.4').allowed).toBe(false);
    expect(policy.checkAddress('fd00:abcd::5').allowed).toBe(true);
    expect(policy.checkAddress('fd00:abce::5').allowed).toBe(false);
  });

  it('accepts a single address as its own network', () => {
    expect(parseNetworkPolicy('192.168.7.7').checkAddress('192.168.7.7').allowed).toBe(true);
    expect(parseNetworkPolicy('192.168.7.7').checkAddress('192.168.7.8').allowed).toBe(false);
  });
});

describe('public addresses', () => {
  it.each(['8.8.8.8', '52.94.236.248', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s without configuration', (address) => {
    expect(none.checkAddress(address)).toMatchObject({ allowed: true, kind: 'public' });
  });

  it('classifies without a policy', () => {
    expect(classifyAddress('169.254.169.254')).toBe('metadata');
    expect(classifyAddress('1.1.1.1')).toBe('public');
  });
});

describe('the allow-list variable', () => {
  it.each(['10.0.0.1/8', 'not-an-address', '10.0.0.0/33', '0x7f000000/8', '::1/129', '10.0.0.0/8/1', '10.0.0.0/x'])(
    'refuses the entry %s with a sentence naming it',
    (entry) => {
      expect(() => parseNetworkPolicy(`127.0.0.0/8,${entry}`)).toThrow(ConfigError);
      expect(() => parseNetworkPolicy(entry)).toThrow(`HUB_ALLOWED_CLUSTER_NETWORKS entry "${entry}" is not valid`);
    },
  );

  it('is read from the environment, empty meaning no local ranges', () => {
    expect(networkPolicyFromEnv({ HUB_ALLOWED_CLUSTER_NETWORKS: '127.0.0.0/8' }).checkAddress('127.0.0.1').allowed).toBe(true);
    expect(networkPolicyFromEnv({}).checkAddress('127.0.0.1').allowed).toBe(false);
    expect(networkPolicyFromEnv({ HUB_ALLOWED_CLUSTER_NETWORKS: '' }).allowedNetworks).toEqual([]);
  });
});

describe('server host names', () => {
  it('leaves ordinary names to the connect-time check', () => {
    expect(checkServerHost('api.prod.example.com', none)).toBeUndefined();
  });

  it('refuses metadata host names by name', () => {
    expect(checkServerHost('metadata.google.internal', everything)).toMatchObject({ allowed: false, kind: 'metadata' });
    expect(checkServerHost('METADATA.GOOGLE.INTERNAL.', everything)).toMatchObject({ allowed: false, kind: 'metadata' });
  });

  it('treats localhost as loopback', () => {
    expect(checkServerHost('localhost', none)).toMatchObject({ allowed: false, kind: 'loopback' });
    expect(checkServerHost('kube.localhost', none)).toMatchObject({ allowed: false });
    expect(checkServerHost('localhost', loopbackAllowed)).toBeUndefined();
  });
});
