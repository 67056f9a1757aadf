/**
 * Which served resource a name in a path means, as kubectl reads it: a plural (`deployments`),
 * a Kind (`Deployment`), a singular, a short name (`deploy`), or any of them qualified by its
 * group (`certificates.cert-manager.io`, `deploy.apps`) or by version and group
 * (`deployments.v1.apps`). A bare name prefers the core group, then the group's preferred version.
 */
import type { ApiResource } from '#shared/ports/cluster-gateway.ts';

/** The names a resource answers to, lower-cased. */
function namesOf(r: ApiResource): string[] {
  return [r.plural, r.singular, r.kind.toLowerCase(), ...r.shortNames].map((n) => n.toLowerCase()).filter(Boolean);
}

/** The best of several resources a bare or group-qualified name matched: the core group first, then preferred versions. */
function best(matches: ApiResource[]): ApiResource | undefined {
  return [...matches].sort((a, b) => Number(b.group === '') - Number(a.group === '') || Number(b.preferred) - Number(a.preferred))[0];
}

/** The resource `name` means among `resources`, or undefined when none answers to it. */
export function resolveKind(resources: ApiResource[], name: string): ApiResource | undefined {
  const wanted = name.toLowerCase();
  const bare = resources.filter((r) => namesOf(r).includes(wanted));
  if (bare.length) return best(bare);
  // `<name>.<group>` or `<name>.<version>.<group>`: the first dot splits the name off.
  const dot = wanted.indexOf('.');
  if (dot <= 0) return undefined;
  const head = wanted.slice(0, dot);
  const rest = wanted.slice(dot + 1);
  const named = resources.filter((r) => namesOf(r).includes(head));
  const inGroup = named.filter((r) => r.group === rest);
  if (inGroup.length) return best(inGroup);
  return named.find((r) => `${r.version}.${r.group}` === rest);
}

/** The full name of a resource, as `kubectl api-resources` would qualify it: `deployments.apps`, `pods`. */
export function qualifiedName(r: Pick<ApiResource, 'plural' | 'group'>): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

/** The few served kinds nearest to a name nobody serves, for the error that says so. */
export function closestKinds(resources: ApiResource[], name: string, count = 3): string[] {
  const wanted = name.toLowerCase();
  const scored = new Map<string, number>();
  for (const r of resources) {
    const distance = Math.min(...namesOf(r).map((n) => editDistance(wanted, n)), editDistance(wanted, qualifiedName(r)));
    const key = qualifiedName(r);
    scored.set(key, Math.min(distance, scored.get(key) ?? Infinity));
  }
  return [...scored.entries()]
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, count)
    .map(([n]) => n);
}

/** Levenshtein distance, bounded input (path segments), two rows. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
