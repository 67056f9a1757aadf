/**
 * How search ranks an object against a query, one rule for the live search of a cluster and the
 * fleet search of the inventory: a name match beats a label match beats an image match, an exact
 * match beats a prefix beats a substring. Only names, labels and images are looked at: never an
 * object's content (a Secret's values, a ConfigMap's data).
 */

export interface Searchable {
  name: string;
  labels: Record<string, string>;
  images: string[];
}

export interface SearchMatch {
  /** What matched: the name, a label (`key=value`) or an image. */
  field: 'name' | 'label' | 'image';
  value: string;
  score: number;
}

export const MIN_QUERY = 1;
export const MAX_QUERY = 128;

const grade = (text: string, q: string, exact: number, prefix: number, inside: number) =>
  text === q ? exact : text.startsWith(q) ? prefix : text.includes(q) ? inside : 0;

/** The best match of `query` on the object, or undefined. `key=value` matches that label exactly. */
export function matchObject(object: Searchable, query: string): SearchMatch | undefined {
  const q = query.trim().toLowerCase();
  if (!q) return undefined;
  let best: SearchMatch | undefined;
  const offer = (field: SearchMatch['field'], value: string, score: number) => {
    if (score > 0 && (!best || score > best.score)) best = { field, value, score };
  };
  offer('name', object.name, grade(object.name.toLowerCase(), q, 100, 80, 60));
  const eq = q.indexOf('=');
  for (const [key, value] of Object.entries(object.labels)) {
    const pair = `${key}=${value}`;
    if (eq > 0) offer('label', pair, pair.toLowerCase() === q ? 70 : 0);
    else offer('label', pair, Math.max(grade(value.toLowerCase(), q, 50, 40, 30), grade(key.toLowerCase(), q, 35, 25, 0)));
  }
  for (const image of object.images) {
    const lower = image.toLowerCase();
    // The repository without registry and tag (`nginx` in `docker.io/library/nginx:1.27`) counts as exact.
    const repository =
      lower
        .replace(/[:@].*$/, '')
        .split('/')
        .at(-1) ?? lower;
    offer('image', image, lower === q || repository === q ? 45 : grade(lower, q, 45, 35, 20));
  }
  return best;
}

/** Best first, then by where the object is, so equal scores keep one order. */
export function byRank<T extends { score: number; kind: string; namespace: string | null; name: string }>(a: T, b: T): number {
  return b.score - a.score || a.kind.localeCompare(b.kind) || (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.name.localeCompare(b.name);
}
