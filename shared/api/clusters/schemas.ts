import { z } from '@hono/zod-openapi';
import { clusterEvent } from '#shared/http/event-schema.ts';
import { CLUSTER_STATUSES } from '#shared/domain/clusters/cluster.ts';

export const clusterName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'lower-case letters, digits and dashes, at most 63, as a DNS label')
  .openapi({ example: 'prod-eu-1' });
const labelKey = z.string().regex(/^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'a Kubernetes label key');
const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, 'a Kubernetes label value');

/**
 * A map a request hands in, as plain data. zod leaves a `__proto__` key out without a word, so it
 * is refused by name (it is no Kubernetes label key either); every other key, `constructor`
 * included, is an ordinary key from here to the table and back.
 */
function plainRecord<K extends z.ZodType<string>, V extends z.ZodType>(key: K, value: V) {
  return z.preprocess(
    (input, ctx) => {
      if (typeof input === 'object' && input !== null && Object.hasOwn(input, '__proto__')) {
        ctx.addIssue({ code: 'custom', message: '__proto__ is not allowed as a key', path: ['__proto__'], input });
      }
      return input;
    },
    z.record(key, value),
  );
}

export const labels = plainRecord(labelKey, labelValue).refine((l) => Object.keys(l).length <= 50, 'at most 50 labels');
const kubeconfigText = z
  .string()
  .min(1)
  .max(512 * 1024);
/**
 * Named, and referenced wherever a status appears: inline, client generators named the enum of
 * `Cluster.status` `ClusterStatus` beside the status report of that name, and dropped one of them.
 */
export const clusterStatus = z.enum(CLUSTER_STATUSES).openapi('ClusterStatus', { description: 'Whether the hub reached the cluster at its last contact.' });

/** Exactly one credential source; the use case names the offending fields when not. */
export const credentialSources = {
  kubeconfig: kubeconfigText.optional().openapi({ description: 'Kubeconfig YAML; inline credentials only.' }),
  kubeconfig_base64: z
    .string()
    .min(1)
    .max(700 * 1024)
    .optional()
    .openapi({ description: 'The same, base64-encoded.' }),
  kubeconfig_secret_ref: z
    .string()
    .min(1)
    .max(2048)
    .optional()
    .openapi({ description: "Name or ARN of a Secrets Manager secret holding a kubeconfig, under the hub's import prefix." }),
  local_context: z
    .string()
    .min(1)
    .max(253)
    .optional()
    .openapi({ description: "Local run only: a context of this machine's kubeconfig, as GET /clusters/discover lists them." }),
};

/** What the schema cannot say about a request's credential source. */
export const CREDENTIAL_SOURCE_RULES =
  'Give exactly one credential source: `kubeconfig`, `kubeconfig_base64`, `kubeconfig_secret_ref` or (local run only) `local_context`; none or several answer 400 naming them. The kubeconfig is checked before anything is stored: only inline server, CA, token and client certificate data pass (no `exec`, `auth-provider`, file paths, proxies, plain http, metadata or link-local servers), else 400 naming the field; the hub then connects, and a cluster that refuses or cannot be reached answers 422.';

const impersonateField = z.boolean().optional().openapi({
  description:
    "Act as the user: the hub's requests for a user carry Impersonate-User clusterhub:<username> and Impersonate-Group clusterhub:<role>, so the cluster's RBAC decides. Turning it on is checked with the cluster first (422 IMPERSONATION_NOT_ALLOWED when the hub's credential may not impersonate).",
});

export const registerBody = z
  .object({
    name: clusterName,
    context: z.string().min(1).max(253).optional(),
    description: z.string().max(1000).optional(),
    labels: labels.optional(),
    force: z.boolean().optional().openapi({ description: 'Replace a cluster registered under the same name.' }),
    impersonate: impersonateField,
    ...credentialSources,
  })
  .openapi('RegisterClusterRequest');

export const updateBody = z
  .object({
    name: clusterName.optional(),
    description: z.string().max(1000).optional(),
    labels: labels.optional(),
    context: z.string().min(1).max(253).optional().openapi({
      description:
        'The context to use from the new kubeconfig; only together with a credential source. Alone it is refused (400): the stored kubeconfig keeps only the one context it was rebuilt from.',
    }),
    impersonate: impersonateField,
    ...credentialSources,
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'name at least one field to change')
  .openapi('UpdateClusterRequest', {
    description: 'A credential source replaces the stored credential after the same checks and connection as registration; the previous credential is deleted.',
    minProperties: 1,
  });

export const cluster = z
  .object({
    id: z.string(),
    name: z.string(),
    context: z.string(),
    description: z.string(),
    server_url: z.string(),
    version: z.string().openapi({ description: 'The Kubernetes version the cluster reported.' }),
    status: clusterStatus,
    active: z.boolean(),
    provider: z.string(),
    node_count: z.number().int(),
    labels: z.record(z.string(), z.string()),
    auth: z.object({
      kind: z.enum(['token', 'client-certificate']),
      service_account: z
        .object({
          name: z.string(),
          namespace: z.string(),
          role: z.string(),
          token_expires_at: z
            .string()
            .nullable()
            .openapi({ description: "When the hub's bound token for the account expires; null for a long-lived token an earlier hub made." }),
        })
        .nullable(),
    }),
    created_at: z.string(),
    updated_at: z.string(),
    last_connected: z.string().nullable(),
    last_error: z.string().nullable(),
    impersonate: z.boolean().openapi({ description: "Whether the hub's requests for a user impersonate them on this cluster." }),
  })
  .openapi('Cluster');

export const listQuery = z.object({
  status: clusterStatus.optional(),
  provider: z.string().max(32).optional(),
  label: z
    .string()
    .max(1000)
    // The characters of label keys and values only: nothing else can match a label, and 1000 other characters, percent-encoded, outgrow what an HTTP server takes in a URL (431).
    .regex(/^[A-Za-z0-9._/-]+=[A-Za-z0-9._-]*(,[A-Za-z0-9._/-]+=[A-Za-z0-9._-]*)*$/, 'key=value pairs of label keys and values, separated by commas')
    .optional()
    .openapi({ example: 'env=prod,team=payments' }),
  search: z.string().max(100).optional(),
});

// Shared with every group whose paths start at /clusters/{clusterId} (shared/http/path-params.ts).
export { clusterIdParam } from '#shared/http/path-params.ts';

export const testResult = z
  .object({ ok: z.boolean(), version: z.string().nullable(), node_count: z.number().int().nullable(), latency_ms: z.number(), error: z.string().optional() })
  .openapi('ClusterTest');

export const serviceAccountBody = z
  .object({
    service_account: clusterName.openapi({
      description: 'A new account, or one the hub created before; an existing account the hub did not create is refused (409).',
    }),
    namespace: clusterName.openapi({ description: 'Created when missing. A per-cluster admin may use only the namespaces of HUB_ONBOARDING_NAMESPACES.' }),
    role: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9.:]{0,251}[a-z0-9])?$/, 'view, edit, cluster-admin or the name of a ClusterRole')
      .openapi({
        description:
          'The ClusterRole to bind. A per-cluster admin may bind only those of HUB_ONBOARDING_CLUSTER_ROLES; cluster-admin always needs the global admin role.',
      }),
    use_for_hub: z
      .boolean()
      .default(false)
      .openapi({ description: "Make a bound, expiring token of the account the hub's credential; without it no token is made." }),
  })
  .openapi('ServiceAccountRequest');

export const serviceAccount = z
  .object({
    name: z.string(),
    service_account: z.string(),
    namespace: z.string(),
    role: z.string(),
    cluster_role_binding: z.string(),
    used_for_hub: z.boolean(),
    token_expires_at: z.string().nullable().openapi({
      description:
        "When the hub's token for the account expires (the hub does not renew it); null unless used_for_hub, or for a long-lived token an earlier hub made.",
    }),
    updated_at: z.string().openapi({ description: 'When the account was onboarded; a repeat for the account the hub already uses answers the same.' }),
  })
  .openapi('ServiceAccount');

// Live views, mirroring the gateway port's shapes (shared/ports/cluster-gateway.ts).
// A part the hub's credential may not read (the cluster answered 403) is null; the rest still answers.
const count = (what: string, note = '') =>
  z
    .number()
    .int()
    .nullable()
    .openapi({ description: `${what}; null when the hub's credential may not list them cluster-wide${note}.` });
export const summary = z
  .object({
    node_count: count('Nodes', ' (the standard `view` ClusterRole cannot)'),
    namespace_count: count('Namespaces'),
    pod_count: count('Pods in all namespaces'),
    deployment_count: count('Deployments in all namespaces'),
    service_count: count('Services in all namespaces'),
  })
  .openapi('ClusterSummary', { description: 'Counts, live. Each is null when the credential may not read it; the others are still counted.' });

export const namespaces = z
  .object({
    items: z.array(z.object({ name: z.string(), status: z.string(), created_at: z.string().nullable(), labels: z.record(z.string(), z.string()) })),
  })
  .openapi('ClusterNamespaces');

const replicated = { name: z.string(), namespace: z.string(), ready: z.number().int(), desired: z.number().int() };
const unreadable = { description: "null when the hub's credential may not list this kind." };
export const workloads = z
  .object({
    deployments: z
      .array(z.object({ ...replicated, updated: z.number().int(), available: z.number().int() }))
      .nullable()
      .openapi(unreadable),
    statefulsets: z.array(z.object(replicated)).nullable().openapi(unreadable),
    daemonsets: z.array(z.object(replicated)).nullable().openapi(unreadable),
    jobs: z
      .array(
        z.object({
          name: z.string(),
          namespace: z.string(),
          status: z.enum(['running', 'complete', 'failed', 'suspended']),
          succeeded: z.number().int(),
          failed: z.number().int(),
          active: z.number().int(),
          completions: z.number().int().nullable(),
        }),
      )
      .nullable()
      .openapi(unreadable),
    cronjobs: z
      .array(
        z.object({
          name: z.string(),
          namespace: z.string(),
          schedule: z.string(),
          suspended: z.boolean(),
          active: z.number().int(),
          last_schedule: z.string().nullable(),
        }),
      )
      .nullable()
      .openapi(unreadable),
    truncated: z.boolean().openapi({ description: 'A kind had more objects than the limit; only the first are listed.' }),
  })
  .openapi('ClusterWorkloads', { description: 'Workloads, live. A kind is null when the credential may not list it; the others are still listed.' });

export const overview = z
  .object({
    cluster,
    summary,
    recent_events: z
      .array(clusterEvent)
      .nullable()
      .openapi({ description: "The latest events, newest first; null when the hub's credential may not list events." }),
  })
  .openapi('ClusterOverview');

export const status = z
  .object({
    name: z.string(),
    status: clusterStatus,
    details: z.object({
      version: z.string(),
      nodes: z.number().int(),
      ready_nodes: z.number().int().nullable(),
      last_check: z.string().nullable(),
      last_connected: z.string().nullable(),
      error: z.string().optional(),
      reason: z.string().optional(),
    }),
  })
  .openapi('ClusterStatusReport', { description: 'The status the probe found, now recorded on the cluster.' });
