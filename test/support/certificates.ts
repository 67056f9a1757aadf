import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A self-signed certificate valid only between two times (past ones included), with its key, made
 * with openssl when the test runs (`openssl ca` is the 3.0 tool that takes explicit dates).
 */
export function certificateValidBetween(commonName: string, notBefore: Date, notAfter: Date): { certPem: string; keyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'clusterhub-cert-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe', cwd: dir });
  const asn1 = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
  try {
    mkdirSync(file('db'));
    writeFileSync(file('db/index.txt'), '');
    writeFileSync(file('db/serial'), '01\n');
    writeFileSync(
      file('ca.cnf'),
      [
        '[ca]',
        'default_ca = own',
        '[own]',
        'database = db/index.txt',
        'new_certs_dir = db',
        'serial = db/serial',
        'default_md = sha256',
        'policy = any',
        'unique_subject = no',
        '[any]',
        'commonName = supplied',
        '',
      ].join('\n'),
    );
    openssl(
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      file('key.pem'),
      '-subj',
      `/CN=${commonName}`,
      '-out',
      file('req.csr'),
    );
    openssl(
      'ca',
      '-batch',
      '-config',
      file('ca.cnf'),
      '-selfsign',
      '-keyfile',
      file('key.pem'),
      '-in',
      file('req.csr'),
      '-startdate',
      asn1(notBefore),
      '-enddate',
      asn1(notAfter),
      '-out',
      file('cert.pem'),
    );
    const cert = readFileSync(file('cert.pem'), 'utf8');
    return { certPem: cert.slice(cert.indexOf('-----BEGIN CERTIFICATE-----')), keyPem: readFileSync(file('key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
