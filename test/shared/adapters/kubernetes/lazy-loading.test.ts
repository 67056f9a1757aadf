/**
 * A function that never talks to a cluster must not load @kubernetes/client-node (it is large
 * and slows every cold start), and one that does loads it on first use. Checked in a fresh Node
 * process whose module resolution is watched, so nothing this test runner loaded can hide it.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../../..');

const probe = `
import { registerHooks } from 'node:module';
const loaded = () => seen.length > 0;
const seen = [];
registerHooks({
  resolve(specifier, context, next) {
    if (specifier === '@kubernetes/client-node' || specifier.startsWith('@kubernetes/client-node/')) seen.push(specifier);
    return next(specifier, context);
  },
});
const steps = {};
await import('#shared/ports/cluster-gateway.ts');
await import('#shared/domain/clusters/kubeconfig-policy.ts');
const { createKubernetesGatewayFactory } = await import('#shared/adapters/kubernetes/kubernetes-gateway.ts');
const { parseNetworkPolicy } = await import('#shared/domain/clusters/network-policy.ts');
const { checkKubeconfig } = await import('#shared/domain/clusters/kubeconfig-policy.ts');
steps.afterImport = loaded();
const policy = { networks: parseNetworkPolicy('127.0.0.0/8'), allowInsecureTls: false };
const text = 'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\\nusers: [{name: u, user: {token: t0ken}}]\\ncontexts: [{name: x, context: {cluster: c, user: u}}]\\n';
const gateway = createKubernetesGatewayFactory({ policy, timeoutMs: 2000 })(checkKubeconfig({ text }, policy));
steps.afterConstruction = loaded();
const result = await gateway.testConnection();
steps.afterFirstCall = loaded();
steps.reason = result.reason;
gateway.close();
console.log(JSON.stringify(steps));
`;

describe('loading @kubernetes/client-node', () => {
  it('happens on the first call to a cluster, not on import or construction', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], {
      cwd: root,
      timeout: 30_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({
      afterImport: false,
      afterConstruction: false,
      afterFirstCall: true,
      reason: 'refused',
    });
  });
});
