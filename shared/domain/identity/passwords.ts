import { argon2id, argon2Verify } from 'hash-wasm';
import { randomBytes } from 'node:crypto';
import { InputError } from '#shared/domain/errors.ts';
import { isCommonPassword } from './common-passwords.ts';

/**
 * argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane). hash-wasm
 * rather than a native addon, because native addons break in Lambda bundles.
 */
export const ARGON2_PARAMETERS = { memorySize: 19_456, iterations: 2, parallelism: 1, hashLength: 32 } as const;

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

/** Hashes a password into a self-describing PHC string ($argon2id$v=19$m=...). */
export function hashPassword(password: string): Promise<string> {
  return argon2id({ password, salt: randomBytes(16), ...ARGON2_PARAMETERS, outputType: 'encoded' });
}

/** Checks a password against a stored hash in constant time. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  try {
    return await argon2Verify({ password, hash });
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;
/** Spends the same time as a real check, so a wrong username cannot be told apart from a wrong password. */
export async function verifyAgainstNobody(password: string): Promise<false> {
  dummyHash ??= hashPassword('clusterhub-dummy-password');
  await verifyPassword(password, await dummyHash);
  return false;
}

/** Refuses passwords that are short, the username, or well known; names the field. */
export function checkPasswordPolicy(username: string, password: string, field = 'password'): void {
  const fail = (message: string) => {
    throw new InputError(message, [{ field, location: 'body', message }]);
  };
  if (password.length < MIN_PASSWORD_LENGTH) fail(`The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`);
  if (password.length > MAX_PASSWORD_LENGTH) fail(`The password must be at most ${MAX_PASSWORD_LENGTH} characters long.`);
  const lowered = password.toLowerCase();
  if (lowered.includes(username.toLowerCase())) fail('The password must not contain the username.');
  if (isCommonPassword(lowered)) fail('That password is well known and would be guessed first; choose another.');
  if (new Set(password).size < 4) fail('The password repeats too few characters; choose another.');
}
