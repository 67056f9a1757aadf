import type { Logger } from '#shared/observability/logger.ts';
import type { Clock } from '#shared/ports/clock.ts';
import type { ClusterGatewayFactory } from '#shared/ports/cluster-gateway.ts';
import type { SecretStore } from '#shared/ports/secret-store.ts';
import type { CredentialCache } from './credential-cache.ts';
import type { CircuitBreaker, ClusterRepository } from './ports.ts';
import type { KubeconfigPolicy } from './kubeconfig-policy.ts';
import type { OnboardingPolicy } from './onboarding.ts';

/** What the cluster use cases work with. */
export interface ClusterDeps {
  clusters: ClusterRepository;
  secrets: SecretStore;
  /** Checked credentials remembered per secret (credential-cache.ts); without it each use reads the secret store. */
  credentialCache?: CredentialCache;
  gateways: ClusterGatewayFactory;
  policy: KubeconfigPolicy;
  /** What a per-cluster admin may onboard, and how long the hub's service-account tokens live. */
  onboarding: OnboardingPolicy;
  breaker: CircuitBreaker;
  clock: Clock;
  /** For what goes wrong without failing the request, such as a secret left behind. */
  logger: Logger;
  /** Prefix of the hub's secrets: kubeconfigs go under `<prefix>clusters/`, imports are read from `<prefix>imports/`. */
  secretPrefix: string;
  /** Removes every user's grant on a cluster (identity owns grants). */
  revokeGrants(clusterId: string): Promise<void>;
  /** The machine's own kubeconfig, for discovery in the local run only. */
  localKubeconfig?: () => Promise<string | undefined>;
}
