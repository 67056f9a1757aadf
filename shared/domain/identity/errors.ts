/**
 * The identity context's errors: logins and credential changes refused for a while after too
 * many failures (README, "Login lockout"). The generic ones (wrong credentials, missing role) are
 * shared/domain/errors.ts's AuthenticationError and ForbiddenError.
 */
import { AppError } from '#shared/domain/errors.ts';

/** Credential changes refused after wrong passwords or codes from the account's own sessions (logins are not locked). */
export class AccountLockedError extends AppError {
  constructor(until: string) {
    super(
      'locked',
      'ACCOUNT_LOCKED',
      `Too many wrong passwords or codes from a session of this account: changes to its credentials are locked until ${until}. An admin can unlock it sooner.`,
      { locked_until: until },
    );
  }
}

/** A source (client address, IPv6 by /64) failed too often, on one account or on many. */
export class TooManyFailedLoginsError extends AppError {
  constructor(retryAfterSeconds: number) {
    super('rate_limited', 'TOO_MANY_FAILED_LOGINS', `Too many failed logins from your address: try again in ${retryAfterSeconds} seconds.`, {
      retry_after_seconds: retryAfterSeconds,
    });
  }
}

/** The account is being slowed down for sources it has never logged in from. */
export class LoginThrottledError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(
      'rate_limited',
      'LOGIN_THROTTLED',
      `This account has had many failed logins: from an address it has not logged in from, the next attempt can be made in ${retryAfterSeconds} seconds. An address you logged in from before, or a valid two-factor code, gets in at once.`,
      { retry_after_seconds: retryAfterSeconds },
    );
  }
}
