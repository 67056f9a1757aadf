import { z } from 'zod';
import { DEFAULT_TABLE_NAME } from '#shared/data/table-definition.ts';

/** A configuration value that cannot be used; the message is one sentence saying what to fix. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const schema = z.object({
  HUB_TABLE_NAME: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/).default(DEFAULT_TABLE_NAME),
  HUB_AUTH_MODE: z.enum(['required', 'optional', 'disabled']).default('required'),
  HUB_SECRET_PREFIX: z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,200}$/).default('clusterhub/'),
  HUB_ENVIRONMENT: z.enum(['aws', 'local']).default('aws'),
  HUB_VERSION: z.string().optional(),
  HUB_RATE_LIMIT_AUTH_PER_MINUTE: perMinute(10),
  HUB_RATE_LIMIT_READ_PER_MINUTE: perMinute(120),
  HUB_RATE_LIMIT_WRITE_PER_MINUTE: perMinute(60),
  HUB_RATE_LIMIT_EXEC_PER_MINUTE: perMinute(10),
  HUB_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  HUB_MAX_CLUSTER_RESPONSE_BYTES: z.coerce.number().int().min(16 * 1024).max(256 * 1024 * 1024).default(8 * 1024 * 1024),
});

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
  /** The largest answer read from a cluster for one request (a page of a list): bigger ones are aborted. */
  maxClusterResponseBytes: number;
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
  HUB_MAX_CLUSTER_RESPONSE_BYTES: 'a whole number of bytes (16384-268435456)',
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
  if (c.HUB_AUTH_MODE === 'disabled' && c.HUB_ENVIRONMENT !== 'local') {
    throw new ConfigError('HUB_AUTH_MODE=disabled is for the local run only: set it to required (or optional) in a deployment.');
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
    maxClusterResponseBytes: c.HUB_MAX_CLUSTER_RESPONSE_BYTES,
  };
}
