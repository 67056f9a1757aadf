/**
 * Where credentials live: kubeconfigs, signing keys, tokens. Production uses
 * Secrets Manager; the local run keeps them in files on disk. The table only
 * ever holds the `ref` a put returns.
 */
export interface SecretStore {
  /** Creates or replaces the secret `name`; returns the stable reference to keep in the table. */
  put(name: string, value: string): Promise<string>;
  /**
   * Creates the secret `name` only when no secret of that name exists; never
   * replaces one. True when this call created it, false when it was already
   * there (the stored value is then left as it was). Racing callers: exactly one wins.
   */
  create(name: string, value: string): Promise<boolean>;
  /** Reads a secret by the reference `put` returned, or by name. Throws SecretNotFoundError. */
  get(ref: string): Promise<string>;
  /** Deletes a secret at once (no recovery window); deleting a missing one is not an error. */
  delete(ref: string): Promise<void>;
}

export class SecretNotFoundError extends Error {
  constructor(readonly ref: string) {
    super(`secret not found: ${ref}`);
    this.name = 'SecretNotFoundError';
  }
}
