/**
 * Continue tokens as a client could bend them. A token is base64url JSON of `{ key, query }`: the
 * last key read and a digest of the query (a digest anyone can compute, so it is kept as it was and
 * only the key is altered: what the hub's key checks must catch on their own).
 */
type Key = Record<string, unknown>;

function decode(token: string): { key: Key; query: unknown } {
  return JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
}

const encode = (key: Key, query: unknown) => Buffer.from(JSON.stringify({ key, query })).toString('base64url');

/** The key attributes of the index the list reads (gsi*), or the table's when it reads no index. */
function indexAttributes(key: Key): { pk: string; sk: string } {
  const index = Object.keys(key).find((k) => /^gsi\d+pk$/.test(k));
  return index ? { pk: index, sk: index.replace(/pk$/, 'sk') } : { pk: 'pk', sk: 'sk' };
}

/** Every way of bending a real token that the hub must refuse with 400, by name. */
export function tamperedTokens(token: string): Record<string, string> {
  const { key, query } = decode(token);
  const { pk, sk } = indexAttributes(key);
  const onIndex = pk !== 'pk';
  const extra = ['gsi1pk', 'gsi2pk'].find((k) => !(k in key))!;
  const without = (attrs: string[]) => Object.fromEntries(Object.entries(key).filter(([k]) => !attrs.includes(k)));
  return {
    'only the index keys': encode(onIndex ? without(['pk', 'sk']) : without(['sk']), query),
    'no sort key': encode(without([sk]), query),
    'an empty sort key': encode({ ...key, [sk]: '' }, query),
    'an empty table key': encode({ ...key, sk: '' }, query),
    'an extra key attribute': encode({ ...key, [extra]: 'EXTRA' }, query),
    'a non-key attribute': encode({ ...key, version: '1' }, query),
    'a number for a key': encode({ ...key, [sk]: 7 }, query),
    'a sort key larger than DynamoDB takes': encode({ ...key, [sk]: 'x'.repeat(1030) }, query),
    'another partition': encode({ ...key, [pk]: 'USER#someone-else' }, query),
    'another digest': encode(key, 'AAAAAAAAAAAAAAAAAAAAAA'),
    'no digest': Buffer.from(JSON.stringify(key)).toString('base64url'),
    garbage: 'not-a-token',
  };
}

/** The same token with its sort key moved to `sortKey` (outside a list's time window, say). */
export function withSortKey(token: string, sortKey: string): string {
  const { key, query } = decode(token);
  return encode({ ...key, [indexAttributes(key).sk]: sortKey }, query);
}
