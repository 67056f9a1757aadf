/**
 * The questions about resources (issue 12 item 5): a Service's endpoints, the consumers of a
 * ConfigMap, Secret or claim, a TLS Secret's certificate, counts per namespace, storage class and
 * service account, and MetalLB. All are reads for viewers; none answers a Secret's values.
 */
import { z } from '@hono/zod-openapi';
import type { ClusterGateway } from '#shared/ports/cluster-gateway.ts';
import { CONSUMED_KINDS, consumers, type ConsumedKind } from '#shared/domain/resources/consumers.ts';
import {
  COUNTED_KINDS,
  metalLbFeature,
  namespaceCounts,
  serviceAccountTokenCounts,
  serviceEndpoints,
  storageClassCounts,
  type CountedKind,
} from '#shared/domain/resources/questions.ts';
import { tlsInfo } from '#shared/domain/resources/tls-info.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { clusterIdParam, type ResourceRouteFile } from './route-kit.ts';

const objectParams = clusterIdParam.extend({
  namespace: z
    .string()
    .min(1)
    .max(63)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name')
    .openapi({ description: 'The namespace.' }),
  name: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a Kubernetes object name')
    .openapi({ description: 'The object name.' }),
});

const endpoints = z
  .object({
    namespace: z.string(),
    name: z.string(),
    endpoints: z.array(
      z
        .object({
          address: z.string(),
          address_type: z.string().openapi({ example: 'IPv4' }),
          ready: z.boolean(),
          serving: z.boolean(),
          terminating: z.boolean(),
          ports: z.array(z.object({ name: z.string().nullable(), port: z.number().int(), protocol: z.string(), app_protocol: z.string().nullable() })),
          target: z
            .object({ kind: z.string(), name: z.string(), namespace: z.string().nullable() })
            .nullable()
            .openapi({ description: 'The pod behind the address.' }),
          node_name: z.string().nullable(),
          zone: z.string().nullable(),
          hostname: z.string().nullable(),
          endpoint_slice: z.string(),
        })
        .openapi('ServiceEndpoint'),
    ),
  })
  .openapi('ServiceEndpoints');

const workload = { kind: z.string().openapi({ example: 'Deployment' }), name: z.string(), namespace: z.string() };
const references = z.array(
  z.object({
    via: z.enum(['volume', 'projected-volume', 'env', 'envFrom', 'imagePullSecrets', 'serviceAccountName', 'volumeClaimTemplate', 'secrets']),
    container: z.string().nullable(),
    field: z.string().nullable().openapi({ description: 'The volume, environment variable or claim template.' }),
  }),
);
const consumerList = z
  .object({
    kind: z.enum(Object.keys(CONSUMED_KINDS) as [ConsumedKind]),
    namespace: z.string(),
    name: z.string(),
    pods: z.array(
      z.object({
        name: z.string(),
        namespace: z.string(),
        workload: z
          .object(workload)
          .nullable()
          .openapi({ description: 'What runs the pod, through its owners (ReplicaSet to Deployment, Job to CronJob); null for a bare pod.' }),
        references,
      }),
    ),
    workloads: z.array(
      z.object({
        ...workload,
        pods: z.array(z.string()).openapi({ description: 'Its pods that use the object; none for a workload scaled to zero.' }),
        references: references.openapi({ description: 'Where its pod template uses the object.' }),
      }),
    ),
    service_accounts: z
      .array(z.object({ name: z.string(), namespace: z.string(), references }))
      .openapi({ description: "ServiceAccounts that list the Secret under `secrets` or `imagePullSecrets` (a Secret's answer only)." }),
    unreadable: z.array(z.string()).openapi({ description: 'Kinds the hub (or the impersonated caller) may not list: consumers among them are unknown.' }),
  })
  .openapi('Consumers');

const certificate = z
  .object({
    subject: z.string().openapi({ example: 'CN=example.com, O=Example' }),
    common_name: z.string().nullable(),
    issuer: z.string(),
    subject_alt_names: z.object({ dns: z.array(z.string()), ip: z.array(z.string()), email: z.array(z.string()), uri: z.array(z.string()) }),
    serial_number: z.string(),
    not_before: z.string(),
    not_after: z.string(),
    days_remaining: z.number().int().openapi({ description: 'Whole days until not_after; negative once expired.' }),
    expired: z.boolean(),
    not_yet_valid: z.boolean(),
    is_ca: z.boolean(),
    self_signed: z.boolean(),
    key_type: z.string().nullable().openapi({ example: 'rsa' }),
    key_size: z.number().int().nullable(),
    key_curve: z.string().nullable(),
    fingerprint_sha256: z.string(),
  })
  .openapi('CertificateInfo');
const tls = z
  .object({
    certificate,
    chain: z.array(certificate).openapi({ description: 'tls.crt in order, leaf first.' }),
    chain_valid: z.boolean().openapi({ description: 'Each certificate is issued and signed by the next.' }),
    key_matches_certificate: z
      .boolean()
      .nullable()
      .openapi({ description: 'Whether tls.key belongs to the leaf; null when absent or unreadable. The key itself is never answered.' }),
    ca: z.array(certificate).openapi({ description: 'The certificates of ca.crt, when present.' }),
  })
  .openapi('TlsInfo');

const kindCounts = z.object(
  Object.fromEntries((Object.keys(COUNTED_KINDS) as CountedKind[]).map((k) => [k, z.number().int().nullable()])) as Record<
    CountedKind,
    z.ZodNullable<z.ZodNumber>
  >,
);
const namespaceCountsSchema = z
  .object({
    namespaces: z.array(z.object({ name: z.string(), counts: kindCounts })),
    forbidden_kinds: z
      .array(z.enum(Object.keys(COUNTED_KINDS) as [CountedKind]))
      .openapi({ description: 'Kinds the credential may not list (their counts are null).' }),
  })
  .openapi('NamespaceCounts');
const pvCounts = z
  .object({
    storage_classes: z.array(
      z.object({
        name: z.string(),
        provisioner: z.string().nullable().openapi({ description: 'Null for a class PersistentVolumes name that the cluster does not have.' }),
        default: z.boolean(),
        persistent_volumes: z.number().int(),
      }),
    ),
    without_storage_class: z.number().int(),
    total: z.number().int(),
  })
  .openapi('StorageClassCounts');
const tokenCounts = z
  .object({
    service_accounts: z.array(
      z.object({
        namespace: z.string(),
        name: z.string(),
        token_secrets: z.number().int().openapi({ description: 'Long-lived token Secrets (type kubernetes.io/service-account-token) of the account.' }),
        exists: z.boolean().openapi({ description: 'False for tokens left behind by an account that is gone.' }),
      }),
    ),
    total_token_secrets: z.number().int(),
  })
  .openapi('ServiceAccountTokenCounts');
const metallb = z
  .object({
    enabled: z.boolean().openapi({ description: 'Its API group is served and its controller Deployment found.' }),
    version: z.string().nullable().openapi({ example: '0.14.8', description: "From the controller's image tag." }),
    crds: z.array(z.string()),
    controller: z.object({ namespace: z.string(), name: z.string(), image: z.string(), ready: z.number().int(), desired: z.number().int() }).nullable(),
  })
  .openapi('MetalLbFeature');

const readFailures = errorResponses(403, 404, 422, 502, 503);
readFailures[403]!.description = 'CLUSTER_FORBIDDEN: the cluster does not allow the read (to the hub, or to the caller when it impersonates).';

export const questionRoutes: ResourceRouteFile = (kit) => {
  const tags = ['resources'];

  kit.declare(
    {
      method: 'get',
      path: '/clusters/{clusterId}/resources/services/{namespace}/{name}/endpoints',
      tags,
      summary: 'The addresses behind a Service, from its EndpointSlices',
      description: 'One entry per address: ready, serving and terminating, the ports, and the pod behind it.',
      cluster: 'viewer',
      request: { params: objectParams },
      responses: { 200: jsonContent(endpoints, 'The endpoints.'), ...readFailures },
    },
    async (c) => {
      const { namespace, name } = c.req.valid('param');
      return c.json({ namespace, name, endpoints: await kit.gathering(c, (g) => serviceEndpoints(g, namespace, name)) }, 200);
    },
  );

  const KIND_NAMES: Record<ConsumedKind, string> = {
    configmaps: 'ConfigMap',
    secrets: 'Secret',
    persistentvolumeclaims: 'PersistentVolumeClaim',
    serviceaccounts: 'ServiceAccount',
  };
  const HOW: Record<ConsumedKind, string> = {
    configmaps: 'a volume (projected too), env valueFrom or envFrom, in containers, init and ephemeral containers alike',
    secrets: 'a volume (projected too), env valueFrom, envFrom or imagePullSecrets, in containers, init and ephemeral containers alike',
    persistentvolumeclaims: 'a volume (or, for a StatefulSet, the claim template the claim was made from)',
    serviceaccounts: 'serviceAccountName',
  };
  for (const kind of Object.keys(CONSUMED_KINDS) as ConsumedKind[]) {
    kit.declare(
      {
        method: 'get',
        path: `/clusters/{clusterId}/resources/${kind}/{namespace}/{name}/consumers`,
        tags,
        summary: `The pods and workloads that use a ${KIND_NAMES[kind]}`,
        description: `Pods of the namespace, and the pod templates of its Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs (so a workload scaled to zero is listed), that reference it through ${HOW[kind]}${kind === 'secrets' ? '; and the ServiceAccounts that list it' : ''}. Each workload once, with its pods: a ReplicaSet or Job run by a Deployment or CronJob is that owner.`,
        cluster: 'viewer',
        request: { params: objectParams },
        responses: { 200: jsonContent(consumerList, 'Its consumers.'), ...readFailures },
      },
      async (c) => {
        const { namespace, name } = c.req.valid('param');
        return c.json({ kind, namespace, name, ...(await kit.gathering(c, (g) => consumers(g, kind, namespace, name))) }, 200);
      },
    );
  }

  const tlsFailures = errorResponses(403, 404, 422, 502, 503);
  tlsFailures[422]!.description = 'NOT_A_TLS_SECRET (no tls.crt) or CERTIFICATE_UNREADABLE (no PEM certificate in it); or the cluster refused the hub.';
  kit.declare(
    {
      method: 'get',
      path: '/clusters/{clusterId}/resources/secrets/{namespace}/{name}/tls-info',
      tags,
      summary: "A TLS Secret's certificate chain: subject, names, issuer, validity, days remaining",
      description: 'Read from `tls.crt` (and `ca.crt`); the answer holds certificate facts only, never a value of the Secret.',
      cluster: 'viewer',
      request: { params: objectParams },
      responses: { 200: jsonContent(tls, 'The certificates.'), ...tlsFailures },
    },
    async (c) => {
      const { namespace, name } = c.req.valid('param');
      return c.json(await kit.gathering(c, (g) => tlsInfo(g, namespace, name, kit.deps.clock.now())), 200);
    },
  );

  const counted = <T extends z.ZodType>(
    path: string,
    summary: string,
    description: string,
    schema: T,
    count: (gateway: ClusterGateway) => Promise<z.infer<T>>,
  ) =>
    kit.declare(
      {
        method: 'get',
        path: `/clusters/{clusterId}${path}`,
        tags,
        summary,
        description,
        cluster: 'viewer',
        request: { params: clusterIdParam },
        // Typed as any object here: each call site ties its count to its schema.
        responses: { 200: jsonContent(schema as z.ZodType<Record<string, unknown>>, 'The answer.'), ...readFailures },
      },
      async (c) => c.json((await kit.gathering(c, count)) as Record<string, unknown>, 200),
    );

  const walked = "Counted from the cluster's lists a page at a time.";
  counted(
    '/resources/storageclasses/pv-counts',
    'PersistentVolumes per StorageClass',
    `Every class (zero volumes too), and classes volumes name that the cluster lacks. ${walked}`,
    pvCounts,
    (g) => storageClassCounts(g),
  );
  counted(
    '/resources/namespaces/counts',
    'Objects per namespace of the common kinds',
    `Kinds: ${Object.keys(COUNTED_KINDS).join(', ')}; a kind the credential may not list cluster-wide is null. ${walked}`,
    namespaceCountsSchema,
    (g) => namespaceCounts(g),
  );
  counted(
    '/resources/serviceaccounts/token-counts',
    'Long-lived token Secrets per ServiceAccount',
    `Each is a credential that does not expire: worth a look. Only their metadata is read into the answer. ${walked}`,
    tokenCounts,
    (g) => serviceAccountTokenCounts(g),
  );
  counted(
    '/features/metallb',
    'Whether MetalLB runs, and its version',
    "Detected from the metallb.io API group in the cluster's discovery and its controller Deployment (labels app=metallb,component=controller or the Helm chart's); the version is the controller image's tag.",
    metallb,
    (g) => metalLbFeature(g),
  );
};
