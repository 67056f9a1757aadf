/**
 * Kubeconfig texts that cost a careless parser CPU (the worst cases the hub's limits still let
 * through to the parser, and some beyond them), and a realistic kubeconfig of the same size to
 * compare them with. Shared by the policy tests and the benchmark.
 */
import { stringify } from 'yaml';

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** One mapping of distinct keys, about `bytes` long, with at most `keys` keys (padded names fill the rest). */
export function distinctKeys(bytes: number, keys: number): string {
  const width = Math.max(8, Math.floor(bytes / keys) - 4);
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; i < keys; i++) {
    const line = `${`k${i}-`.padEnd(width, 'x')}: 1\n`;
    if (size + line.length > bytes) break;
    lines.push(line);
    size += line.length;
  }
  return lines.join('');
}

/** The same as one flow mapping on one line: `{k0, k1, ...}` (keys without values, no `:` at all). */
export function flowKeys(bytes: number, keys: number): string {
  const width = Math.max(8, Math.floor(bytes / keys) - 2);
  const parts: string[] = [];
  let size = 2;
  for (let i = 0; i < keys; i++) {
    const part = `${`k${i}-`.padEnd(width, 'x')}`;
    if (size + part.length + 2 > bytes) break;
    parts.push(part);
    size += part.length + 2;
  }
  return `{${parts.join(', ')}}\n`;
}

/** A kubeconfig whose certificate-authority-data is base64 of BEGIN CERTIFICATE lines and nothing else, about `bytes` long. */
export function repeatedPemBegins(bytes: number): string {
  const frame = (data: string) =>
    stringify(
      {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: 'https://api.example.com:6443', 'certificate-authority-data': data } }],
        users: [{ name: 'u', user: { token: 'sha256~0123456789abcdef' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      },
      { lineWidth: 0 },
    );
  const line = '-----BEGIN CERTIFICATE-----\n';
  const room = Math.floor(((bytes - frame('').length) * 3) / 4);
  return frame(b64(line.repeat(Math.max(1, Math.floor(room / line.length)))));
}

/**
 * A kubeconfig as tools write them, about `bytes` long: contexts of one cluster (server, CA) and one
 * user (client certificate and key) each, the last one current. Its chosen context is valid.
 */
export function realisticKubeconfig(bytes: number, pem: { caPem: string; clientCertPem: string; clientKeyPem: string }): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [] as unknown[],
    users: [] as unknown[],
    contexts: [] as unknown[],
    'current-context': '',
  };
  const render = () => stringify(doc, { lineWidth: 0 });
  for (let i = 0; ; i++) {
    const name = `prod-${i}`;
    doc.clusters.push({ name, cluster: { server: `https://api.${name}.example.com:6443`, 'certificate-authority-data': b64(pem.caPem) } });
    doc.users.push({ name: `${name}-admin`, user: { 'client-certificate-data': b64(pem.clientCertPem), 'client-key-data': b64(pem.clientKeyPem) } });
    doc.contexts.push({ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } });
    doc['current-context'] = name;
    if (render().length > bytes) {
      doc.clusters.pop();
      doc.users.pop();
      doc.contexts.pop();
      doc['current-context'] = `prod-${i - 1}`;
      return render();
    }
  }
}
