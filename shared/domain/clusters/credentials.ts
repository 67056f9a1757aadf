import { randomBytes } from 'node:crypto';
import { InputError, NotFoundError } from '#shared/domain/errors.ts';
import { SecretNotFoundError } from '#shared/ports/secret-store.ts';
import type { ClusterDeps } from './cluster-deps.ts';
import type { ClusterRecord } from './cluster.ts';
import { checkKubeconfig, TRUSTED_KUBECONFIG_LIMITS, type CheckedKubeconfig } from './kubeconfig-policy.ts';

/** The ways a request can hand the hub a kubeconfig; exactly one per request (the wire names: shared/api/clusters/views.ts). */
export interface CredentialSource {
  kubeconfig?: string;
  kubeconfigBase64?: string;
  kubeconfigSecretRef?: string;
  /** Local run only: a context of the machine's own kubeconfig (GET /clusters/discover). */
  localContext?: string;
  context?: string;
}

/** Each source and the request field it came in, which errors name. */
const SOURCE_FIELDS = {
  kubeconfig: 'kubeconfig',
  kubeconfigBase64: 'kubeconfig_base64',
  kubeconfigSecretRef: 'kubeconfig_secret_ref',
  localContext: 'local_context',
} as const;
const SOURCES = Object.keys(SOURCE_FIELDS) as (keyof typeof SOURCE_FIELDS)[];

/** Whether the request names any credential source at all. */
export function hasCredentialSource(input: CredentialSource): boolean {
  return SOURCES.some((s) => input[s] !== undefined);
}

/**
 * Reads the one credential source of a request, checks it against the
 * kubeconfig policy and rebuilds it. Both or none of the sources: 400.
 */
export async function resolveCredentials(deps: ClusterDeps, input: CredentialSource): Promise<CheckedKubeconfig> {
  const given = SOURCES.filter((s) => input[s] !== undefined);
  if (given.length !== 1) {
    const message = 'Give exactly one of kubeconfig, kubeconfig_base64 or kubeconfig_secret_ref (or local_context in the local run).';
    const fields = given.length ? given.map((g) => SOURCE_FIELDS[g]) : ['kubeconfig'];
    throw new InputError(
      message,
      fields.map((field) => ({ field, location: 'body', message })),
    );
  }
  const [source] = given;
  switch (source) {
    case 'kubeconfig':
      return checkKubeconfig({ text: input.kubeconfig!, encoding: 'yaml', context: input.context, field: 'kubeconfig' }, deps.policy);
    case 'kubeconfigBase64':
      return checkKubeconfig({ text: input.kubeconfigBase64!, encoding: 'base64', context: input.context, field: 'kubeconfig_base64' }, deps.policy);
    case 'kubeconfigSecretRef':
      return checkKubeconfig(
        { text: await readImport(deps, input.kubeconfigSecretRef!), encoding: 'yaml', context: input.context, field: 'kubeconfig_secret_ref' },
        deps.policy,
      );
    default: {
      const text = await deps.localKubeconfig?.();
      if (!text)
        throw new InputError('local_context works only in the local run, with a kubeconfig on this machine.', [
          { field: 'local_context', location: 'body', message: 'not available' },
        ]);
      return checkKubeconfig({ text, encoding: 'yaml', context: input.localContext, field: 'local_context', limits: TRUSTED_KUBECONFIG_LIMITS }, deps.policy);
    }
  }
}

/**
 * Reads a kubeconfig someone put in the secret store for the hub to import.
 * Only secrets under `<prefix>imports/` are read, so the reference cannot be
 * pointed at the hub's own keys or at another team's secrets.
 */
async function readImport(deps: ClusterDeps, ref: string): Promise<string> {
  const importPrefix = `${deps.secretPrefix}imports/`;
  const name = ref.startsWith('arn:') ? /:secret:(.+?)(-[A-Za-z0-9]{6})?$/.exec(ref)?.[1] : ref.replace(/^local-secret:/, '');
  const refusal = `kubeconfig_secret_ref must name a secret under ${importPrefix} (by name or ARN).`;
  if (!name || !name.startsWith(importPrefix) || name.includes('..')) {
    throw new InputError(refusal, [{ field: 'kubeconfig_secret_ref', location: 'body', message: refusal }]);
  }
  try {
    return await deps.secrets.get(ref);
  } catch (err) {
    if (err instanceof SecretNotFoundError) {
      throw new InputError(`The secret ${name} does not exist.`, [{ field: 'kubeconfig_secret_ref', location: 'body', message: 'not found' }]);
    }
    throw err;
  }
}

/**
 * Deletes the import a registration or replacement has just stored (a rebuilt copy of it now is the
 * cluster's credential): an import serves one registration, so it can be neither reused to point
 * another cluster at the same server and credential nor left lying around. Best-effort like every
 * cleanup here: a failure is logged with the secret's name and never undoes the registration.
 */
export async function consumeImport(deps: ClusterDeps, input: CredentialSource, clusterId: string): Promise<void> {
  const ref = input.kubeconfigSecretRef;
  if (ref === undefined) return;
  try {
    await deps.secrets.delete(ref);
  } catch (err) {
    deps.logger.warn('could not delete a consumed kubeconfig import; delete it by hand', {
      cluster_id: clusterId,
      import_ref: ref,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

/**
 * A fresh secret name for a cluster's next rebuilt kubeconfig. Each credential gets a name of its
 * own: writing a new value under the old name would keep the old credential readable as the
 * secret's previous version (AWSPREVIOUS in Secrets Manager).
 */
export function newCredentialSecretName(deps: ClusterDeps, clusterId: string): string {
  return `${deps.secretPrefix}clusters/${clusterId}/kubeconfig-${randomBytes(6).toString('hex')}`;
}

/**
 * Stores `kubeconfig` as the cluster's new credential: under a new secret, then `save` points the
 * record at it (a conditional write), then the previous secret is deleted with no recovery window.
 * When `save` fails the new secret is deleted instead, and the record keeps the old one. Either
 * delete is best-effort: its failure is logged (the secret's name, never its value) and leaves that
 * secret orphaned, but never changes the answer: `save`'s own error, or its result.
 */
export async function replaceCredential<T>(
  deps: ClusterDeps,
  cluster: ClusterRecord,
  kubeconfig: string,
  save: (credentialRef: string) => Promise<T>,
): Promise<T> {
  const credentialRef = await deps.secrets.put(newCredentialSecretName(deps, cluster.id), kubeconfig);
  let saved: T;
  try {
    saved = await save(credentialRef);
  } catch (err) {
    await deleteOrphan(deps, cluster.id, credentialRef, 'new credential, not saved');
    throw err;
  }
  // Only after the record moved on: a failure before this point leaves the old credential working.
  await deleteOrphan(deps, cluster.id, cluster.credentialRef, 'previous credential, replaced');
  return saved;
}

/** Deletes a secret the cluster no longer uses; a failure is logged and swallowed. */
export async function deleteOrphan(deps: ClusterDeps, clusterId: string, ref: string, which: string): Promise<void> {
  try {
    await deps.secrets.delete(ref);
  } catch (err) {
    // The field names avoid the logger's masked words (secret, credential): the name must show.
    deps.logger.warn('could not delete a cluster credential secret; it is left orphaned', {
      cluster_id: clusterId,
      orphaned_ref: ref,
      which,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

/** The stored kubeconfig of a cluster, checked again against the current policy before any use. */
export function storedCredentials(deps: ClusterDeps, cluster: ClusterRecord): Promise<CheckedKubeconfig> {
  const read = () => readStoredCredentials(deps, cluster);
  return deps.credentialCache ? deps.credentialCache.get(cluster.credentialRef, read) : read();
}

async function readStoredCredentials(deps: ClusterDeps, cluster: ClusterRecord): Promise<CheckedKubeconfig> {
  let text: string;
  try {
    text = await deps.secrets.get(cluster.credentialRef);
  } catch (err) {
    if (err instanceof SecretNotFoundError) throw new NotFoundError(`The credential of cluster ${cluster.id} is missing; register it again.`);
    throw err;
  }
  return checkKubeconfig({ text, encoding: 'yaml', field: 'stored kubeconfig', limits: TRUSTED_KUBECONFIG_LIMITS }, deps.policy);
}
