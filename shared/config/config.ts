import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { DEFAULT_TABLE_NAME } from '#shared/data/table-definition.ts';

/** A configuration value that cannot be used; the message is one sentence saying what to fix. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const schema = z.object({
  HUB_TABLE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,255}$/)
    .default(DEFAULT_TABLE_NAME),
  HUB_AUTH_MODE: z.enum(['required', 'optional', 'disabled']).default('required'),
  HUB_SECRET_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9/_+=.@-]{1,200}$/)
    .default('clusterhub/'),
  HUB_ENVIRONMENT: z.enum(['aws', 'local']).default('aws'),
  HUB_VERSION: z.string().optional(),
  HUB_RATE_LIMIT_AUTH_PER_MINUTE: perMinute(10),
  HUB_RATE_LIMIT_READ_PER_MINUTE: perMinute(120),
  HUB_RATE_LIMIT_WRITE_PER_MINUTE: perMinute(60),
  HUB_RATE_LIMIT_EXEC_PER_MINUTE: perMinute(10),
  HUB_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  HUB_TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((list) =>
      list
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean),
    )
    .refine((cidrs) => cidrs.every((cidr) => ipaddr.isValidCIDR(cidr))),
  HUB_ONBOARDING_CLUSTER_ROLES: nameList(/^[a-z0-9]([-a-z0-9.:]{0,251}[a-z0-9])?$/, 'view,edit'),
  HUB_ONBOARDING_NAMESPACES: nameList(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'clusterhub-system'),
  HUB_ONBOARDING_TOKEN_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  HUB_ALLOW_OPTIONAL_AUTH: z.enum(['true', 'false']).default('false'),
  HUB_API_KEY_MAX_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  HUB_BOOTSTRAP_SECRET_ARN: z.string().min(1).max(2048).optional(),
  HUB_MAX_CLUSTER_RESPONSE_BYTES: z.coerce
    .number()
    .int()
    .min(16 * 1024)
    .max(256 * 1024 * 1024)
    .default(8 * 1024 * 1024),
  // The API takes no body over 1 MiB (MAX_BODY_BYTES): this can only lower what apply and patch send on.
  HUB_MAX_APPLY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024)
    .default(1024 * 1024),
  HUB_TOPOLOGY_MAX_OBJECTS: z.coerce.number().int().min(100).max(200_000).default(20_000),
  HUB_TOPOLOGY_MAX_NODES: z.coerce.number().int().min(10).max(5000).default(1000),
  HUB_TOPOLOGY_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
});

/** A comma-separated list of names (empty allowed: nothing beyond the global admin role). */
function nameList(name: RegExp, fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((v) =>
      v
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean),
    )
    .refine((names) => names.every((n) => name.test(n)));
}

function perMinute(fallback: number) {
  return z.coerce.number().int().min(1).max(100_000).default(fallback);
}

export type RateTier = 'auth' | 'read' | 'write' | 'exec';

export type Config = {
  tableName: string;
  authMode: 'required' | 'optional' | 'disabled';
  secretPrefix: string;
  /** `local` for the one-command run on a laptop; some endpoints exist only there. */
  environment: 'aws' | 'local';
  /** Requests a minute: per client IP for `auth`, per principal for the others. */
  rateLimits: Record<RateTier, number>;
  auditRetentionDays: number;
  /** CIDRs of the proxies whose X-Forwarded-For names the client (shared/http/client-ip.ts). */
  trustedProxies: string[];
  /** What a per-cluster admin may onboard (roles, namespaces), and the hub's service-account token lifetime. */
  onboarding: { clusterRoles: string[]; namespaces: string[]; tokenLifetimeSeconds: number };
  /** The longest lifetime of an API key, in days. */
  apiKeyMaxDays: number;
  /** The secret holding the first admin's password (a deployment's), until that admin changes it. */
  bootstrapSecret?: string;
  /** The largest answer read from a cluster for one request (a page of a list): bigger ones are aborted. */
  maxClusterResponseBytes: number;
  /** The largest manifest (all its documents) or patch sent on to a cluster; larger ones answer 413. */
  maxApplyBytes: number;
  /** The most objects one topology graph is built from; more answer 422 TOPOLOGY_TOO_LARGE. */
  topologyMaxObjects: number;
  /** Nodes above which a topology graph folds pods and ReplicaSets into their workloads (its max_nodes default). */
  topologyMaxNodes: number;
  /** How long a built topology graph is served from the table's cache (0: never cached). */
  topologyCacheSeconds: number;
};

const describe: Record<string, string> = {
  HUB_TABLE_NAME: 'a DynamoDB table name (3-255 letters, digits, _ . -)',
  HUB_AUTH_MODE: 'one of required, optional, disabled',
  HUB_SECRET_PREFIX: 'a Secrets Manager name prefix such as clusterhub/',
  HUB_ENVIRONMENT: 'aws or local',
  HUB_RATE_LIMIT_AUTH_PER_MINUTE: 'a whole number of requests a minute (1-100000)',
  HUB_RATE_LIMIT_READ_PER_MINUTE: 'a whole number of requests a minute (1-100000)',
  HUB_RATE_LIMIT_WRITE_PER_MINUTE: 'a whole number of requests a minute (1-100000)',
  HUB_RATE_LIMIT_EXEC_PER_MINUTE: 'a whole number of requests a minute (1-100000)',
  HUB_AUDIT_RETENTION_DAYS: 'a whole number of days (1-3650)',
  HUB_TRUSTED_PROXIES: 'comma-separated CIDRs of your reverse proxies, such as 10.0.0.0/8,::1/128',
  HUB_ONBOARDING_CLUSTER_ROLES: 'a comma-separated list of ClusterRole names such as view,edit',
  HUB_ONBOARDING_NAMESPACES: 'a comma-separated list of namespace names such as clusterhub-system',
  HUB_ONBOARDING_TOKEN_DAYS: 'a whole number of days (1-3650)',
  HUB_ALLOW_OPTIONAL_AUTH: 'true or false',
  HUB_API_KEY_MAX_DAYS: 'a whole number of days (1-3650)',
  HUB_BOOTSTRAP_SECRET_ARN: 'the ARN or name of the bootstrap admin password secret',
  HUB_MAX_CLUSTER_RESPONSE_BYTES: 'a whole number of bytes (16384-268435456)',
  HUB_MAX_APPLY_BYTES: 'a whole number of bytes (1024-1048576)',
  HUB_TOPOLOGY_MAX_OBJECTS: 'a whole number of objects (100-200000)',
  HUB_TOPOLOGY_MAX_NODES: 'a whole number of nodes (10-5000)',
  HUB_TOPOLOGY_CACHE_SECONDS: 'a whole number of seconds (0-3600; 0 turns the cache off)',
};

/** Reads the configuration every runtime shares from environment variables. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    throw new ConfigError(`${name}=${JSON.stringify(env[name])} is not valid: set it to ${describe[name] ?? 'a valid value'}, or unset it.`);
  }
  const c = parsed.data;
  // Lambda sets AWS_LAMBDA_FUNCTION_NAME itself: no other variable can make a function believe it runs locally.
  const inLambda = Boolean(env.AWS_LAMBDA_FUNCTION_NAME);
  if (c.HUB_AUTH_MODE === 'disabled' && (inLambda || c.HUB_ENVIRONMENT !== 'local')) {
    const where = inLambda ? 'this is a Lambda (AWS_LAMBDA_FUNCTION_NAME is set)' : 'this is a deployment';
    throw new ConfigError(`HUB_AUTH_MODE=disabled is for the local run only and ${where}: set it to required.`);
  }
  if (c.HUB_AUTH_MODE === 'optional' && inLambda && c.HUB_ALLOW_OPTIONAL_AUTH !== 'true') {
    throw new ConfigError(
      'HUB_AUTH_MODE=optional lets anyone on the internet read as a viewer, so a Lambda refuses it: set HUB_AUTH_MODE=required, or set HUB_ALLOW_OPTIONAL_AUTH=true if that is what you want.',
    );
  }
  return {
    tableName: c.HUB_TABLE_NAME,
    authMode: c.HUB_AUTH_MODE,
    secretPrefix: c.HUB_SECRET_PREFIX,
    environment: c.HUB_ENVIRONMENT,
    rateLimits: {
      auth: c.HUB_RATE_LIMIT_AUTH_PER_MINUTE,
      read: c.HUB_RATE_LIMIT_READ_PER_MINUTE,
      write: c.HUB_RATE_LIMIT_WRITE_PER_MINUTE,
      exec: c.HUB_RATE_LIMIT_EXEC_PER_MINUTE,
    },
    auditRetentionDays: c.HUB_AUDIT_RETENTION_DAYS,
    trustedProxies: c.HUB_TRUSTED_PROXIES,
    onboarding: {
      clusterRoles: c.HUB_ONBOARDING_CLUSTER_ROLES,
      namespaces: c.HUB_ONBOARDING_NAMESPACES,
      tokenLifetimeSeconds: c.HUB_ONBOARDING_TOKEN_DAYS * 86_400,
    },
    apiKeyMaxDays: c.HUB_API_KEY_MAX_DAYS,
    bootstrapSecret: c.HUB_BOOTSTRAP_SECRET_ARN,
    maxClusterResponseBytes: c.HUB_MAX_CLUSTER_RESPONSE_BYTES,
    maxApplyBytes: c.HUB_MAX_APPLY_BYTES,
    topologyMaxObjects: c.HUB_TOPOLOGY_MAX_OBJECTS,
    topologyMaxNodes: c.HUB_TOPOLOGY_MAX_NODES,
    topologyCacheSeconds: c.HUB_TOPOLOGY_CACHE_SECONDS,
  };
}
