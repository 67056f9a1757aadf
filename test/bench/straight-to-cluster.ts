/**
 * A test bed cluster straight over HTTPS with a kubeconfig's own credential: the reference the
 * hub's cluster reads are measured against, and the quickest way to fill a namespace with pods.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { request, type RequestOptions } from 'node:https';

export interface StraightClient {
  /** The response body as text; a status of 400 or more throws. */
  send(method: string, path: string, body?: unknown): Promise<string>;
  get(path: string): Promise<string>;
}

export async function straightClient(kubeconfigText: string): Promise<StraightClient> {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigText);
  const base = new URL(kc.getCurrentCluster()!.server);
  const options: RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const send = (method: string, path: string, body?: unknown) =>
    new Promise<string>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          ...options,
          hostname: base.hostname,
          port: base.port,
          path,
          method,
          headers: { ...options.headers, accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            // The status alone: a cluster's answer could quote what was sent.
            if ((res.statusCode ?? 500) >= 400) reject(new Error(`${method} ${path.split('?')[0]} answered ${res.statusCode}`));
            else resolve(text);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  return { send, get: (path) => send('GET', path) };
}

/** A pod kwok runs on one of its nodes (no scheduling, no image pulled): cheap to create by the thousand. */
export const kwokPod = (name: string, node: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'bench', bench: name.replace(/-\d+$/, '') } },
  spec: {
    nodeName: node,
    containers: [{ name: 'app', image: 'registry.example.test/bench/app:1.0', resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
  },
});

/**
 * Creates a namespace holding `count` kwok pods, spread over the cluster's nodes, `parallel`
 * creations at a time; the returned function deletes the namespace.
 */
export async function namespaceOfPods(client: StraightClient, namespace: string, count: number, parallel = 32): Promise<() => Promise<void>> {
  const nodes = (JSON.parse(await client.get('/api/v1/nodes')) as { items: { metadata: { name: string } }[] }).items.map((n) => n.metadata.name);
  if (!nodes.length) throw new Error('the cluster has no node to run pods on');
  await client.send('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const remove = async () => {
    await client.send('DELETE', `/api/v1/namespaces/${namespace}`).catch(() => undefined);
  };
  try {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < count; i = next++) {
        await client.send('POST', `/api/v1/namespaces/${namespace}/pods`, kwokPod(`pod-${String(i).padStart(5, '0')}`, nodes[i % nodes.length]!));
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  } catch (err) {
    await remove();
    throw err;
  }
  return remove;
}
