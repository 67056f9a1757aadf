/**
 * ClusterGateway over @kubernetes/client-node.
 *
 * The client is loaded with a dynamic import on the first call, so a function that never talks
 * to a cluster never pays for it (and one that does pays once per cold start). Its typed APIs
 * and models are used; its transport is not: requests go through GuardedTransport, built per
 * cluster from the re-checked kubeconfig, so exec plugins, files, proxies and redirects are out
 * of reach and no connection or credential cache is shared between clusters.
 *
 * Objects of any kind (discovery, list, get, patch, apply, delete) need no typed API: they are
 * plain JSON over the same transport (resource-api.ts, api-discovery.ts), and the summary and
 * workloads views are built on that generic list. Only the calls that use the typed client's
 * models (connection test, inspection, nodes, namespaces, events, onboarding) load it.
 */
import type * as K8s from '@kubernetes/client-node';
import { AppError } from '#shared/domain/errors.ts';
import { readClusterConnection, type ClusterConnection, type KubeconfigPolicy } from '#shared/domain/clusters/kubeconfig-policy.ts';
import { detectProvider, type ProviderNode } from '#shared/domain/clusters/provider.ts';
import {
  ClusterApiError,
  ClusterResponseTooLargeError,
  ClusterUnavailableError,
  type ApiDiscovery,
  type ApplyAnswer,
  type ApplyOptions,
  type ClusterCredentials,
  type ClusterEvent,
  type ClusterGateway,
  type ClusterGatewayFactory,
  type ClusterInspection,
  type ClusterSummary,
  type ClusterVersion,
  type ConnectionTest,
  type DeleteAnswer,
  type DeleteOptions,
  type EventQuery,
  type GatewayOptions,
  type KubernetesObject,
  type ListQuery,
  type NamespaceInfo,
  type NodeCounts,
  type ObjectAnswer,
  type ObjectList,
  type OnboardedServiceAccount,
  type PatchOptions,
  type PatchType,
  type ResourceCollection,
  type ResourceObjectRef,
  type ServiceAccountRequest,
  type WorkloadQuery,
  type Workloads,
} from '#shared/ports/cluster-gateway.ts';
import { causeOf, DeadlineExceededError, toClusterUnavailable, tooLargeSentence, type FailureContext } from './connection-failure.ts';
import { GuardedTransport, ResponseTooLargeError, type HostResolver } from './guarded-transport.ts';
import { discoverApiResources } from './api-discovery.ts';
import { recentEvents } from './events-view.ts';
import { ConnectionPool } from './connection-pool.ts';
import { countAll, forbiddenAsNull, iso, listUpTo, typedLister } from './list-pages.ts';
import { ResourceApi } from './resource-api.ts';
import { onboardServiceAccount } from './service-account-onboarding.ts';
import { clusterSummary } from './summary-view.ts';
import { clusterWorkloads } from './workloads-view.ts';

type KubernetesClient = typeof K8s;

let clientModule: Promise<KubernetesClient> | undefined;

/** Loads @kubernetes/client-node once per process, on first use. */
export function loadKubernetesClient(): Promise<KubernetesClient> {
  clientModule ??= import('@kubernetes/client-node').catch((err: unknown) => {
    clientModule = undefined; // let the next call try again
    throw err;
  });
  return clientModule;
}

export interface KubernetesGatewayOptions {
  /** The same policy registration used: a stored kubeconfig it would now refuse is not used. */
  policy: KubeconfigPolicy;
  /** Bound on each gateway call (all requests it makes), in ms. Default 5000. */
  timeoutMs?: number;
  /** Bound on onboardServiceAccount, which waits for the token controller. Default 20000. */
  onboardingTimeoutMs?: number;
  /** DNS resolution (tests answer with their own addresses); every answer is checked either way. */
  resolveHost?: HostResolver;
  /** Largest answer kept in memory, in bytes (a page of a list must fit). Default 8 MiB. */
  maxResponseBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_ONBOARDING_TIMEOUT_MS = 20_000;
const MAX_NAMESPACES = 10_000;
const MAX_NODES_SCANNED = 10_000;
/** Nodes whose labels feed provider detection. */
const PROVIDER_SAMPLE = 20;

/** Builds a factory of gateways, one per call, that share the options and, per credential, its connection (connection-pool.ts). */
export function createKubernetesGatewayFactory(options: KubernetesGatewayOptions): ClusterGatewayFactory {
  const longestCall = Math.max(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.onboardingTimeoutMs ?? DEFAULT_ONBOARDING_TIMEOUT_MS);
  const pool = new ConnectionPool({ policy: options.policy, ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}) }, longestCall + 1_000);
  return (credentials, gatewayOptions) => new KubernetesGateway(credentials, options, gatewayOptions, pool);
}

interface Apis {
  core: K8s.CoreV1Api;
  rbac: K8s.RbacAuthorizationV1Api;
  version: K8s.VersionApi;
}

const isReady = (node: K8s.V1Node) => node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** A stored kubeconfig today's policy refuses: the gateway answers every call with it. */
function unusableCredential(err: unknown): ClusterUnavailableError {
  const why = err instanceof AppError ? err.message.replace(/^The kubeconfig is not accepted[^:]*: /, '') : 'it could not be read.';
  return new ClusterUnavailableError('refused', `The stored credential of this cluster is not accepted any more: ${why}`);
}

class KubernetesGateway implements ClusterGateway {
  private readonly connection?: ClusterConnection;
  private readonly transport?: GuardedTransport;
  /** Why this gateway cannot be used at all (the stored kubeconfig fails today's policy). */
  private readonly unusable?: ClusterUnavailableError;
  private readonly failure: FailureContext;
  private readonly timeoutMs: number;
  private readonly onboardingTimeoutMs: number;

  constructor(credentials: ClusterCredentials, options: KubernetesGatewayOptions, gatewayOptions: GatewayOptions = {}, pool?: ConnectionPool) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.onboardingTimeoutMs = options.onboardingTimeoutMs ?? DEFAULT_ONBOARDING_TIMEOUT_MS;
    let endpoint = credentials.summary.server;
    try {
      endpoint = new URL(credentials.summary.server).host;
    } catch {
      // keep the summary's text; the check below refuses it anyway
    }
    this.failure = { endpoint, secrets: [] };
    // Checked again here (or once per credential by the pool): the gateway must only ever run on a kubeconfig the current policy accepts.
    const pooled = pool?.get(credentials.kubeconfig);
    if (pooled && 'refusal' in pooled) {
      this.unusable = unusableCredential(pooled.refusal);
      return;
    }
    try {
      this.connection = pooled?.connection ?? readClusterConnection(credentials.kubeconfig, options.policy);
    } catch (err) {
      this.unusable = unusableCredential(err);
      return;
    }
    const credential = this.connection.credential;
    this.failure.secrets = credential.kind === 'token' ? [credential.token] : [credential.keyPem];
    this.transport = new GuardedTransport(this.connection, {
      networks: options.policy.networks,
      ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
      ...(options.maxResponseBytes ? { maxResponseBytes: options.maxResponseBytes } : {}),
      ...(gatewayOptions.impersonate ? { impersonate: gatewayOptions.impersonate } : {}),
      ...(pooled ? { agent: pooled.agent } : {}),
    });
  }

  /** Runs `work` with fresh typed API clients bound to one deadline; every failure leaves as ClusterUnavailableError. */
  private async call<T>(work: (apis: Apis, signal: AbortSignal) => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    this.usable();
    // Loading the client is the hub's own cost, not the cluster's: it happens before the clock starts.
    const k8s = await loadKubernetesClient();
    return this.withDeadline((signal) => work(this.apis(k8s, this.transport!, signal), signal), timeoutMs);
  }

  /** Runs `work` with the generic resource calls (plain JSON over the transport, no client loaded) bound to one deadline. */
  private async bounded<T>(work: (api: ResourceApi) => Promise<T>): Promise<T> {
    this.usable();
    const transport = this.transport!;
    const prefix = new URL(this.connection!.summary.server).pathname.replace(/\/+$/, '');
    return this.withDeadline((signal) => work(new ResourceApi((req) => transport.request({ ...req, signal }), prefix, this.failure.secrets)), this.timeoutMs);
  }

  private usable(): void {
    if (this.unusable || !this.transport || !this.connection)
      throw this.unusable ?? new ClusterUnavailableError('unknown', 'The cluster gateway is not usable.');
  }

  /**
   * One deadline for everything `work` sends. Business errors and the cluster's refusals
   * (ClusterApiError) pass; anything else is about reaching the cluster.
   */
  private async withDeadline<T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs: number): Promise<T> {
    const controller = new AbortController();
    const deadline = new DeadlineExceededError(timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort(deadline);
        reject(deadline);
      }, timeoutMs);
    });
    try {
      return await Promise.race([work(controller.signal), expired]);
    } catch (err) {
      if (err instanceof AppError || err instanceof ClusterApiError) throw err;
      // Too large even a page of one object at a time: the cluster is up and answering, so this is not an outage.
      const tooLarge = causeOf(err, ResponseTooLargeError);
      if (tooLarge) throw new ClusterResponseTooLargeError(tooLargeSentence(this.failure.endpoint, tooLarge.limit), tooLarge.limit);
      throw toClusterUnavailable(err, this.failure);
    } finally {
      clearTimeout(timer);
      if (!controller.signal.aborted) controller.abort(new Error('call finished'));
    }
  }

  private apis(k8s: KubernetesClient, transport: GuardedTransport, signal: AbortSignal): Apis {
    const httpApi = k8s.wrapHttpLibrary({
      async send(request) {
        const url = new URL(request.getUrl());
        // The generated client only builds URLs on the configured server; anything else is refused outright.
        if (url.origin !== transport.origin) throw new Error('request outside the cluster origin');
        const body = request.getBody();
        if (body !== undefined && typeof body !== 'string') throw new Error('unsupported request body');
        const res = await transport.request({
          method: request.getHttpMethod(),
          path: `${url.pathname}${url.search}`,
          headers: request.getHeaders(),
          ...(body !== undefined ? { body } : {}),
          signal,
        });
        return new k8s.ResponseContext(res.status, res.headers, {
          text: async () => res.body.toString('utf8'),
          binary: async () => res.body,
          stream: () => null,
        });
      },
    });
    const config = k8s.createConfiguration({
      baseServer: new k8s.ServerConfiguration(this.connection!.summary.server, {}),
      httpApi,
      authMethods: {},
    });
    return {
      core: new k8s.CoreV1Api(config),
      rbac: new k8s.RbacAuthorizationV1Api(config),
      version: new k8s.VersionApi(config),
    };
  }

  async testConnection(): Promise<ConnectionTest> {
    let started = performance.now();
    try {
      return await this.call(async ({ version, core }) => {
        started = performance.now(); // the round trip, not the client's first load
        const info = await version.getCode();
        const latency = Math.round(performance.now() - started);
        const nodeCount = await countAll(typedLister((p) => core.listNode(p))).catch(forbiddenAsNull);
        return { ok: true, version: info.gitVersion, nodeCount, latencyMs: latency };
      });
    } catch (err) {
      const failure = err instanceof ClusterUnavailableError || err instanceof ClusterResponseTooLargeError ? err : toClusterUnavailable(err, this.failure);
      const reason = failure instanceof ClusterUnavailableError ? failure.reason : 'unknown';
      return { ok: false, version: null, nodeCount: null, latencyMs: Math.round(performance.now() - started), error: failure.message, reason };
    }
  }

  async inspect(): Promise<ClusterInspection> {
    return this.call(async ({ version, core }) => {
      const started = performance.now();
      const info = await version.getCode();
      const latency = Math.round(performance.now() - started);
      const nodes = await listUpTo(
        typedLister((p) => core.listNode(p)),
        MAX_NODES_SCANNED,
      ).catch(forbiddenAsNull);
      const sample: ProviderNode[] = (nodes?.items ?? []).slice(0, PROVIDER_SAMPLE).map((n) => ({
        name: n.metadata?.name ?? '',
        labels: n.metadata?.labels ?? {},
        ...(n.spec?.providerID ? { providerId: n.spec.providerID } : {}),
      }));
      return {
        version: info.gitVersion,
        nodeCount: nodes ? nodes.items.length : null,
        readyNodeCount: nodes ? nodes.items.filter(isReady).length : null,
        provider: detectProvider({ serverUrl: this.connection!.summary.server, gitVersion: info.gitVersion, nodes: sample }),
        latencyMs: latency,
      };
    });
  }

  async version(): Promise<ClusterVersion> {
    return this.call(async ({ version }) => {
      const info = await version.getCode();
      return { gitVersion: info.gitVersion, major: info.major, minor: info.minor, platform: info.platform };
    });
  }

  async nodes(): Promise<NodeCounts> {
    return this.call(async ({ core }) => {
      const { items } = await listUpTo(
        typedLister((p) => core.listNode(p)),
        MAX_NODES_SCANNED,
      );
      return { nodeCount: items.length, readyNodeCount: items.filter(isReady).length };
    });
  }

  async namespaces(): Promise<NamespaceInfo[]> {
    return this.call(async ({ core }) => {
      const { items } = await listUpTo(
        typedLister((p) => core.listNamespace(p)),
        MAX_NAMESPACES,
      );
      return items.map((ns) => ({
        name: ns.metadata?.name ?? '',
        status: ns.status?.phase ?? 'Active',
        createdAt: iso(ns.metadata?.creationTimestamp),
        labels: ns.metadata?.labels ?? {},
      }));
    });
  }

  /** Counts the credential may not read come back null (the `view` ClusterRole cannot list nodes). */
  async summary(): Promise<ClusterSummary> {
    return this.bounded((api) => clusterSummary((collection, query) => api.list(collection, query)));
  }

  /** Kinds the credential may not list come back null; the others are still listed. */
  async workloads(query: WorkloadQuery = {}): Promise<Workloads> {
    return this.bounded((api) => clusterWorkloads((collection, q) => api.list(collection, q), query));
  }

  async events(query: EventQuery = {}): Promise<ClusterEvent[]> {
    return this.call(({ core }) => recentEvents(core, query));
  }

  async discover(): Promise<ApiDiscovery> {
    return this.bounded((api) => discoverApiResources(api));
  }

  async list(collection: ResourceCollection, query?: ListQuery): Promise<ObjectList> {
    return this.bounded((api) => api.list(collection, query));
  }

  async get(ref: ResourceObjectRef): Promise<ObjectAnswer> {
    return this.bounded((api) => api.get(ref));
  }

  async create(collection: ResourceCollection, object: KubernetesObject, options?: PatchOptions): Promise<ObjectAnswer> {
    return this.bounded((api) => api.create(collection, object, options));
  }

  async patch(ref: ResourceObjectRef, type: PatchType, patch: unknown, options?: PatchOptions): Promise<ObjectAnswer> {
    return this.bounded((api) => api.patch(ref, type, patch, options));
  }

  async apply(ref: ResourceObjectRef, object: KubernetesObject, options: ApplyOptions): Promise<ApplyAnswer> {
    return this.bounded((api) => api.apply(ref, object, options));
  }

  async delete(ref: ResourceObjectRef, options?: DeleteOptions): Promise<DeleteAnswer> {
    return this.bounded((api) => api.delete(ref, options));
  }

  async onboardServiceAccount(request: ServiceAccountRequest): Promise<OnboardedServiceAccount> {
    return this.call((apis, signal) => onboardServiceAccount(apis, this.connection!, request, signal), this.onboardingTimeoutMs);
  }

  close(): void {
    this.transport?.close();
  }
}
