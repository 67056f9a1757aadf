import { randomUUID } from 'node:crypto';
import { ConflictError, ForbiddenError, InputError } from '#shared/domain/errors.ts';
import { authorizeCluster, canSeeCluster, clusterRoleOf, type Principal } from '#shared/domain/identity/access.ts';
import type { ClusterInspection } from '#shared/ports/cluster-gateway.ts';
import type { ClusterDeps } from './cluster-deps.ts';
import type { ClusterRecord } from './cluster.ts';
import type { ClusterListFilter } from './ports.ts';
import {
  consumeImport,
  deleteOrphan,
  hasCredentialSource,
  newCredentialSecretName,
  replaceCredential,
  resolveCredentials,
  storedCredentials,
  type CredentialSource,
} from './credentials.ts';
import { ClusterUnavailableError, ClusterUnreachableError } from './errors.ts';
import { checkImpersonation } from './impersonation.ts';
import type { CheckedKubeconfig } from './kubeconfig-policy.ts';

/** Connects with credentials before anything is stored; a failure is 422 CLUSTER_UNREACHABLE with its reason. */
export async function inspectBeforeStoring(deps: ClusterDeps, credentials: CheckedKubeconfig): Promise<ClusterInspection> {
  const gateway = deps.gateways(credentials);
  try {
    return await gateway.inspect();
  } catch (err) {
    if (err instanceof ClusterUnavailableError) throw ClusterUnreachableError.from(err);
    throw err;
  } finally {
    gateway.close();
  }
}

export interface RegisterInput extends CredentialSource {
  name: string;
  description?: string;
  labels?: Record<string, string>;
  force?: boolean;
  /** Act as the user on the cluster (checked with the cluster first, as PATCH does: impersonation.ts). */
  impersonate?: boolean;
}

/**
 * Changing where the hub's access to a cluster comes from (a kubeconfig, hence a server and a
 * credential) needs the authority to register a cluster: the global admin role. A per-cluster
 * admin could otherwise point their cluster at another one's server, or at its import.
 */
function requireRegistrar(principal: Principal, what: string): void {
  if (principal.role !== 'admin') {
    throw new ForbiddenError(`${what} needs the global admin role (the authority to register a cluster); you have ${principal.role}.`);
  }
}

/**
 * Registers a cluster: checks and rebuilds the kubeconfig, connects, and only
 * then stores the credential (secret store) and the record (table). With
 * `force`, a cluster of the same name is replaced in place, keeping its id and grants;
 * its previous credential is deleted, not kept as an older version. Replacing needs admin on
 * that cluster (per-cluster overrides count). A cluster the caller may not see is treated as if
 * its name were free: the registration then fails as a race for the name would (409 CLUSTER_EXISTS,
 * without the hint to force), so neither the answer nor `force` reveals or replaces it.
 * An import (`kubeconfig_secret_ref`) is deleted once stored: it serves one registration.
 */
export async function registerCluster(deps: ClusterDeps, principal: Principal, input: RegisterInput): Promise<ClusterRecord> {
  requireRegistrar(principal, 'Registering a cluster');
  const credentials = await resolveCredentials(deps, input);
  const found = await deps.clusters.findByName(input.name);
  const existing = found && canSeeCluster(principal, found.id) ? found : undefined;
  if (existing && !input.force) {
    throw new ConflictError(`A cluster named ${input.name} is already registered; send force: true to replace it.`, 'CLUSTER_EXISTS');
  }
  if (existing) authorizeCluster(principal, existing.id, 'admin');
  const inspection = await inspectBeforeStoring(deps, credentials);
  // A replaced cluster keeps impersonating unless told otherwise, so the new credential must allow it too.
  const impersonate = input.impersonate ?? existing?.impersonate === true;
  if (impersonate) await checkImpersonation(deps, credentials);
  const now = deps.clock.now().toISOString();
  const id = existing?.id ?? randomUUID();
  const fields = {
    name: input.name,
    context: credentials.summary.context,
    description: input.description ?? existing?.description ?? '',
    labels: input.labels ?? existing?.labels ?? {},
    ...connectedFields(credentials, inspection, now),
    active: existing?.active ?? true,
    ...(impersonate || existing ? { impersonate } : {}),
    updatedAt: now,
  };
  if (existing) {
    const replaced = await replaceCredential(deps, existing, credentials.kubeconfig, (credentialRef) =>
      deps.clusters.update(existing, { ...fields, credentialRef, serviceAccount: null }),
    );
    await consumeImport(deps, input, replaced.id);
    return replaced;
  }
  const credentialRef = await deps.secrets.put(newCredentialSecretName(deps, id), credentials.kubeconfig);
  let created: ClusterRecord;
  try {
    created = await deps.clusters.create({ id, ...fields, lastError: undefined, credentialRef, createdAt: now });
  } catch (err) {
    // Someone registered the name meanwhile: do not leave our credential behind (nor hide why).
    await deleteOrphan(deps, id, credentialRef, 'new credential, not saved');
    throw err;
  }
  await consumeImport(deps, input, created.id);
  return created;
}

/** The record fields a successful connection establishes. */
export function connectedFields(credentials: CheckedKubeconfig, inspection: ClusterInspection, now: string) {
  return {
    serverUrl: credentials.summary.server,
    credentialKind: credentials.summary.authKind,
    kubernetesVersion: inspection.version,
    provider: inspection.provider,
    nodeCount: inspection.nodeCount ?? 0,
    status: 'connected' as const,
    lastConnected: now,
    lastCheck: now,
    lastError: null,
  };
}

/** Lists the clusters the principal may see. */
export function listClusters(deps: ClusterDeps, principal: Principal, filter: Omit<ClusterListFilter, 'hidden'>, limit: number, cursor?: string) {
  const hidden = Object.keys(principal.clusterPermissions).filter((id) => clusterRoleOf(principal, id) === 'none');
  return deps.clusters.list({ ...filter, hidden }, limit, cursor);
}

export interface UpdateInput extends CredentialSource {
  name?: string;
  description?: string;
  labels?: Record<string, string>;
  /** Act as the user on the cluster (checked with the cluster first: impersonation.ts). */
  impersonate?: boolean;
}

/**
 * Renames, relabels or re-credentials a cluster; a new credential passes the same checks and
 * connection as registration, needs the global admin role as registration does, and the previous
 * one is deleted (an import used for it too). `context` picks a context of the new kubeconfig, so
 * alone it is refused: the stored kubeconfig keeps only the one context it was rebuilt from, and
 * there is nothing to pick from.
 */
export async function updateCluster(deps: ClusterDeps, principal: Principal, cluster: ClusterRecord, input: UpdateInput): Promise<ClusterRecord> {
  const now = deps.clock.now().toISOString();
  const changes = { name: input.name, description: input.description, labels: input.labels, impersonate: input.impersonate, updatedAt: now };
  const impersonating = input.impersonate ?? cluster.impersonate === true;
  if (!hasCredentialSource(input)) {
    if (input.impersonate === true) await checkImpersonation(deps, await storedCredentials(deps, cluster));
    if (input.context !== undefined) {
      const message = 'context selects a context of a new kubeconfig: send it with kubeconfig, kubeconfig_base64 or kubeconfig_secret_ref.';
      throw new InputError(message, [{ field: 'context', location: 'body', message }]);
    }
    return deps.clusters.update(cluster, changes);
  }
  requireRegistrar(principal, "Replacing a cluster's credential (and with it the server)");
  const credentials = await resolveCredentials(deps, input);
  const inspection = await inspectBeforeStoring(deps, credentials);
  if (impersonating) await checkImpersonation(deps, credentials);
  const updated = await replaceCredential(deps, cluster, credentials.kubeconfig, (credentialRef) =>
    deps.clusters.update(cluster, {
      ...changes,
      context: credentials.summary.context,
      ...connectedFields(credentials, inspection, now),
      credentialRef,
      serviceAccount: null,
    }),
  );
  await consumeImport(deps, input, cluster.id);
  return updated;
}

/**
 * Deletes a cluster with its stored credential and every grant on it. The secret goes first, then
 * the grants, then the record: a failure part-way leaves the cluster listed (perhaps without its
 * credential, which then answers 404), never a live credential that nothing references; and as
 * deleting a missing secret is no error, a retried DELETE finishes the job.
 */
export async function deleteCluster(deps: ClusterDeps, cluster: ClusterRecord): Promise<void> {
  await deps.secrets.delete(cluster.credentialRef);
  await deps.revokeGrants(cluster.id);
  await deps.clusters.delete(cluster);
}
