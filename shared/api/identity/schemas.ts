import { z } from '@hono/zod-openapi';
import { CLUSTER_ROLES, ROLES } from '#shared/domain/identity/access.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '#shared/domain/identity/passwords.ts';

export const username = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/, '3 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit')
  .openapi({ example: 'alice' });
// Length and strength are the password policy's to judge, with a sentence that says why.
const password = z.string().min(1).max(256);
/** What the password policy asks of a new password, for the operations that set one. */
export const PASSWORD_POLICY = `A new password has ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters, at least 4 of them different, does not contain the username and is not a well-known password; one that is refused answers 400 naming the rule it breaks.`;
// The document states the policy's length, so that a client (or a fuzzer) can tell a valid password from a short one.
const newPassword = password.openapi({ minLength: MIN_PASSWORD_LENGTH, description: PASSWORD_POLICY });
export const totpCode = z
  .string()
  .regex(/^\d{6}$/, 'six digits')
  .openapi({ example: '123456' });
export const role = z.enum(ROLES).openapi('Role', { description: 'A global role: viewer < operator < admin.' });
export const clusterRole = z
  .enum(CLUSTER_ROLES)
  .openapi('ClusterRole', { description: 'A role on one cluster, overriding the global one there; `none` hides the cluster.' });
export const id = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'an id');

export const loginBody = z.object({ username: z.string().min(1).max(64), password, totp_code: totpCode.optional() }).openapi('LoginRequest');
export const refreshBody = z.object({ refresh_token: z.string().min(1).max(512) }).openapi('RefreshRequest');
export const tokenPair = z
  .object({
    access_token: z.string(),
    refresh_token: z.string(),
    expires_in: z.number().int().openapi({ example: 900 }),
    token_type: z.literal('Bearer'),
  })
  .openapi('TokenPair');

export const me = z
  .object({
    id: z.string(),
    username: z.string(),
    role,
    cluster_permissions: z.record(z.string(), clusterRole).openapi({ description: 'Your per-cluster roles; clusters hidden from you (`none`) are left out.' }),
    totp_enabled: z.boolean(),
    auth_method: z.enum(['token', 'api-key', 'anonymous']),
  })
  .openapi('Me');

export const changePasswordBody = z.object({ current_password: password, new_password: newPassword }).openapi('ChangePasswordRequest');
export const changePasswordResult = z
  .object({
    sessions_ended: z.number().int(),
    api_keys_revoked: z.array(z.string()).openapi({ description: 'Ids of your API keys the change revoked (all of them).' }),
  })
  .openapi('ChangePasswordResult');
export const codeBody = z.object({ code: totpCode }).openapi('TotpCode');
export const totpSetup = z.object({ secret: z.string(), otpauth_url: z.string() }).openapi('TotpSetup');

export const apiKeyBody = z
  .object({
    name: z.string().min(1).max(100),
    expires_in_days: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .openapi({ description: 'At most HUB_API_KEY_MAX_DAYS (90 unless configured), which is also the default; a longer one is refused.' }),
    current_password: password.openapi({ description: 'Your password: a key outlives the session, so making one proves it is you.' }),
    totp_code: totpCode.optional().openapi({ description: 'A fresh code, required when two-factor authentication is on.' }),
  })
  .openapi('ApiKeyRequest');
export const apiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ description: 'The first characters of the key, to tell keys apart.' }),
    created_at: z.string(),
    expires_at: z.string().openapi({ description: 'When the key stops working (every key expires).' }),
    last_used_at: z.string().nullable(),
  })
  .openapi('ApiKey');
export const createdApiKey = apiKey.extend({ key: z.string().openapi({ description: 'Shown once; keep it safe.' }) }).openapi('CreatedApiKey');

export const rotateSigningKeyBody = z
  .object({
    revoke_previous: z
      .boolean()
      .default(false)
      .openapi({ description: 'Refuse tokens of every earlier key from now on (after a leak), instead of letting them retire.' }),
  })
  .openapi('RotateSigningKeyRequest');
export const signingKeyRotation = z
  .object({
    kid: z.string().openapi({ description: 'The new key id.' }),
    previous: z
      .array(z.object({ kid: z.string(), verifies_until: z.string() }))
      .openapi({ description: 'Each earlier key and when it stops verifying: now when revoked.' }),
  })
  .openapi('SigningKeyRotation');
export const bootstrapPasswordRotation = z
  .object({
    user_id: z.string(),
    secret: z.string().openapi({ description: 'The secret that holds the new password (never shown here).' }),
    sessions_ended: z.number().int(),
    api_keys_revoked: z.array(z.string()),
  })
  .openapi('BootstrapPasswordRotation');

export const user = z
  .object({
    id: z.string(),
    username: z.string(),
    role,
    totp_enabled: z.boolean(),
    locked_until: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    last_login_at: z.string().nullable(),
  })
  .openapi('User');
export const createUserBody = z.object({ username, password: newPassword, role }).openapi('CreateUserRequest');
export const updateUserBody = z
  .object({ username: username.optional(), role: role.optional(), password: newPassword.optional() })
  .refine((b) => Object.keys(b).length > 0, 'name at least one of username, role, password')
  .openapi('UpdateUserRequest', { minProperties: 1 });
export const clusterPermission = z.object({ cluster_id: id, role: clusterRole }).openapi('ClusterPermission');
export const idParam = z.object({ id });

/** The answer of a change that returns nothing. */
export const noContent = { 204: { description: 'Done.' } };
