import { connect, createServer, type AddressInfo, type Server } from 'node:net';

export interface CountingForwarder {
  server: Server;
  /** The bytes clients have sent through it so far: a count that does not move means nothing reached the cluster. */
  bytes: () => number;
  /** The forwarder's address, to register a cluster behind it. */
  url: string;
}

/** A loopback TCP forwarder to a cluster's API server (TLS passes through untouched), counting the bytes clients send. */
export async function countingForwarder(target: string): Promise<CountingForwarder> {
  const { hostname, port } = new URL(target);
  let bytes = 0;
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    client.on('data', (chunk: Buffer) => (bytes += chunk.length));
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, bytes: () => bytes, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
