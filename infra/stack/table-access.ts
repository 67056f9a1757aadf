/**
 * Which items of the one table each function may touch, by the leading keys (partition keys) of
 * the items and of the index partitions it reads (docs/data-model.md), and the IAM statements that
 * say so: `dynamodb:LeadingKeys` conditions per function.
 *
 * How IAM reads these, and why the statements are shaped this way:
 * - LeadingKeys is the partition key of every item a request names: each item of a transaction
 *   is authorized on its own as PutItem, UpdateItem, DeleteItem or ConditionCheckItem, with its key.
 * - A Query on an index is authorized on the index's ARN, and its LeadingKeys is the index's
 *   partition key (`gsi1pk = USERS`), not the table's: so each index gets statements of its own,
 *   on its own ARN, with the index partitions the function queries. A table statement never
 *   names an index ARN, so it cannot lend its table patterns to an index.
 * - `ForAllValues` holds for a request that has no leading keys at all (a Scan, a PartiQL
 *   statement): only actions that always name keys are granted (no Scan, no BatchGet, no PartiQL).
 * - Writes set index attributes freely: a function that may write `CLUSTER#x` could give that item
 *   any `gsi1pk`. Readers of an index therefore trust only what the item's own key says (the grant
 *   sweeper deletes only `USER#…/GRANT#…` items it finds; the audit views show audit entries).
 * - Audit entries (`AUDIT`) are appended, never changed: PutItem is allowed on that key alone,
 *   UpdateItem and DeleteItem are denied for it explicitly, in every function (TTL expiry is the
 *   table's own doing, not a function's). IAM cannot require a condition on the PutItem: the audit
 *   writer's `attribute_not_exists(pk)` keeps an entry from being replaced, and a function that
 *   does not read the AUDIT partition (all but the audit function) cannot learn an entry's key,
 *   `<timestamp>#<uuid>`, to overwrite it; one that was taken over could still add false entries
 *   or overwrite the ones it wrote itself.
 */
import { auditEntry } from '#shared/data/entities/audit.ts';
import { jobIdempotencyRecord, jobLease, operation, operationKeyClaim } from '#shared/data/entities/background.ts';
import { circuit, cluster, clusterNameClaim } from '#shared/data/entities/clusters.ts';
import {
  appInstance,
  appInstanceNameClaim,
  environment,
  environmentCount,
  environmentNameClaim,
  promotion,
  syncOperation,
} from '#shared/data/entities/environments.ts';
import { fleetHealth, healthResult, hubEvent } from '#shared/data/entities/health.ts';
import { apiKey, clusterGrant, loginAccountCounter, loginSourceCounter, session, user, usernameClaim } from '#shared/data/entities/identity.ts';
import { imageUse, inventoryChange, inventoryHead, inventorySnapshot } from '#shared/data/entities/inventory.ts';
import { rateWindow } from '#shared/data/entities/rate-limits.ts';
import { topologyGraph } from '#shared/data/entities/topology.ts';
import { healthProbe } from '#shared/data/entities/system.ts';
import type { KeyTemplate } from '#shared/data/entity.ts';
import type { IndexName } from '#shared/data/table-definition.ts';
import type { JobKind } from '#shared/workers/jobs.ts';

export type FunctionName =
  | 'system'
  | 'identity'
  | 'audit'
  | 'clusters'
  | 'resources'
  | 'topology'
  | 'grantSweeper'
  | 'planner'
  | 'operations'
  | 'jobWorker'
  | 'health'
  | 'inventory'
  | 'console'
  | 'environments';

export interface TableAccess {
  /** GetItem and Query on the table, for items whose partition key matches (IAM StringLike). */
  read?: string[];
  /** PutItem, UpdateItem, DeleteItem, ConditionCheckItem. */
  write?: string[];
  /** DeleteItem only. */
  remove?: string[];
  /** PutItem only, on these exact keys: append-only partitions (AUDIT). */
  append?: string[];
  /** UpdateItem limited to these attributes (and the keys), answering nothing back. */
  touch?: { keys: string[]; attributes: string[] }[];
  /** Query on an index, for index partitions whose key matches. */
  indexes?: Partial<Record<IndexName, string[]>>;
  /**
   * Writes denied outright, whatever another statement allows (a guard against later mistakes);
   * UpdateItem stays limited by `touch` on a partition listed there.
   */
  neverWrite?: string[];
}

/** The leading-key patterns of the partitions these entities live in, from their declared key templates (`USER#<id>`: `USER#*`), each once. */
const partitionsOf = (...entities: { pk: KeyTemplate }[]) => [...new Set(entities.map((e) => e.pk.pattern))];
/** The same for the partitions they put in an index (`USER#<userId>#SESSIONS`: `USER#*#SESSIONS`). */
const indexPartitionsOf = (index: IndexName, ...entities: { indexes: { name: IndexName; pk: KeyTemplate }[] }[]) =>
  entities.map((e) => e.indexes.find((i) => i.name === index)!.pk.pattern);

const AUDIT = auditEntry.pk.pattern;
const RATE = partitionsOf(rateWindow);
/** Every partition that belongs to identity: accounts, their grants, names, sessions, API keys, login counters. */
const IDENTITY_PARTITIONS = partitionsOf(user, clusterGrant, usernameClaim, session, apiKey, loginAccountCounter, loginSourceCounter);
/** The clusters context's own: clusters, their name claims, their circuit breakers. */
const CLUSTER_PARTITIONS = partitionsOf(cluster, clusterNameClaim, circuit);
/** The cluster list's index partition (by name), which the views join their results with. */
const CLUSTER_LIST = indexPartitionsOf('gsi1', cluster);
/** The environments context's own: environments, app instances, their claims and counts, sync history. */
const ENVIRONMENT_PARTITIONS = partitionsOf(environment, environmentNameClaim, environmentCount, appInstance, appInstanceNameClaim, syncOperation, promotion);
/** Operations and their Idempotency-Key claims: what a route that starts background work writes. */
const OPERATIONS = partitionsOf(operation, operationKeyClaim);

/**
 * What every authenticated request does in the guard: read its session or API key and the user's
 * partition (profile and grants), note an API key's last use (that attribute only), count itself
 * in a rate window, and append its audit entry.
 */
const AUTHENTICATED = {
  read: partitionsOf(session, apiKey, user),
  write: RATE,
  append: [AUDIT],
  touch: [{ keys: partitionsOf(apiKey), attributes: apiKey.attributeNames('lastUsedAt') }],
} satisfies TableAccess;

export const TABLE_ACCESS: Record<FunctionName, TableAccess> = {
  // /health reads one item; /metrics counts the cluster and user lists and reads circuit states.
  system: {
    read: partitionsOf(healthProbe, circuit),
    indexes: { gsi1: indexPartitionsOf('gsi1', user, cluster) },
  },
  // Logins, tokens, 2FA, API keys, users and their grants; it checks a cluster exists before a grant.
  identity: {
    ...AUTHENTICATED,
    read: [...AUTHENTICATED.read, ...partitionsOf(usernameClaim, loginAccountCounter, loginSourceCounter, cluster)],
    write: [...IDENTITY_PARTITIONS, ...RATE],
    touch: [],
    indexes: { gsi1: indexPartitionsOf('gsi1', user, session, apiKey) },
  },
  // Reads the trail: the whole partition, or by user (gsi1) or cluster (gsi2).
  audit: {
    ...AUTHENTICATED,
    read: [...AUTHENTICATED.read, AUDIT],
    indexes: { gsi1: indexPartitionsOf('gsi1', auditEntry), gsi2: indexPartitionsOf('gsi2', auditEntry) },
  },
  // Parses hostile kubeconfigs and talks to clusters: its own partitions only, and never identity's.
  clusters: {
    ...AUTHENTICATED,
    read: [...AUTHENTICATED.read, ...CLUSTER_PARTITIONS],
    write: [...CLUSTER_PARTITIONS, ...RATE],
    indexes: { gsi1: indexPartitionsOf('gsi1', cluster) },
    neverWrite: IDENTITY_PARTITIONS,
  },
  // Works with objects on clusters: reads cluster records, counts failures in their circuits; writes no cluster record and nothing of identity's.
  resources: {
    ...AUTHENTICATED,
    read: [...AUTHENTICATED.read, ...partitionsOf(cluster, circuit)],
    write: [...partitionsOf(circuit), ...RATE],
    neverWrite: [...IDENTITY_PARTITIONS, ...partitionsOf(cluster, clusterNameClaim)],
  },
  // Reads clusters' objects to draw their graphs: as resources does, and it changes nothing on a cluster or in the table but circuits and rate counters;
  // source=inventory reads the snapshot pointers (the snapshots in S3); its short-lived cache of built graphs is its own.
  topology: {
    ...AUTHENTICATED,
    read: [...AUTHENTICATED.read, ...partitionsOf(cluster, circuit, inventoryHead, topologyGraph)],
    write: [...partitionsOf(circuit, topologyGraph), ...RATE],
    neverWrite: [...IDENTITY_PARTITIONS, ...partitionsOf(cluster, clusterNameClaim)],
  },
  // Removes the grants of a deleted cluster (the table's stream tells it): it finds them on gsi1 and deletes them.
  grantSweeper: {
    remove: partitionsOf(clusterGrant),
    indexes: { gsi1: indexPartitionsOf('gsi1', clusterGrant) },
  },
  // Fans a job out to the active clusters: it reads the cluster list's index partition and nothing else.
  planner: {
    indexes: { gsi1: CLUSTER_LIST },
  },
  // Operations and their Idempotency-Key claims, and the queues (which are not in the table).
  operations: {
    ...AUTHENTICATED,
    read: [...AUTHENTICATED.read, ...OPERATIONS],
    write: [...OPERATIONS, ...RATE],
    indexes: { gsi1: indexPartitionsOf('gsi1', operation) },
    neverWrite: IDENTITY_PARTITIONS,
  },
  // Reads sweep results (never a cluster) for the clusters a caller may see, and starts sweeps as operations.
  health: {
    ...AUTHENTICATED,
    read: [...AUTHENTICATED.read, ...partitionsOf(cluster, fleetHealth, healthResult), ...OPERATIONS],
    write: [...OPERATIONS, ...RATE],
    indexes: { gsi1: CLUSTER_LIST },
    neverWrite: IDENTITY_PARTITIONS,
  },
  // Reads snapshot pointers, changes and the image index (the snapshots in S3), and starts snapshots as operations.
  inventory: {
    ...AUTHENTICATED,
    read: [...AUTHENTICATED.read, ...partitionsOf(cluster, inventoryHead, inventorySnapshot, inventoryChange, imageUse), ...OPERATIONS],
    write: [...OPERATIONS, ...RATE],
    indexes: { gsi1: CLUSTER_LIST },
    neverWrite: IDENTITY_PARTITIONS,
  },
  // Search and the shell: objects on clusters as the resources function reads and changes them, and the inventory's
  // snapshot pointers for the fleet search (the snapshots in S3); no cluster record written, nothing of identity's.
  console: {
    ...AUTHENTICATED,
    read: [...AUTHENTICATED.read, ...partitionsOf(cluster, circuit, inventoryHead)],
    write: [...partitionsOf(circuit), ...RATE],
    indexes: { gsi1: CLUSTER_LIST },
    neverWrite: [...IDENTITY_PARTITIONS, ...partitionsOf(cluster, clusterNameClaim)],
  },
  // Environments and app instances (their name claims and counts); compare reads clusters through their circuits, as resources does.
  environments: {
    ...AUTHENTICATED,
    read: [...AUTHENTICATED.read, ...ENVIRONMENT_PARTITIONS, ...partitionsOf(cluster, circuit)],
    write: [...ENVIRONMENT_PARTITIONS, ...partitionsOf(circuit), ...RATE],
    indexes: { gsi1: indexPartitionsOf('gsi1', environment, appInstance, syncOperation, promotion), gsi2: indexPartitionsOf('gsi2', appInstance) },
    neverWrite: [...IDENTITY_PARTITIONS, ...partitionsOf(cluster, clusterNameClaim)],
  },
  // What every job's worker does around its handler (shared/workers/job-worker.ts): the cluster's
  // record, its lease, Powertools' idempotency records and the progress of the operation it serves.
  // A job adds the partitions of its own records in JOB_TABLE_ACCESS.
  jobWorker: {
    read: partitionsOf(cluster, jobLease, jobIdempotencyRecord, operation),
    write: partitionsOf(jobLease, jobIdempotencyRecord, operation),
    neverWrite: IDENTITY_PARTITIONS,
  },
};

/** What each job's worker touches besides what every worker does (TABLE_ACCESS.jobWorker): its own records. */
export const JOB_TABLE_ACCESS: Record<JobKind, TableAccess> = {
  // Through the cluster's circuit breaker; its results, their history and the hub events of status changes.
  'health-sweep': {
    read: partitionsOf(circuit, fleetHealth, healthResult),
    write: partitionsOf(circuit, fleetHealth, healthResult, hubEvent),
  },
  // Through the cluster's circuit breaker; snapshot pointers, change records and the fleet's image index (the snapshots are in S3).
  inventory: {
    read: partitionsOf(circuit, inventoryHead),
    write: partitionsOf(circuit, inventoryHead, inventorySnapshot, inventoryChange, imageUse),
  },
};

/** A worker's whole table access: the backbone's and its job's own. */
export function jobWorkerAccess(kind: JobKind): TableAccess {
  const base = TABLE_ACCESS.jobWorker;
  const own = JOB_TABLE_ACCESS[kind];
  const merged = (a?: string[], b?: string[]) => [...(a ?? []), ...(b ?? [])];
  return {
    ...base,
    ...own,
    read: merged(base.read, own.read),
    write: merged(base.write, own.write),
    remove: merged(base.remove, own.remove),
    indexes: { ...base.indexes, ...own.indexes },
    neverWrite: merged(base.neverWrite, own.neverWrite),
  };
}

/** The DynamoDB actions a function may be granted on the table: each names the keys of its items. */
export const KEYED_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
];

const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'];

/** An IAM statement as CloudFormation takes it (Resource may hold intrinsics). */
export interface PolicyStatementJson {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: unknown[];
  Condition?: Record<string, Record<string, string[]>>;
}

const leading = (operator: string, patterns: string[]) => ({ [operator]: { 'dynamodb:LeadingKeys': patterns } });

/** The statements of one function's table access, for a table ARN and a function mapping an index name to its ARN. */
export function tableStatements(access: TableAccess, tableArn: unknown, indexArn: (index: IndexName) => unknown): PolicyStatementJson[] {
  const statements: PolicyStatementJson[] = [];
  const allow = (sid: string, actions: string[], patterns: string[] | undefined, operator = 'ForAllValues:StringLike') => {
    if (patterns?.length) statements.push({ Sid: sid, Effect: 'Allow', Action: actions, Resource: [tableArn], Condition: leading(operator, patterns) });
  };
  allow('ReadOwnPartitions', ['dynamodb:GetItem', 'dynamodb:Query'], access.read);
  allow('WriteOwnPartitions', WRITE_ACTIONS, access.write);
  allow('DeleteInPartitions', ['dynamodb:DeleteItem'], access.remove);
  allow('AppendOnly', ['dynamodb:PutItem'], access.append, 'ForAllValues:StringEquals');
  for (const [i, touch] of (access.touch ?? []).entries()) {
    statements.push({
      Sid: `TouchAttributes${i}`,
      Effect: 'Allow',
      Action: ['dynamodb:UpdateItem'],
      Resource: [tableArn],
      Condition: {
        ...leading('ForAllValues:StringLike', touch.keys),
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', ...touch.attributes] },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE'] },
      },
    });
  }
  for (const [index, patterns] of Object.entries(access.indexes ?? {}) as [IndexName, string[]][]) {
    statements.push({
      Sid: `Query${index[0]!.toUpperCase()}${index.slice(1)}`,
      Effect: 'Allow',
      Action: ['dynamodb:Query'],
      Resource: [indexArn(index)],
      Condition: leading('ForAllValues:StringLike', patterns),
    });
  }
  statements.push({
    Sid: 'AuditEntriesAreNeverChanged',
    Effect: 'Deny',
    Action: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    Resource: [tableArn],
    Condition: leading('ForAnyValue:StringLike', [`${AUDIT}*`]),
  });
  // A partition the function may touch keeps UpdateItem out of the denial: its touch statement limits that to its attributes.
  const touched = new Set((access.touch ?? []).flatMap((t) => t.keys));
  const never = access.neverWrite ?? [];
  const deny = (sid: string, actions: string[], patterns: string[]) => {
    if (patterns.length)
      statements.push({ Sid: sid, Effect: 'Deny', Action: actions, Resource: [tableArn], Condition: leading('ForAnyValue:StringLike', patterns) });
  };
  deny(
    'NeverWrite',
    WRITE_ACTIONS,
    never.filter((p) => !touched.has(p)),
  );
  deny(
    'NeverWriteButTouch',
    WRITE_ACTIONS.filter((a) => a !== 'dynamodb:UpdateItem'),
    never.filter((p) => touched.has(p)),
  );
  return statements;
}
