/**
 * A cluster's own words about a failure (a Kubernetes Status message, quoted in `last_error` and in
 * status answers) reach every viewer of the cluster, so the hub never shows them raw: it keeps at
 * most MAX_FAILURE_TEXT characters and blanks out whatever looks like a credential (PEM blocks,
 * bearer and basic credentials, `token=...`-style pairs, JWTs, URLs with user info, and long
 * base64 or hex runs). Every step is a linear scan, so a hostile cluster's text costs little.
 */

/** The most characters of a failure text the hub stores or shows. */
export const MAX_FAILURE_TEXT = 500;
/** Only this much of a text is looked at; the rest could never be shown anyway. */
const SCANNED = 8 * 1024;
const REDACTED = '[redacted]';

const USERINFO = /\b([a-z][a-z0-9+.-]{0,15}:\/\/)[^\s/@]{1,256}@/gi;
const SCHEME_CREDENTIAL = /\b(bearer|basic)(\s{1,4})[A-Za-z0-9._~+/=-]{8,}/gi;
const NAMED_CREDENTIAL =
  /\b(token|password|passwd|secret|api[-_]?key|client-key-data|client-certificate-data|authorization)(["']?\s{0,4}[:=]\s{0,4}["']?)[^\s,;"']+/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?/g;
const RUN = /[A-Za-z0-9+/_=-]{32,}/g;

/** The failure text as the hub keeps and shows it: capped, and with nothing credential-like left. */
export function shownFailureText(text: string): string {
  const out = withoutPemBlocks(text.slice(0, SCANNED))
    .replace(USERINFO, `$1${REDACTED}@`)
    .replace(SCHEME_CREDENTIAL, `$1$2${REDACTED}`)
    .replace(NAMED_CREDENTIAL, `$1$2${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(RUN, (run) => (looksEncoded(run) ? REDACTED : run));
  return out.length > MAX_FAILURE_TEXT ? `${out.slice(0, MAX_FAILURE_TEXT - 3)}...` : out;
}

/**
 * Whether a long run of base64/hex characters is an encoded secret rather than a name or a path:
 * 32 or more characters without a dash or slash, with a digit (a hex token, a base64 blob), or
 * mixed case with digits and a long unbroken stretch (base64url). Kubernetes names are lower case,
 * and API paths break at every slash, so neither is blanked.
 */
function looksEncoded(run: string): boolean {
  const pieces = run.split(/[-/]/);
  const longest = Math.max(...pieces.map((p) => p.length));
  const digit = /[0-9]/.test(run);
  if (digit && longest >= 32) return true;
  return digit && longest >= 16 && /[a-z]/.test(run) && /[A-Z]/.test(run);
}

/** Replaces each `-----BEGIN ...-----` block (to its END line, or to the end when cut off) in one pass. */
function withoutPemBlocks(text: string): string {
  let out = '';
  let from = 0;
  for (let begin = text.indexOf('-----BEGIN', from); begin !== -1; begin = text.indexOf('-----BEGIN', from)) {
    out += `${text.slice(from, begin)}${REDACTED}`;
    const end = text.indexOf('-----END', begin + 10);
    if (end === -1) return out;
    const close = text.indexOf('-----', end + 8);
    from = close === -1 ? text.length : close + 5;
  }
  return out + text.slice(from);
}
