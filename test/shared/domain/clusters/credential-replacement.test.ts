/**
 * Replacing a cluster's credential on the production secret store (Secrets Manager, on the test
 * bed's moto): every replacement path stores the new kubeconfig under a new secret and deletes the
 * old one outright, so no version of the old credential, AWSPREVIOUS included, stays readable.
 */
import { randomBytes } from 'node:crypto';
import { GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoCircuitBreaker } from '#shared/adapters/dynamodb/clusters/circuit-breaker.ts';
import { DynamoClusterRepository } from '#shared/adapters/dynamodb/clusters/cluster-repository.ts';
import { ensureTable } from '#shared/adapters/dynamodb/create-table.ts';
import { Table } from '#shared/adapters/dynamodb/table.ts';
import { createKubernetesGatewayFactory } from '#shared/adapters/kubernetes/kubernetes-gateway.ts';
import { SecretsManagerSecretStore } from '#shared/adapters/secrets-manager/secrets-manager-secret-store.ts';
import type { ClusterDeps } from '#shared/domain/clusters/cluster-deps.ts';
import type { KubeconfigPolicy } from '#shared/domain/clusters/kubeconfig-policy.ts';
import { parseNetworkPolicy } from '#shared/domain/clusters/network-policy.ts';
import { onboardServiceAccount } from '#shared/domain/clusters/onboarding.ts';
import { registerCluster, updateCluster } from '#shared/domain/clusters/registry.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import type { Principal } from '#shared/domain/identity/access.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { systemClock } from '#shared/ports/clock.ts';
import type { SecretStore } from '#shared/ports/secret-store.ts';
import { localDynamoDbClient } from '#infra/local/dynamodb-local.ts';
import { directClient, testClusters, tokenOf } from '#test/support/clusters.ts';
import { awsBackendMissing, reportMissingBackend } from '#test/contracts/backend.ts';

const run = randomBytes(4).toString('hex');
const [alpha, beta] = testClusters();

describe('replacing a cluster credential in Secrets Manager', () => {
  if (reportMissingBackend('SecretsManagerSecretStore', awsBackendMissing())) return;

  const sm = new SecretsManagerClient({});
  const dynamo = localDynamoDbClient(process.env.AWS_ENDPOINT_URL_DYNAMODB!);
  const table = new Table(dynamo, `credential-replacement-${run}`);
  const prefix = `replacement-${run}/`;
  // The test bed's API servers listen on 127.0.0.1.
  const policy: KubeconfigPolicy = { networks: parseNetworkPolicy('127.0.0.0/8,::1/128'), allowInsecureTls: false };
  /** The warnings the replacement logs, as written (after the logger's masking). */
  let warnings: Record<string, unknown>[] = [];
  const deps: ClusterDeps = {
    clusters: new DynamoClusterRepository(table),
    secrets: new SecretsManagerSecretStore(sm),
    gateways: createKubernetesGatewayFactory({ policy }),
    policy,
    breaker: new DynamoCircuitBreaker(table),
    clock: systemClock,
    logger: createLogger({}, { level: 'warn', write: (line) => warnings.push(JSON.parse(line)) }),
    secretPrefix: prefix,
    onboarding: { clusterRoles: ['view'], namespaces: [], tokenLifetimeSeconds: 3600 },
    revokeGrants: async () => {},
  };
  /** A global admin: the one who may register clusters and replace their credentials. */
  const admin: Principal = { userId: 'admin', username: 'admin', role: 'admin', clusterPermissions: {}, via: 'token', totpEnabled: false };
  const account = { name: `hub-sm-${run}`, namespace: `clusterhub-sm-${run}`, role: 'view' };

  /** Every version of a secret the hub once held must be gone: the current one and AWSPREVIOUS. */
  async function expectUnreadable(ref: string) {
    for (const VersionStage of ['AWSCURRENT', 'AWSPREVIOUS']) {
      await expect(sm.send(new GetSecretValueCommand({ SecretId: ref, VersionStage })), VersionStage).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    }
  }

  /** The names of the secrets held for a cluster: after every replacement, exactly one. */
  async function secretsOf(clusterId: string): Promise<string[]> {
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      const out = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [`${prefix}clusters/${clusterId}/`] }], NextToken }));
      names.push(...(out.SecretList ?? []).map((s) => s.Name!));
      NextToken = out.NextToken;
    } while (NextToken);
    return names;
  }

  /** The same store, except that every delete fails. */
  const deletesFail: SecretStore = {
    put: (name, value) => deps.secrets.put(name, value),
    create: (name, value) => deps.secrets.create(name, value),
    get: (ref) => deps.secrets.get(ref),
    delete: () => Promise.reject(new Error('secret store down')),
  };

  beforeAll(async () => {
    await ensureTable(dynamo, table.name);
  });
  beforeEach(() => {
    warnings = [];
  });
  afterAll(async () => {
    const direct = directClient(alpha!.adminKubeconfig);
    await direct.rbac.deleteClusterRoleBinding({ name: `clusterhub:${account.namespace}:${account.name}` }).catch(() => {});
    await direct.core.deleteNamespace({ name: account.namespace }).catch(() => {});
    sm.destroy();
    dynamo.destroy();
  });

  it('deletes the old secret on PATCH, on a forced registration and on service-account onboarding', async () => {
    // Prepare: a cluster registered with the uploaded admin kubeconfig.
    const registered = await registerCluster(deps, admin, { name: 'alpha', kubeconfig: alpha!.adminKubeconfig });
    expect(await secretsOf(registered.id)).toHaveLength(1);

    // Act / Assess: a new kubeconfig through PATCH.
    const patched = await updateCluster(deps, admin, registered, { kubeconfig: beta!.adminKubeconfig });
    expect(patched.credentialRef).not.toBe(registered.credentialRef);
    await expectUnreadable(registered.credentialRef);
    expect(await deps.secrets.get(patched.credentialRef)).toContain(beta!.server);
    expect(await secretsOf(registered.id)).toHaveLength(1);

    // The same through POST /clusters with force.
    const forced = await registerCluster(deps, admin, { name: 'alpha', kubeconfig: alpha!.adminKubeconfig, force: true });
    expect(forced.id).toBe(registered.id);
    await expectUnreadable(patched.credentialRef);
    expect(await secretsOf(registered.id)).toHaveLength(1);

    // Onboarding a service account for the hub: the uploaded admin credential is gone, every version of it.
    const onboarded = await onboardServiceAccount(deps, admin, forced, account, true);
    expect(onboarded).toMatchObject({ account: { name: account.name, role: 'view' }, usedForHub: true });
    const record = (await deps.clusters.get(registered.id))!;
    await expectUnreadable(forced.credentialRef);
    expect(await deps.secrets.get(record.credentialRef)).toContain(`system:serviceaccount:${account.namespace}:${account.name}`);
    expect(await secretsOf(registered.id)).toEqual([expect.stringContaining(`${prefix}clusters/${registered.id}/kubeconfig-`)]);

    // Repeating it changes nothing: the same answer, the same secret.
    expect(await onboardServiceAccount(deps, admin, record, account, true)).toEqual(onboarded);
    expect((await deps.clusters.get(registered.id))!.credentialRef).toBe(record.credentialRef);
  });

  it('keeps the old secret and deletes the new one when the record update loses a race', async () => {
    const registered = await registerCluster(deps, admin, { name: 'beta', kubeconfig: beta!.adminKubeconfig });
    // Someone else changed the record meanwhile: this caller's copy is stale.
    await updateCluster(deps, admin, registered, { description: 'changed meanwhile' });

    await expect(updateCluster(deps, admin, registered, { kubeconfig: alpha!.adminKubeconfig })).rejects.toThrow(ConflictError);

    const current = (await deps.clusters.get(registered.id))!;
    expect(current.credentialRef).toBe(registered.credentialRef);
    expect(await deps.secrets.get(current.credentialRef)).toContain(beta!.server);
    expect(await secretsOf(registered.id)).toHaveLength(1);
  });

  it('answers the original error when deleting the unsaved new secret fails too', async () => {
    const registered = await registerCluster(deps, admin, { name: 'gamma', kubeconfig: beta!.adminKubeconfig });
    await updateCluster(deps, admin, registered, { description: 'changed meanwhile' });

    // The record update loses the race (409), and the cleanup of the new secret fails: still a 409.
    await expect(updateCluster({ ...deps, secrets: deletesFail }, admin, registered, { kubeconfig: alpha!.adminKubeconfig })).rejects.toThrow(ConflictError);

    const current = (await deps.clusters.get(registered.id))!;
    expect(current.credentialRef).toBe(registered.credentialRef);
    // The new secret is left behind, and the warning names it so that it can be removed.
    const orphans = (await secretsOf(registered.id)).filter((name) => !current.credentialRef.includes(name));
    expect(orphans).toHaveLength(1);
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 'warn',
        cluster_id: registered.id,
        orphaned_ref: expect.stringContaining(orphans[0]!),
        error: expect.stringContaining('secret store down'),
      }),
    ]);
    expect(JSON.stringify(warnings)).not.toContain(tokenOf(alpha!.adminKubeconfig));
    await deps.secrets.delete(warnings[0]!.orphaned_ref as string);
  });

  it('answers success when deleting the previous secret fails after the record moved on', async () => {
    const registered = await registerCluster(deps, admin, { name: 'delta', kubeconfig: beta!.adminKubeconfig });

    const patched = await updateCluster({ ...deps, secrets: deletesFail }, admin, registered, { kubeconfig: alpha!.adminKubeconfig });

    expect(patched.credentialRef).not.toBe(registered.credentialRef);
    expect((await deps.clusters.get(registered.id))!.credentialRef).toBe(patched.credentialRef);
    expect(await deps.secrets.get(patched.credentialRef)).toContain(alpha!.server);
    // The previous secret is orphaned, and the warning names it, never its value.
    expect(await deps.secrets.get(registered.credentialRef)).toContain(beta!.server);
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 'warn',
        cluster_id: registered.id,
        orphaned_ref: registered.credentialRef,
        error: expect.stringContaining('secret store down'),
      }),
    ]);
    expect(JSON.stringify(warnings)).not.toContain(tokenOf(beta!.adminKubeconfig));
    await deps.secrets.delete(registered.credentialRef);
    expect(await secretsOf(registered.id)).toHaveLength(1);
  });
});
