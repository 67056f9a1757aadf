/**
 * The names of every endpoint group, for the system group's capabilities. A list of its own so
 * that the system function need not build (or bundle) the other groups to name them; the
 * catalog test checks it against the groups shared/api/catalog.ts composes.
 */
export const ENDPOINT_GROUP_NAMES: readonly string[] = [
  'system',
  'identity',
  'audit',
  'clusters',
  'resources',
  'topology',
  'operations',
  'health',
  'inventory',
  'console',
  'environments',
];
