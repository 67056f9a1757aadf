/**
 * Which distribution or cloud runs a cluster, guessed from what any credential can see: the
 * server URL, the version string and the labels, names and provider ids of a few nodes. Shown
 * to users and used as a list filter, so a wrong guess costs little; `generic` when unsure.
 */
export const CLUSTER_PROVIDERS = ['eks', 'gke', 'aks', 'k3s', 'kind', 'openshift', 'rancher', 'generic'] as const;
export type ClusterProvider = (typeof CLUSTER_PROVIDERS)[number];

export interface ProviderNode {
  name: string;
  labels?: Record<string, string>;
  /** spec.providerID, e.g. aws:///eu-west-1a/i-0abc, gce://project/zone/name, kind://docker/kind/kind-control-plane */
  providerId?: string;
}

export interface ProviderSignals {
  serverUrl?: string;
  /** /version gitVersion, e.g. v1.30.0+k3s1, v1.29.3-eks-adc7111, v1.28.7-gke.1026000 */
  gitVersion?: string;
  nodes?: ProviderNode[];
}

const hostOf = (url: string | undefined): string => {
  try {
    return url ? new URL(url).hostname.toLowerCase() : '';
  } catch {
    return '';
  }
};
const pathOf = (url: string | undefined): string => {
  try {
    return url ? new URL(url).pathname : '';
  } catch {
    return '';
  }
};

const hasLabel = (nodes: ProviderNode[], test: (key: string) => boolean) => nodes.some((n) => Object.keys(n.labels ?? {}).some(test));
const hasProviderId = (nodes: ProviderNode[], prefix: string) => nodes.some((n) => n.providerId?.startsWith(prefix));

/**
 * Names the provider of a cluster from its signals (pure; order matters: a cluster reached
 * through Rancher's proxy is `rancher` whatever runs underneath, a managed cloud wins over
 * the Rancher agent labels it may also carry).
 */
export function detectProvider(signals: ProviderSignals): ClusterProvider {
  const host = hostOf(signals.serverUrl);
  const path = pathOf(signals.serverUrl);
  const version = (signals.gitVersion ?? '').toLowerCase();
  const nodes = signals.nodes ?? [];

  // Rancher's authenticated proxy: https://rancher.example.com/k8s/clusters/c-m-abc12
  if (/^\/k8s\/clusters\/[^/]+/.test(path)) return 'rancher';

  if (host.endsWith('.openshiftapps.com') || hasLabel(nodes, (k) => k.startsWith('node.openshift.io/') || k === 'machine.openshift.io/cluster-api-cluster')) {
    return 'openshift';
  }
  if (
    host.endsWith('.eks.amazonaws.com') ||
    host.endsWith('.eks.amazonaws.com.cn') ||
    /-eks-/.test(version) ||
    hasLabel(nodes, (k) => k.startsWith('eks.amazonaws.com/'))
  ) {
    return 'eks';
  }
  if (/-gke\./.test(version) || hasLabel(nodes, (k) => k.startsWith('cloud.google.com/gke-')) || hasProviderId(nodes, 'gce://')) {
    return 'gke';
  }
  if (host.endsWith('.azmk8s.io') || hasLabel(nodes, (k) => k.startsWith('kubernetes.azure.com/')) || hasProviderId(nodes, 'azure://')) {
    return 'aks';
  }
  if (/\+k3s\d*/.test(version) || hasLabel(nodes, (k) => k.startsWith('k3s.io/')) || hasProviderId(nodes, 'k3s://')) {
    return 'k3s';
  }
  // RKE2 and Rancher-managed clusters: the rke2 version suffix, or the cattle agent's labels.
  if (/\+rke2r\d*/.test(version) || hasLabel(nodes, (k) => k.startsWith('cattle.io/') || k.includes('.cattle.io/'))) {
    return 'rancher';
  }
  if (isKind(nodes)) return 'kind';
  // EKS nodes without the nodegroup label still carry an AWS provider id; checked last because
  // self-managed clusters on EC2 carry it too.
  if (hasProviderId(nodes, 'aws://') && hasLabel(nodes, (k) => k.startsWith('alpha.eksctl.io/'))) return 'eks';
  return 'generic';
}

/**
 * kind: the provider id says so (kind://), or the nodes follow kind's naming (<cluster>-control-plane,
 * <cluster>-worker, <cluster>-worker2) with the kubeadm control-plane role on the first.
 */
function isKind(nodes: ProviderNode[]): boolean {
  if (hasProviderId(nodes, 'kind://')) return true;
  const control = nodes.find((n) => /-control-plane\d*$/.test(n.name) && n.labels?.['node-role.kubernetes.io/control-plane'] !== undefined);
  if (!control) return false;
  const prefix = control.name.replace(/-control-plane\d*$/, '');
  return nodes.every((n) => n.name === control.name || new RegExp(`^${escapeRegExp(prefix)}-(control-plane|worker)\\d*$`).test(n.name));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
