/**
 * Well-known passwords of twelve or more characters (from the lists attackers
 * try first), and the words they are built on, checked with digits and symbols
 * stripped from the ends so that "Password2024!" counts as well known too.
 */
const KNOWN = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234',
  '123456123456',
  '111111111111',
  '000000000000',
  '123123123123',
  '147258369147',
  '987654321098',
  'qwertyuiopas',
  'qwertyuiop123',
  'qwerty123456',
  '1q2w3e4r5t6y',
  '1qaz2wsx3edc',
  'zaq12wsxcde3',
  'asdfghjkl123',
  'zxcvbnm12345',
  'abcdefghijkl',
  'password1234',
  'password12345',
  'passw0rd1234',
  'passwordpassword',
  'iloveyou1234',
  'letmein12345',
  'welcome12345',
  'administrator',
  'adminadmin123',
  'changeme1234',
  'superman1234',
  'football1234',
  'baseball1234',
  'princess1234',
  'sunshine1234',
  'trustno11234',
  'monkey123456',
  'dragon123456',
  'master123456',
  'starwars1234',
  'whatever1234',
  'qwertyqwerty',
  'abc123abc123',
  'michael12345',
  'computer1234',
  'internet1234',
  'kubernetes123',
  'correcthorsebatterystaple',
]);
const ROOTS = new Set([
  'password',
  'passw0rd',
  'p@ssw0rd',
  'p@ssword',
  'qwerty',
  'qwertyuiop',
  'letmein',
  'welcome',
  'admin',
  'administrator',
  'changeme',
  'iloveyou',
  'monkey',
  'dragon',
  'master',
  'sunshine',
  'princess',
  'football',
  'baseball',
  'superman',
  'starwars',
  'whatever',
  'trustno1',
  'secret',
  'default',
  'kubernetes',
  'clusterhub',
]);

/** Whether a (lower-cased) password is, or is a trivial decoration of, a well-known one. */
export function isCommonPassword(lowered: string): boolean {
  if (KNOWN.has(lowered)) return true;
  const core = lowered.replace(/^[\d\W_]+|[\d\W_]+$/g, '');
  if (core === '' || ROOTS.has(core) || KNOWN.has(core)) return true;
  // The same root twice ("passwordpassword", "adminadmin").
  const half = core.length / 2;
  return Number.isInteger(half) && core.slice(0, half) === core.slice(half) && ROOTS.has(core.slice(0, half));
}
