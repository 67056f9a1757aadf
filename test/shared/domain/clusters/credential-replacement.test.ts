/**
 * Replacing a cluster's credential on the production secret store (Secrets Manager, on the test
 * bed's moto): every replacement path stores the new kubeconfig under a new secret and deletes the
 * old one outright, so no version of the old credential, AWSPREVIOUS included, stays readable.
 */
import { randomBytes } from 'node:crypto';
import { GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { systemClock } from '#shared/ports/clock.ts';
import { localDynamoDbClient } from '#infra/local/dynamodb-local.ts';
import { directClient, testClusters } from '#test/support/clusters.ts';
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
  const deps: ClusterDeps = {
    clusters: new DynamoClusterRepository(table),
    secrets: new SecretsManagerSecretStore(sm),
    gateways: createKubernetesGatewayFactory({ policy }),
    policy,
    breaker: new DynamoCircuitBreaker(table),
    clock: systemClock,
    secretPrefix: prefix,
    revokeGrants: async () => {},
  };
  const account = { name: `hub-sm-${run}`, namespace: `clusterhub-sm-${run}`, role: 'view' };

  /** Every version of a secret the hub once held must be gone: the current one and AWSPREVIOUS. */
  async function expectUnreadable(ref: string) {
    for (const VersionStage of ['AWSCURRENT', 'AWSPREVIOUS']) {
      await expect(sm.send(new GetSecretValueCommand({ SecretId: ref, VersionStage })), VersionStage).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
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

  beforeAll(async () => {
    await ensureTable(dynamo, table.name);
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
    const registered = await registerCluster(deps, { name: 'alpha', kubeconfig: alpha!.adminKubeconfig });
    expect(await secretsOf(registered.id)).toHaveLength(1);

    // Act / Assess: a new kubeconfig through PATCH.
    const patched = await updateCluster(deps, registered, { kubeconfig: beta!.adminKubeconfig });
    expect(patched.credentialRef).not.toBe(registered.credentialRef);
    await expectUnreadable(registered.credentialRef);
    expect(await deps.secrets.get(patched.credentialRef)).toContain(beta!.server);
    expect(await secretsOf(registered.id)).toHaveLength(1);

    // The same through POST /clusters with force.
    const forced = await registerCluster(deps, { name: 'alpha', kubeconfig: alpha!.adminKubeconfig, force: true });
    expect(forced.id).toBe(registered.id);
    await expectUnreadable(patched.credentialRef);
    expect(await secretsOf(registered.id)).toHaveLength(1);

    // Onboarding a service account for the hub: the uploaded admin credential is gone, every version of it.
    const onboarded = await onboardServiceAccount(deps, forced, account, true);
    expect(onboarded).toMatchObject({ service_account: account.name, role: 'view', used_for_hub: true });
    const record = (await deps.clusters.get(registered.id))!;
    await expectUnreadable(forced.credentialRef);
    expect(await deps.secrets.get(record.credentialRef)).toContain(`system:serviceaccount:${account.namespace}:${account.name}`);
    expect(await secretsOf(registered.id)).toEqual([expect.stringContaining(`${prefix}clusters/${registered.id}/kubeconfig-`)]);

    // Repeating it changes nothing: the same answer, the same secret.
    expect(await onboardServiceAccount(deps, record, account, true)).toEqual(onboarded);
    expect((await deps.clusters.get(registered.id))!.credentialRef).toBe(record.credentialRef);
  });

  it('keeps the old secret and deletes the new one when the record update loses a race', async () => {
    const registered = await registerCluster(deps, { name: 'beta', kubeconfig: beta!.adminKubeconfig });
    // Someone else changed the record meanwhile: this caller's copy is stale.
    await updateCluster(deps, registered, { description: 'changed meanwhile' });

    await expect(updateCluster(deps, registered, { kubeconfig: alpha!.adminKubeconfig })).rejects.toThrow(ConflictError);

    const current = (await deps.clusters.get(registered.id))!;
    expect(current.credentialRef).toBe(registered.credentialRef);
    expect(await deps.secrets.get(current.credentialRef)).toContain(beta!.server);
    expect(await secretsOf(registered.id)).toHaveLength(1);
  });
});
