/** The clusters context's items (docs/data-model.md): registered clusters, their name claims, their circuit breakers. */
import type { ClusterRecord } from '#shared/domain/clusters/cluster.ts';
import type { CircuitState } from '#shared/domain/clusters/ports.ts';
import { attribute, defineEntity, fields } from '../entity.ts';

export const cluster = defineEntity(
  { entity: 'cluster', pk: 'CLUSTER#<id>', sk: 'CLUSTER', indexes: { gsi1: { pk: 'CLUSTERS', sk: '<name:lower>' } } },
  fields<ClusterRecord>({
    id: 'id',
    // The lower-case copy is what the list's name filter searches (contains), case-insensitively.
    name: { names: ['name', 'name_lower'], write: (name) => ({ name, name_lower: name.toLowerCase() }), read: (item) => item.name as string },
    context: 'context',
    description: attribute('description', { absent: '' }),
    // Labels go to the marshaller as a Map: it refuses a plain object whose own key `constructor`
    // shadows Object.prototype's (and a label may be called that), a Map has no such keys.
    labels: attribute<Record<string, string>>('labels', { absent: {}, stored: (labels) => new Map(Object.entries(labels)) }),
    serverUrl: 'server_url',
    kubernetesVersion: 'kubernetes_version',
    provider: 'provider',
    nodeCount: 'node_count',
    status: 'status',
    active: 'active',
    credentialRef: 'credential_ref',
    credentialKind: 'credential_kind',
    serviceAccount: 'service_account',
    impersonate: 'impersonate',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
    lastConnected: 'last_connected',
    lastCheck: 'last_check',
    lastError: 'last_error',
    version: 'version',
  }),
);

/** Holds a cluster name (whatever its case) for one cluster: the conditional put of it keeps names unique. */
export const clusterNameClaim = defineEntity(
  { entity: 'cluster-name', pk: 'CLUSTERNAME#<name:lower>', sk: 'CLUSTERNAME' },
  fields<{ clusterId: string }>({ clusterId: 'cluster_id' }),
);

export const circuit = defineEntity(
  { entity: 'circuit', pk: 'CIRCUIT#<clusterId>', sk: 'CIRCUIT' },
  fields<CircuitState>({ failures: attribute('failures', { absent: 0 }), openUntil: 'open_until' }),
);
