/**
 * The names Secrets Manager accepts: 1-512 of letters, digits and / _ + = . @ -.
 * The local file store applies the same rule, so a name that works on a laptop
 * also works in production, and a ref (`local-secret:<name>`, an ARN) can never
 * be mistaken for a name because neither a colon nor a space is allowed.
 */
const secretNamePattern = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** Throws when `name` is not a valid Secrets Manager secret name (a programming error, not user input). */
export function assertSecretName(name: string): void {
  if (!secretNamePattern.test(name)) {
    const shown = name.length > 80 ? `${name.slice(0, 80)}…` : name;
    throw new RangeError(`invalid secret name ${JSON.stringify(shown)}: use 1-512 letters, digits and / _ + = . @ -`);
  }
}
