/** Reading plain JSON from a cluster by field (page walking itself is shared/domain/list-pages.ts). */

/** A field of plain JSON from a cluster, read defensively: a hostile cluster may send any shape. */
export function field(value: unknown, ...path: string[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at) || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
export const asNumber = (value: unknown, fallback = 0): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
export const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
