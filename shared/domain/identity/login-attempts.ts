import { AppError } from '#shared/domain/errors.ts';
import type { IdentityDeps } from './identity-deps.ts';
import type { LoginCounter, LoginCounterState, UserRecord } from './ports.ts';

/**
 * What bounds password guessing at login without letting a stranger keep a user out (README,
 * "Login lockout"). Sources fail, not accounts: a source (client address, IPv6 by /64) is locked
 * out of an account after maxFailedLogins failures and out of every account after perSource. An
 * account is slowed down, never locked, for the sources it has never logged in from: after a few
 * free failures each further attempt from such a source waits, longer each time. A source the
 * user logged in from before, and a valid two-factor code, pass the slow-down; a valid code
 * passes the source locks too. Every attempt is counted before its password is hashed, with a
 * conditional write, so attempts checked in parallel count one each and those over a limit are
 * refused before any hashing. Counters are keyed on the username as typed, so an unknown
 * username costs the same reads and writes as a real one.
 */

export class TooManyFailedLoginsError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(429, 'TOO_MANY_FAILED_LOGINS', `Too many failed logins from your address: try again in ${retryAfterSeconds} seconds.`, {
      retry_after_seconds: retryAfterSeconds,
    });
  }
}

export class LoginThrottledError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(
      429,
      'LOGIN_THROTTLED',
      `This account has had many failed logins: from an address it has not logged in from, the next attempt can be made in ${retryAfterSeconds} seconds. An address you logged in from before, or a valid two-factor code, gets in at once.`,
      { retry_after_seconds: retryAfterSeconds },
    );
  }
}

/** The counters an admitted attempt took, to settle once its password has been checked. */
export interface LoginAdmission {
  taken: LoginCounter[];
}

export interface LoginAttempt {
  username: string;
  source: string;
  /** The user logged in from this source before (and not too long ago). */
  knownSource: boolean;
  /** The attempt carries a valid, unused two-factor code of the user. */
  secondFactor: boolean;
}

const accountOf = (username: string) => username.toLowerCase();
const epochSeconds = (deps: IdentityDeps) => Math.floor(deps.clock.now().getTime() / 1000);
/** Rounds of a counter changing under us before an attempt is refused as busy; never reached but by a flood. */
const MAX_ROUNDS = 4;

/**
 * Counts a login attempt in every counter that applies, before its password is checked; throws
 * (429, Retry-After) when one refuses, giving back what it had taken.
 */
export async function admitLoginAttempt(deps: IdentityDeps, attempt: LoginAttempt): Promise<LoginAdmission> {
  const { maxFailedLogins, lockMinutes, login: limits } = deps.policy;
  const now = epochSeconds(deps);
  const account = accountOf(attempt.username);
  const taken: LoginCounter[] = [];
  const refuse = async (err: AppError): Promise<never> => {
    await Promise.all(taken.map((c) => deps.loginCounters.release(c)));
    throw err;
  };
  const locks: { counter: LoginCounter; max: number }[] = [
    // Failures of a known source on its own account are bounded by the next counter alone.
    ...(attempt.knownSource ? [] : [{ counter: { kind: 'source', source: attempt.source } as const, max: limits.perSource }]),
    { counter: { kind: 'source-on-account', account, source: attempt.source }, max: maxFailedLogins },
  ];
  for (const { counter, max } of locks) {
    const outcome = await countWithExpiry(deps, counter, max, now, now + lockMinutes * 60);
    if (outcome.counted) taken.push(counter);
    // A valid second factor is no guess: a stranger sharing the address cannot lock its owner out.
    else if (!attempt.secondFactor) await refuse(new TooManyFailedLoginsError(Math.max(1, outcome.state.expiresAt - now)));
  }
  if (!attempt.knownSource && !attempt.secondFactor) {
    const wait = await takeUnknownSourceSlot(deps, account, now);
    if (wait > 0) await refuse(new LoginThrottledError(wait));
    taken.push({ kind: 'account', account });
  }
  return { taken };
}

/** The password was right: it was no failure, and it ends the source's run of failures on the account. */
export async function loginSucceeded(deps: IdentityDeps, admission: LoginAdmission): Promise<void> {
  await Promise.all(admission.taken.map((c) => (c.kind === 'source-on-account' ? deps.loginCounters.clear(c) : deps.loginCounters.release(c))));
}

/** The password was right but the attempt went no further (a second factor is needed): no failure either. */
export async function loginAbandoned(deps: IdentityDeps, admission: LoginAdmission): Promise<void> {
  await Promise.all(admission.taken.map((c) => deps.loginCounters.release(c)));
}

/** Whether the user logged in from `source` recently enough for it to count as theirs. */
export function isKnownSource(deps: IdentityDeps, user: UserRecord | undefined, source: string): boolean {
  const last = user?.knownSources?.[source];
  return last !== undefined && deps.clock.now().getTime() - Date.parse(last) < deps.policy.login.knownSourceDays * 86_400_000;
}

/** The user's known sources with `source` added as of now: the most recent ones, within their lifetime. */
export function withKnownSource(deps: IdentityDeps, user: UserRecord, source: string): Record<string, string> {
  const now = deps.clock.now();
  const entries = Object.entries({ ...user.knownSources, [source]: now.toISOString() })
    .filter(([, at]) => now.getTime() - Date.parse(at) < deps.policy.login.knownSourceDays * 86_400_000)
    .sort(([, a], [, b]) => b.localeCompare(a))
    .slice(0, deps.policy.login.knownSourcesKept);
  return Object.fromEntries(entries);
}

/** Forgets an account's login counters (an admin's unlock): its sources may try again at once. */
export async function forgetLoginFailures(deps: IdentityDeps, username: string): Promise<void> {
  await deps.loginCounters.clearAccount(accountOf(username));
}

/**
 * Counts one attempt unless `max` are counted and not yet expired; an expired counter starts
 * afresh. The state, when refused, says until when.
 */
async function countWithExpiry(
  deps: IdentityDeps,
  counter: LoginCounter,
  max: number,
  now: number,
  expiresAt: number,
): Promise<{ counted: true } | { counted: false; state: LoginCounterState }> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const outcome = await deps.loginCounters.count(counter, max, now, expiresAt);
    if (outcome.counted) return outcome;
    const state = outcome.state;
    if (!state) continue; // removed meanwhile
    if (state.expiresAt <= now) {
      if (await deps.loginCounters.replace(counter, state, { count: 1, expiresAt })) return { counted: true };
      continue;
    }
    if (state.count < max) continue; // given back meanwhile
    return { counted: false, state };
  }
  return { counted: false, state: { count: max, expiresAt: now + 1 } };
}

/**
 * Takes the account's next slot for an attempt from a source it does not know: the first few
 * are free, then each waits for the previous one's delay, doubling up to the maximum. Answers 0
 * when taken, or the seconds to wait. Losers of a race for one slot wait for the next.
 */
async function takeUnknownSourceSlot(deps: IdentityDeps, account: string, now: number): Promise<number> {
  const limits = deps.policy.login;
  const counter: LoginCounter = { kind: 'account', account };
  const forget = limits.forgetAfterMinutes * 60;
  const delay = (slowed: number) => Math.min(limits.firstDelaySeconds * 2 ** slowed, limits.maxDelaySeconds);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const outcome = await deps.loginCounters.count(counter, limits.freeUnknownSourceFailures, now, now + forget);
    if (outcome.counted) return 0;
    const state = outcome.state;
    if (!state) continue;
    if (state.expiresAt <= now) {
      if (await deps.loginCounters.replace(counter, state, { count: 1, expiresAt: now + forget })) return 0;
      continue;
    }
    if (state.count < limits.freeUnknownSourceFailures) continue;
    if (state.nextAt === undefined) {
      // The free attempts are used up: the slow-down starts with this refusal.
      const nextAt = now + delay(0);
      if (await deps.loginCounters.replace(counter, state, { ...state, nextAt, expiresAt: nextAt + forget })) return nextAt - now;
      continue;
    }
    if (state.nextAt > now) return state.nextAt - now;
    const nextAt = now + delay(state.count - limits.freeUnknownSourceFailures + 1);
    if (await deps.loginCounters.replace(counter, state, { count: state.count + 1, nextAt, expiresAt: nextAt + forget })) return 0;
  }
  return 1;
}
