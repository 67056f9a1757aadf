/**
 * The checked credential of each cluster, remembered for a short while so that a request does not
 * read the secret store and re-check the kubeconfig every time (a list of many pages made that a
 * round trip and a YAML parse per page). It is keyed by the credential's secret, which is never
 * rewritten: a new credential is stored under a new secret (credentials.ts), so an entry can only
 * go stale by the secret's deletion, which the lifetime bounds. Bounded, least recently used first.
 */
import type { Clock } from '#shared/ports/clock.ts';
import type { CheckedKubeconfig } from './kubeconfig-policy.ts';

const TTL_MS = 60_000;
const MAX_ENTRIES = 64;

interface Entry {
  credentials: Promise<CheckedKubeconfig>;
  readAt: number;
}

export class CredentialCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = TTL_MS,
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  /** The credential stored under `ref`, read with `read` when not remembered (requests that miss together share one read). */
  get(ref: string, read: () => Promise<CheckedKubeconfig>): Promise<CheckedKubeconfig> {
    const now = this.clock.now().getTime();
    const entry = this.entries.get(ref);
    this.entries.delete(ref);
    if (entry && now - entry.readAt < this.ttlMs) {
      this.entries.set(ref, entry);
      return entry.credentials;
    }
    const credentials = read();
    this.entries.set(ref, { credentials, readAt: now });
    // A failed read (a missing secret, a policy refusal) is not remembered: the next request reads again.
    credentials.catch(() => {
      if (this.entries.get(ref)?.credentials === credentials) this.entries.delete(ref);
    });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return credentials;
  }
}
