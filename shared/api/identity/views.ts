import type { ClusterRole, Principal } from '#shared/domain/identity/access.ts';
import { apiKeyExpiry } from '#shared/domain/identity/api-keys.ts';
import type { TokenPair } from '#shared/domain/identity/authentication.ts';
import type { ApiKeyRecord, UserRecord } from '#shared/domain/identity/ports.ts';

/*
 * What the identity routes answer: the one place where records and results (camelCase) become
 * the wire's snake_case, beside the schemas (schemas.ts) that document them.
 */

/** The caller, as authentication has just read them. A `none` override hides its cluster, so the caller's own view leaves it out. */
export function meView(principal: Principal) {
  return {
    id: principal.userId,
    username: principal.username,
    role: principal.role,
    cluster_permissions: Object.fromEntries(Object.entries(principal.clusterPermissions).filter(([, role]) => role !== 'none')),
    totp_enabled: principal.totpEnabled,
    auth_method: principal.via,
  };
}

export function tokenPairView(pair: TokenPair) {
  return { access_token: pair.accessToken, refresh_token: pair.refreshToken, expires_in: pair.expiresIn, token_type: 'Bearer' as const };
}

/** A user as the API shows it: never a hash, a seed or a count an attacker could use. */
export function userView(u: UserRecord) {
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    totp_enabled: u.totp?.enabled ?? false,
    locked_until: u.lockedUntil && Date.parse(u.lockedUntil) > Date.now() ? u.lockedUntil : null,
    created_at: u.createdAt,
    updated_at: u.updatedAt,
    last_login_at: u.lastLoginAt ?? null,
  };
}

/** A key as its owner sees it; `expires_at` is when it stops working, the HUB_API_KEY_MAX_DAYS cap included. */
export function apiKeyView(k: ApiKeyRecord, maxDays: number) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    created_at: k.createdAt,
    expires_at: apiKeyExpiry(k, maxDays),
    last_used_at: k.lastUsedAt ?? null,
  };
}

/** A new key with the key itself, shown this once. */
export function createdApiKeyView(created: { record: ApiKeyRecord; key: string }, maxDays: number) {
  return { ...apiKeyView(created.record, maxDays), key: created.key };
}

/** What a change of one's own password ended: sessions, and every API key (by id). */
export function passwordChangeView(changed: { sessionsEnded: number; apiKeysRevoked: string[] }) {
  return { sessions_ended: changed.sessionsEnded, api_keys_revoked: changed.apiKeysRevoked };
}

/** The first admin's password rotation: where the new password is, never the password. */
export function bootstrapRotationView(rotated: { userId: string; secret: string; sessionsEnded: number; apiKeysRevoked: string[] }) {
  return { user_id: rotated.userId, secret: rotated.secret, sessions_ended: rotated.sessionsEnded, api_keys_revoked: rotated.apiKeysRevoked };
}

export function totpSetupView(setup: { secret: string; otpauthUrl: string }) {
  return { secret: setup.secret, otpauth_url: setup.otpauthUrl };
}

/** The new signing key, and until when each earlier one verifies. */
export function signingKeyRotationView(rotation: { kid: string; previous: { kid: string; verifiesUntil: string }[] }) {
  return { kid: rotation.kid, previous: rotation.previous.map((p) => ({ kid: p.kid, verifies_until: p.verifiesUntil })) };
}

export function clusterPermissionView(permission: { clusterId: string; role: ClusterRole }) {
  return { cluster_id: permission.clusterId, role: permission.role };
}

// Requests the other way: a body as validated (snake_case) to the input a use case takes.

export function loginInput(body: { username: string; password: string; totp_code?: string }) {
  return { username: body.username, password: body.password, totpCode: body.totp_code };
}

export function apiKeyInput(body: { name: string; expires_in_days?: number; current_password: string; totp_code?: string }) {
  return { name: body.name, expiresInDays: body.expires_in_days, currentPassword: body.current_password, totpCode: body.totp_code };
}

export function clusterPermissionInput(body: { cluster_id: string; role: ClusterRole }) {
  return { clusterId: body.cluster_id, role: body.role };
}
