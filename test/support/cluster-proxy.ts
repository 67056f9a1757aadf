/**
 * A loopback HTTPS proxy in front of a test bed apiserver, for answers a real cluster gives only
 * rarely: a `Warning` header on a read, a 500 for one request. `answer` looks at each request and
 * either lets it through (optionally adding Warning headers to the cluster's answer) or answers
 * itself. It serves a throwaway certificate for 127.0.0.1, and `kubeconfig` is the cluster's
 * kubeconfig pointed at the proxy and trusting that certificate (the bearer token passes through).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';

export interface ProxiedRequest {
  method: string;
  /** The path with its query. */
  path: string;
  body: string;
}

/** Let the request through (adding `warnings` to the answer), or answer it here. */
export type ProxyDecision = { warnings?: string[] } | { status: number; body: string };

export interface ClusterProxy {
  kubeconfig: string;
  /** Every request the proxy saw, in order. */
  requests: ProxiedRequest[];
  /** How many TLS connections the hub opened to it so far. */
  connections(): number;
  close(): Promise<void>;
}

function loopbackCertificate(): { certPem: string; keyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'clusterhub-proxy-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')].concat(
        ['-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:TRUE'],
      ),
      { stdio: 'pipe' },
    );
    return { certPem: readFileSync(join(dir, 'cert.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/** Starts the proxy in front of the cluster of `kubeconfigText` (one cluster, bearer token, CA data). */
export async function startClusterProxy(kubeconfigText: string, answer: (req: ProxiedRequest) => ProxyDecision): Promise<ClusterProxy> {
  const doc = parseDocument(kubeconfigText);
  const cluster = doc.getIn(['clusters', 0, 'cluster']) as { get(key: string): unknown; set(key: string, value: unknown): void };
  const upstream = new URL(String(cluster.get('server')));
  const upstreamCa = Buffer.from(String(cluster.get('certificate-authority-data')), 'base64').toString('utf8');
  const { certPem, keyPem } = loopbackCertificate();
  const requests: ProxiedRequest[] = [];

  const server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    void (async () => {
      const body = await readBody(req);
      const seen = { method: req.method ?? 'GET', path: req.url ?? '/', body: body.toString('utf8') };
      requests.push(seen);
      const decision = answer(seen);
      if ('status' in decision) {
        res.writeHead(decision.status, { 'content-type': 'application/json' }).end(decision.body);
        return;
      }
      const headers = { ...req.headers, host: upstream.host };
      const out = httpsRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
          ca: upstreamCa,
          servername: upstream.hostname === '127.0.0.1' ? undefined : upstream.hostname,
        },
        (up) => {
          const warnings = (decision.warnings ?? []).map((text) => `299 - "${text}"`);
          const existing = up.headers.warning;
          const all: string[] = [...(existing ? [existing] : []), ...warnings];
          const headers: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(up.headers)) if (value !== undefined) headers[name] = value;
          if (all.length) headers.warning = all;
          res.writeHead(up.statusCode ?? 502, headers);
          up.pipe(res);
        },
      );
      out.on('error', () => res.writeHead(502).end());
      out.end(body);
    })().catch(() => res.writeHead(502).end());
  });
  let connections = 0;
  server.on('secureConnection', () => connections++);
  // Idle connections stay open long enough for a slow test to show whether the hub reuses them.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  cluster.set('server', `https://127.0.0.1:${port}`);
  cluster.set('certificate-authority-data', Buffer.from(certPem).toString('base64'));
  return {
    kubeconfig: doc.toString(),
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
