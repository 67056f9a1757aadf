import { AuthenticationError } from '#shared/domain/errors.ts';

/** Account endpoints need a real user, not the anonymous principal of a relaxed auth mode. */
export function requireUser<P extends { via: string }>(principal: P | undefined): P {
  if (!principal || principal.via === 'anonymous') throw new AuthenticationError('Log in to manage your account.');
  return principal;
}
