import { ClusterCredentialRejectedError, ClusterForbiddenError, ClusterResponseTooLargeError } from '#shared/domain/clusters/errors.ts';
import { shownFailureText } from '#shared/domain/clusters/failure-text.ts';
import { UnavailableError } from '#shared/domain/errors.ts';
import { takeInventory } from '#shared/domain/inventory/snapshot.ts';
import type { JobHandler } from '../job-handler.ts';

/**
 * The inventory job on one cluster. A cluster that cannot be reached or refuses the hub leaves its
 * previous snapshot as the latest and answers `failed` (the health sweep reports why); the table,
 * the blob store or a bug throws, for the message to come back.
 */
export const inventory: JobHandler = async (message, deps) => {
  const cluster = await deps.clusters.clusters.get(message.cluster_id);
  if (!cluster) return { outcome: 'skipped', detail: 'The cluster is no longer registered.' };
  if (!cluster.active && message.trigger === 'schedule') return { outcome: 'skipped', detail: 'The cluster is inactive.' };
  try {
    const { head, written, changes } = await takeInventory(deps.inventory, cluster);
    return {
      outcome: 'succeeded',
      detail: written ? `Snapshot of ${head.object_count} objects, ${changes} changed.` : `Nothing changed in ${head.object_count} objects.`,
      data: { taken_at: head.taken_at, checked_at: head.checked_at, objects: head.object_count, changes, written },
    };
  } catch (err) {
    const clusterFailure =
      (err instanceof UnavailableError && err.code === 'CLUSTER_UNAVAILABLE') ||
      err instanceof ClusterCredentialRejectedError ||
      err instanceof ClusterForbiddenError ||
      err instanceof ClusterResponseTooLargeError;
    if (clusterFailure) return { outcome: 'failed', detail: shownFailureText(err.message) };
    throw err;
  }
};
