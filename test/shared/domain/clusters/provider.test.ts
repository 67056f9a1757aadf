import { describe, expect, it } from 'vitest';
import { detectProvider, type ProviderNode } from '#shared/domain/clusters/provider.ts';

const node = (name: string, labels: Record<string, string> = {}, providerId?: string): ProviderNode => ({
  name,
  labels,
  ...(providerId ? { providerId } : {}),
});

describe('provider detection', () => {
  it.each([
    ['eks by server', { serverUrl: 'https://0123ABCD.gr7.eu-west-1.eks.amazonaws.com' }, 'eks'],
    ['eks by version', { gitVersion: 'v1.29.3-eks-adc7111' }, 'eks'],
    ['eks by node group label', { nodes: [node('ip-10-0-1-2.ec2.internal', { 'eks.amazonaws.com/nodegroup': 'default' })] }, 'eks'],
    ['gke by version', { gitVersion: 'v1.28.7-gke.1026000' }, 'gke'],
    ['gke by node pool label', { nodes: [node('gke-prod-default-pool-1', { 'cloud.google.com/gke-nodepool': 'default-pool' })] }, 'gke'],
    ['gke by provider id', { nodes: [node('n1', {}, 'gce://proj/europe-west1-b/gke-n1')] }, 'gke'],
    ['aks by server', { serverUrl: 'https://prod-dns-1a2b3c.hcp.westeurope.azmk8s.io:443' }, 'aks'],
    ['aks by label', { nodes: [node('aks-nodepool1-123-vmss000000', { 'kubernetes.azure.com/cluster': 'MC_rg_prod_westeurope' })] }, 'aks'],
    ['k3s by version', { gitVersion: 'v1.30.0+k3s1' }, 'k3s'],
    ['k3s by label', { nodes: [node('pi-1', { 'k3s.io/hostname': 'pi-1' })] }, 'k3s'],
    ['openshift by label', { gitVersion: 'v1.27.6+b49f9d1', nodes: [node('master-0', { 'node.openshift.io/os_id': 'rhcos' })] }, 'openshift'],
    ['openshift by server', { serverUrl: 'https://api.prod.abcd.p1.openshiftapps.com:6443' }, 'openshift'],
    ['rancher by proxy path', { serverUrl: 'https://rancher.example.com/k8s/clusters/c-m-abc12', gitVersion: 'v1.29.3-eks-adc7111' }, 'rancher'],
    ['rancher by rke2 version', { gitVersion: 'v1.28.9+rke2r1' }, 'rancher'],
    ['rancher by cattle labels', { nodes: [node('worker-1', { 'cattle.io/os': 'linux' })] }, 'rancher'],
    [
      'kind by provider id',
      {
        serverUrl: 'https://127.0.0.1:41234',
        nodes: [node('kind-control-plane', { 'node-role.kubernetes.io/control-plane': '' }, 'kind://docker/kind/kind-control-plane')],
      },
      'kind',
    ],
    [
      'kind by node names',
      {
        serverUrl: 'https://127.0.0.1:41234',
        nodes: [node('dev-control-plane', { 'node-role.kubernetes.io/control-plane': '' }), node('dev-worker'), node('dev-worker2')],
      },
      'kind',
    ],
    [
      'generic upstream',
      { serverUrl: 'https://10.0.0.1:6443', gitVersion: 'v1.33.7', nodes: [node('kwok-node-0', { 'kubernetes.io/hostname': 'kwok-node-0' })] },
      'generic',
    ],
    ['generic with nothing to go on', {}, 'generic'],
  ])('%s', (_name, signals, expected) => {
    expect(detectProvider(signals)).toBe(expected);
  });

  it('prefers the managed cloud over the Rancher agent labels it also carries', () => {
    const nodes = [node('ip-10-0-1-2', { 'eks.amazonaws.com/nodegroup': 'ng', 'cattle.io/os': 'linux' })];
    expect(detectProvider({ nodes })).toBe('eks');
  });

  it('does not call a kubeadm cluster kind because one node ends in -control-plane', () => {
    const nodes = [node('prod-control-plane', { 'node-role.kubernetes.io/control-plane': '' }), node('db-server-7')];
    expect(detectProvider({ nodes })).toBe('generic');
  });

  it('tolerates a server that is not a URL', () => {
    expect(detectProvider({ serverUrl: 'not a url' })).toBe('generic');
  });
});
