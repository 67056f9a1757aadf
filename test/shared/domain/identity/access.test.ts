import { describe, expect, it } from 'vitest';
import { ForbiddenError, NotFoundError } from '#shared/domain/errors.ts';
import { authorizeCluster, canSeeCluster, type Principal } from '#shared/domain/identity/access.ts';
import { checkPasswordPolicy } from '#shared/domain/identity/passwords.ts';

const principal = (role: Principal['role'], clusterPermissions: Principal['clusterPermissions'] = {}): Principal => ({
  userId: 'u1',
  username: 'alice',
  role,
  clusterPermissions,
  via: 'token',
  totpEnabled: false,
});

describe('per-cluster authorization', () => {
  it('uses the global role where there is no override', () => {
    expect(() => authorizeCluster(principal('operator'), 'c1', 'operator')).not.toThrow();
    expect(() => authorizeCluster(principal('viewer'), 'c1', 'operator')).toThrow(ForbiddenError);
  });

  it('lets an override raise or lower the global role on that cluster only', () => {
    const p = principal('viewer', { c1: 'admin', c2: 'none' });
    expect(() => authorizeCluster(p, 'c1', 'admin')).not.toThrow();
    expect(() => authorizeCluster(p, 'c3', 'operator')).toThrow(ForbiddenError);
    const admin = principal('admin', { c1: 'viewer' });
    expect(() => authorizeCluster(admin, 'c1', 'operator')).toThrow(ForbiddenError);
  });

  it('hides a cluster (404, not 403) from a user whose override is none', () => {
    const p = principal('admin', { secret: 'none' });
    expect(() => authorizeCluster(p, 'secret', 'viewer')).toThrow(NotFoundError);
    expect(canSeeCluster(p, 'secret')).toBe(false);
    expect(canSeeCluster(p, 'other')).toBe(true);
  });
});

describe('password policy', () => {
  it.each(['Password2024!', 'qwerty123456', '123456789012', 'adminadmin123', 'aaaaaaaaaaaaaa', 'short'])('refuses %s', (pw) => {
    expect(() => checkPasswordPolicy('someone', pw)).toThrow();
  });
  it('accepts a long unusual passphrase', () => {
    expect(() => checkPasswordPolicy('someone', 'violet-kettle-orbit-97')).not.toThrow();
  });
});
