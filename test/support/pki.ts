import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  caPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  /** A key that does not belong to the client certificate. */
  otherKeyPem: string;
}

/**
 * A throwaway CA and client certificate (EC P-256), made with openssl when the
 * tests run, so no private key is ever committed.
 */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'clusterhub-pki-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  try {
    for (const key of ['ca.key', 'client.key']) openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(key));
    openssl('req', '-x509', '-new', '-key', file('ca.key'), '-subj', '/CN=clusterhub-test-ca', '-days', '2', '-out', file('ca.crt'));
    openssl('req', '-new', '-key', file('client.key'), '-subj', '/CN=test-user/O=system:masters', '-out', file('client.csr'));
    openssl(
      'x509',
      '-req',
      '-in',
      file('client.csr'),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      file('client.crt'),
    );
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    return {
      caPem: readFileSync(file('ca.crt'), 'utf8'),
      clientCertPem: readFileSync(file('client.crt'), 'utf8'),
      clientKeyPem: readFileSync(file('client.key'), 'utf8'),
      otherKeyPem: other,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
