/**
 * Service-account onboarding (the PX-Backup flow): in the target cluster, the namespace, a
 * ServiceAccount, a ClusterRoleBinding to the chosen ClusterRole and a token, then a kubeconfig
 * that authenticates as that account.
 *
 * The token comes from a `kubernetes.io/service-account-token` Secret rather than the
 * TokenRequest API: a TokenRequest token cannot be revoked short of deleting the account, expires
 * (often capped by the API server's --service-account-max-token-expiration) so the hub would need
 * a rotation job it does not have, and a new one is minted on every call, so repeating the
 * onboarding would pile up live tokens. The Secret's token is stable (repeating is idempotent),
 * never expires, and deleting the Secret revokes it. It is the documented way to get a long-lived
 * token for a service account (Kubernetes docs, "Manually create a long-lived API token").
 */
import type * as K8s from '@kubernetes/client-node';
import { ClusterForbiddenError } from '#shared/domain/clusters/cluster.ts';
import { InputError } from '#shared/domain/errors.ts';
import { buildKubeconfig, type ClusterConnection } from '#shared/domain/clusters/kubeconfig-policy.ts';
import type { OnboardedServiceAccount, ServiceAccountRequest } from '#shared/ports/cluster-gateway.ts';
import { redact, statusMessage } from './connection-failure.ts';

export interface OnboardingApis {
  core: K8s.CoreV1Api;
  rbac: K8s.RbacAuthorizationV1Api;
}

const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'clusterhub' };
const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
const SA_UID_ANNOTATION = 'kubernetes.io/service-account.uid';
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

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** Names the binding after the account, so that repeating the onboarding finds it again. */
export function bindingName(request: ServiceAccountRequest): string {
  return `clusterhub:${request.namespace}:${request.name}`;
}

/** Names the token Secret after the account. */
export function tokenSecretName(request: ServiceAccountRequest): string {
  return `${request.name}-clusterhub-token`;
}

function validate(request: ServiceAccountRequest) {
  const errors = [];
  if (!DNS_LABEL.test(request.name)) errors.push({ field: 'service_account', message: 'service_account must be a DNS label (lower-case letters, digits, dashes).' });
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
    return await onboard(apis, connection, request, signal);
  } catch (err) {
    if (statusOf(err) !== 403) throw err;
    // Status.message names the refused verb and resource.
    const detail = statusMessage((err as { body?: unknown }).body);
    const secret = connection.credential.kind === 'token' ? connection.credential.token : connection.credential.keyPem;
    const shown = detail && redact(detail, [secret]);
    throw new ClusterForbiddenError(
      "The hub's credential for this cluster lacks the RBAC permission to onboard a service account (HTTP 403)" +
        `${shown ? `: ${shown}` : ''}. It must be allowed to read ClusterRoles and to create namespaces, service accounts, Secrets ` +
        'and ClusterRoleBindings: replace the credential (PATCH the cluster) with one that is, or create the account with kubectl.',
    );
  }
}

async function onboard(apis: OnboardingApis, connection: ClusterConnection, request: ServiceAccountRequest, signal: AbortSignal): Promise<OnboardedServiceAccount> {
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

  const account =
    (await readOptional(() => core.readNamespacedServiceAccount({ name, namespace }))) ??
    (await createOrRead(
      () => core.createNamespacedServiceAccount({ namespace, body: { metadata: { name, namespace, labels: MANAGED_BY } } }),
      () => core.readNamespacedServiceAccount({ name, namespace }),
    ));

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
    if (!exact) await rbac.replaceClusterRoleBinding({ name: binding, body: { ...wanted, metadata: { ...wanted.metadata, resourceVersion: current.metadata?.resourceVersion } } });
  }

  const secretName = tokenSecretName(request);
  const wantedSecret: K8s.V1Secret = {
    metadata: { name: secretName, namespace, labels: MANAGED_BY, annotations: { [SA_NAME_ANNOTATION]: name } },
    type: 'kubernetes.io/service-account-token',
  };
  let secret = await readOptional(() => core.readNamespacedSecret({ name: secretName, namespace }));
  const stale =
    secret &&
    (secret.type !== 'kubernetes.io/service-account-token' ||
      secret.metadata?.annotations?.[SA_NAME_ANNOTATION] !== name ||
      // A Secret of an earlier account with the same name: its token died with that account.
      (secret.metadata?.annotations?.[SA_UID_ANNOTATION] !== undefined && secret.metadata.annotations[SA_UID_ANNOTATION] !== account.metadata?.uid));
  if (stale) {
    await core.deleteNamespacedSecret({ name: secretName, namespace });
    secret = undefined;
  }
  if (!secret) {
    secret = await createOrRead(
      () => core.createNamespacedSecret({ namespace, body: wantedSecret }),
      () => core.readNamespacedSecret({ name: secretName, namespace }),
    );
  }

  // The token controller fills the Secret asynchronously; wait for it within the call's deadline.
  let tokenData = secret.data?.token;
  while (!tokenData) {
    await sleep(200, signal);
    secret = await core.readNamespacedSecret({ name: secretName, namespace });
    tokenData = secret.data?.token;
  }
  const token = Buffer.from(tokenData, 'base64').toString('utf8');

  const credentials = buildKubeconfig({
    ...connection,
    summary: { ...connection.summary, user: `system:serviceaccount:${namespace}:${name}` },
    credential: { kind: 'token', token },
  });
  return {
    credentials,
    service_account: name,
    namespace,
    role,
    cluster_role_binding: binding,
    token_secret: secretName,
  };
}
