/**
 * Service-account onboarding (the PX-Backup flow): in the target cluster, the namespace, a
 * ServiceAccount, a ClusterRoleBinding to the chosen ClusterRole and, when the hub is to work as
 * the account, a token, then a kubeconfig that authenticates as that account.
 *
 * The token is a bound one from the TokenRequest API (serviceaccounts/token), with an expiry: a
 * stolen copy stops working by itself, and nothing is left in the cluster to read it from. The
 * API server may cap the lifetime (--service-account-max-token-expiration); the expiry it granted
 * is answered. Deleting the account revokes it early. Earlier versions of the hub kept a
 * long-lived `kubernetes.io/service-account-token` Secret instead; onboarding the account again
 * deletes that Secret, which revokes its token.
 *
 * Only accounts the hub created (labelled managed-by clusterhub) are bound: binding a role to an
 * existing account would hand that role to whatever already runs as it.
 */
import type * as K8s from '@kubernetes/client-node';
import { ClusterForbiddenError } from '#shared/domain/clusters/errors.ts';
import { ConflictError, InputError } from '#shared/domain/errors.ts';
import { buildKubeconfig, type ClusterConnection } from '#shared/domain/clusters/kubeconfig-policy.ts';
import type { OnboardedServiceAccount, ServiceAccountRequest } from '#shared/ports/cluster-gateway.ts';
import { redact, statusMessage } from './connection-failure.ts';

export interface OnboardingApis {
  core: K8s.CoreV1Api;
  rbac: K8s.RbacAuthorizationV1Api;
}

const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
const MANAGED_BY = { [MANAGED_BY_LABEL]: 'clusterhub' };
const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ROLE_NAME = /^[a-z0-9]([-a-z0-9.:]{0,251}[a-z0-9])?$/;

const statusOf = (err: unknown): number | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'number' ? code : undefined;
};

/** Reads an object, or undefined when it does not exist. */
async function readOptional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/** Creates an object; when it appeared meanwhile (409), reads it instead. */
async function createOrRead<T>(create: () => Promise<T>, read: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (statusOf(err) === 409) return read();
    throw err;
  }
}

/** Names the binding after the account, so that repeating the onboarding finds it again. */
export function bindingName(request: ServiceAccountRequest): string {
  return `clusterhub:${request.namespace}:${request.name}`;
}

/** The long-lived token Secret earlier versions of the hub made for the account. */
export function legacyTokenSecretName(request: ServiceAccountRequest): string {
  return `${request.name}-clusterhub-token`;
}

/** Whether the hub made this object (its label says so). */
const madeByHub = (metadata: K8s.V1ObjectMeta | undefined) => metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY[MANAGED_BY_LABEL];

function validate(request: ServiceAccountRequest) {
  const errors = [];
  if (!DNS_LABEL.test(request.name))
    errors.push({ field: 'service_account', message: 'service_account must be a DNS label (lower-case letters, digits, dashes).' });
  if (!DNS_LABEL.test(request.namespace)) errors.push({ field: 'namespace', message: 'namespace must be a DNS label (lower-case letters, digits, dashes).' });
  if (!ROLE_NAME.test(request.role)) errors.push({ field: 'role', message: 'role must be view, edit, cluster-admin or the name of a ClusterRole.' });
  if (errors.length) throw new InputError(`The service account request is invalid: ${errors.map((e) => e.field).join(', ')}.`, errors);
}

/**
 * Runs the onboarding against a cluster; every step tolerates having been done before. A 403 from
 * the cluster means the hub's own credential lacks RBAC for a step: ClusterForbiddenError (422), not
 * an unavailable cluster.
 */
export async function onboardServiceAccount(
  apis: OnboardingApis,
  connection: ClusterConnection,
  request: ServiceAccountRequest,
  signal: AbortSignal,
): Promise<OnboardedServiceAccount> {
  validate(request);
  try {
    signal.throwIfAborted();
    return await onboard(apis, connection, request);
  } catch (err) {
    if (statusOf(err) !== 403) throw err;
    // Status.message names the refused verb and resource.
    const detail = statusMessage((err as { body?: unknown }).body);
    const secret = connection.credential.kind === 'token' ? connection.credential.token : connection.credential.keyPem;
    const shown = detail && redact(detail, [secret]);
    throw new ClusterForbiddenError(
      "The hub's credential for this cluster lacks the RBAC permission to onboard a service account (HTTP 403)" +
        `${shown ? `: ${shown}` : ''}. It must be allowed to read ClusterRoles, to create namespaces, service accounts, ` +
        'ClusterRoleBindings and service-account tokens, and to bind the role: replace the credential (PATCH the cluster) with one that is, or create the account with kubectl.',
    );
  }
}

async function onboard(apis: OnboardingApis, connection: ClusterConnection, request: ServiceAccountRequest): Promise<OnboardedServiceAccount> {
  const { core, rbac } = apis;
  const { name, namespace, role } = request;

  // The role first: a typo must not leave a half-made account behind.
  const clusterRole = await readOptional(() => rbac.readClusterRole({ name: role }));
  if (!clusterRole) {
    throw new InputError(`The cluster has no ClusterRole named "${role}".`, [
      { field: 'role', message: `The cluster has no ClusterRole named "${role}": use view, edit, cluster-admin or an existing ClusterRole.` },
    ]);
  }

  const existingNamespace = await readOptional(() => core.readNamespace({ name: namespace }));
  if (!existingNamespace) {
    await createOrRead(
      () => core.createNamespace({ body: { metadata: { name: namespace, labels: MANAGED_BY } } }),
      () => core.readNamespace({ name: namespace }),
    );
  }

  let account = await readOptional(() => core.readNamespacedServiceAccount({ name, namespace }));
  if (account && !madeByHub(account.metadata)) throw notOurs(request);
  account ??= await createOrRead(
    () => core.createNamespacedServiceAccount({ namespace, body: { metadata: { name, namespace, labels: MANAGED_BY } } }),
    () => core.readNamespacedServiceAccount({ name, namespace }),
  );
  // Created by someone else between our read and our create.
  if (!madeByHub(account.metadata)) throw notOurs(request);

  const binding = bindingName(request);
  const wanted: K8s.V1ClusterRoleBinding = {
    metadata: { name: binding, labels: MANAGED_BY },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ kind: 'ServiceAccount', name, namespace }],
  };
  const current = await readOptional(() => rbac.readClusterRoleBinding({ name: binding }));
  if (!current) {
    await createOrRead(
      () => rbac.createClusterRoleBinding({ body: wanted }),
      () => rbac.readClusterRoleBinding({ name: binding }),
    );
  } else if (current.roleRef.name !== role || current.roleRef.kind !== 'ClusterRole') {
    // roleRef cannot change in place: a new role means a new binding.
    await rbac.deleteClusterRoleBinding({ name: binding });
    await rbac.createClusterRoleBinding({ body: wanted });
  } else {
    const subjects = current.subjects ?? [];
    const exact = subjects.length === 1 && subjects[0]!.kind === 'ServiceAccount' && subjects[0]!.name === name && subjects[0]!.namespace === namespace;
    if (!exact)
      await rbac.replaceClusterRoleBinding({
        name: binding,
        body: { ...wanted, metadata: { ...wanted.metadata, resourceVersion: current.metadata?.resourceVersion } },
      });
  }

  const minted = request.tokenLifetimeSeconds === undefined ? undefined : await mintToken(core, request, request.tokenLifetimeSeconds);
  if (request.revokeLegacyToken) await deleteLegacyTokenSecret(core, request);
  return {
    ...(minted
      ? {
          credentials: buildKubeconfig({
            ...connection,
            summary: { ...connection.summary, user: `system:serviceaccount:${namespace}:${name}` },
            credential: { kind: 'token', token: minted.token },
          }),
          tokenExpiresAt: minted.expiresAt,
        }
      : {}),
    serviceAccount: name,
    namespace,
    role,
    clusterRoleBinding: binding,
  };
}

function notOurs(request: ServiceAccountRequest): ConflictError {
  return new ConflictError(
    `The service account ${request.namespace}/${request.name} exists and was not created by the hub: the hub binds roles only to accounts it created, ` +
      'so that a role never reaches what already runs as an account. Choose another name.',
    'SERVICE_ACCOUNT_NOT_MANAGED',
  );
}

/** A bound token for the account from the TokenRequest API, and when it expires. */
async function mintToken(core: K8s.CoreV1Api, request: ServiceAccountRequest, lifetimeSeconds: number): Promise<{ token: string; expiresAt: string }> {
  const answer = await core.createNamespacedServiceAccountToken({
    name: request.name,
    namespace: request.namespace,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: lifetimeSeconds } },
  });
  const token = answer.status?.token;
  const expires = answer.status?.expirationTimestamp;
  if (!token || !expires) throw new Error('the TokenRequest answer holds no token or expiry');
  return { token, expiresAt: new Date(expires).toISOString() };
}

/** Deletes the long-lived token Secret an earlier hub made for the account (only one it made), revoking its token. */
async function deleteLegacyTokenSecret(core: K8s.CoreV1Api, request: ServiceAccountRequest): Promise<void> {
  const name = legacyTokenSecretName(request);
  const secret = await readOptional(() => core.readNamespacedSecret({ name, namespace: request.namespace }));
  if (!secret || !madeByHub(secret.metadata) || secret.metadata?.annotations?.[SA_NAME_ANNOTATION] !== request.name) return;
  await readOptional(() => core.deleteNamespacedSecret({ name, namespace: request.namespace }));
}
