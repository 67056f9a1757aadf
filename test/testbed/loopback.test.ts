/**
 * Every listener the running test bed opened is on a loopback address. DynamoDB Local and moto
 * check no credentials and etcd serves every cluster's objects (service account tokens too) to
 * whoever connects: reachable from the network, any of them would hand out the test clusters.
 * The processes are the test bed's own process groups (DynamoDB Local's java, moto's python,
 * LocalStack's python with the DynamoDB Local java it starts, kube-env with its etcd, API servers, controller-managers, schedulers and kwok); a part it
 * borrows (AWS_ENDPOINT_URL, CLUSTERHUB_TEST_KUBECONFIG...) is not its to check.
 */
import { describe, expect, it } from 'vitest';
import { describeListener, isLoopback, processTree, tcpListenersOf } from '#test/support/listeners.ts';
import { loadTestbedEnv } from './env.ts';
import { runningTestbedProcesses } from './testbed.ts';

const env = loadTestbedEnv();
const port = (url: string) => Number(new URL(url).port);
const emulator = (name: string) => env.awsEmulators?.find((e) => e.name === name);

describe('the test bed', () => {
  it('listens on loopback addresses only, in every process it started', () => {
    const parts = Object.entries(runningTestbedProcesses() ?? {}).filter((part): part is [string, number] => part[1] !== undefined);
    const listeners = parts.flatMap(([part, pid]) => tcpListenersOf(processTree(pid)).map((listener) => ({ part, ...listener })));
    const portsOf = (part: string) => listeners.filter((l) => l.part === part).map((l) => l.port);

    // The processes looked at are the ones serving the test bed, so the check below is not vacuous.
    const served: Record<string, number[]> = {
      dynamodb: [port(emulator('moto')?.dynamodbEndpoint ?? env.dynamodb.endpoint)],
      moto: [port(emulator('moto')?.endpoint ?? env.aws.endpoint)],
      localstack: [port(emulator('localstack')?.endpoint ?? env.aws.endpoint)],
      kube: env.clusters.map((c) => port(c.server)),
    };
    for (const [part] of parts) expect(portsOf(part), `the listeners of the test bed's ${part}`).toEqual(expect.arrayContaining(served[part] ?? []));
    // LocalStack's DynamoDB Local (started with the test bed) is among what is looked at: it is the part that would bind every interface.
    if (parts.some(([part]) => part === 'localstack')) {
      expect(listeners.filter((l) => l.part === 'localstack').map((l) => l.command)).toContain('java');
    }

    expect(listeners.filter((l) => !isLoopback(l.address)).map((l) => `${l.part}: ${describeListener(l)}`)).toEqual([]);
  });
});
