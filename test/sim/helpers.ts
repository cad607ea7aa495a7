/** Shared setup for the simulator suites: a simulator on an ephemeral port and real SDK v3 clients pointed at it. */
import { CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';
import { DescribeCustomKeyStoresCommand, KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCommandInvocationCommand, GetCommandInvocationCommandOutput, SSMClient } from '@aws-sdk/client-ssm';
import { RunningSimulator, SimConfig, startSimulator } from '../../local/sim';

export const FAST: Partial<SimConfig> = {
  connectSeconds: 200,
  disconnectSeconds: 20,
  commandRunDelaySeconds: 1,
  commandVisibilitySeconds: 0.005,
};

export interface Harness {
  sim: RunningSimulator;
  kms: KMSClient;
  hsm: CloudHSMV2Client;
  ssm: SSMClient;
  sm: SecretsManagerClient;
  /** The same clients with the SDK's default retries (maxAttempts 3). */
  retrying: { kms: KMSClient; hsm: CloudHSMV2Client; ssm: SSMClient; sm: SecretsManagerClient };
  close(): Promise<void>;
}

/** Real seconds per simulated second in these suites: a 200 s connect takes 0.2 s. */
export const TIME_SCALE = 0.001;

export async function harness(config: Partial<SimConfig> = {}): Promise<Harness> {
  const sim = await startSimulator({ port: 0, timeScale: TIME_SCALE, config: { ...FAST, ...config } });
  const base = { region: 'us-east-1', endpoint: sim.endpoint, credentials: { accessKeyId: 'AKIDSIM', secretAccessKey: 'secret' } };
  const one = { ...base, maxAttempts: 1 };
  const kms = new KMSClient(one);
  const hsm = new CloudHSMV2Client(one);
  const ssm = new SSMClient(one);
  const sm = new SecretsManagerClient(one);
  const retrying = { kms: new KMSClient(base), hsm: new CloudHSMV2Client(base), ssm: new SSMClient(base), sm: new SecretsManagerClient(base) };
  return {
    sim,
    kms,
    hsm,
    ssm,
    sm,
    retrying,
    async close() {
      for (const c of [kms, hsm, ssm, sm, ...Object.values(retrying)]) c.destroy();
      await sim.stop();
    },
  };
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function errorOf(p: Promise<unknown>): Promise<Error & { name: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(fn: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(v)}`);
    await sleep(everyMs);
  }
}

/** Wait until the store leaves CONNECTING/DISCONNECTING; returns its entry. */
export async function settle(kms: KMSClient, id: string) {
  const out = await until(
    () => kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id })),
    (r) => !['CONNECTING', 'DISCONNECTING'].includes(r.CustomKeyStores![0]!.ConnectionState!),
  );
  return out.CustomKeyStores![0]!;
}

/** Poll GetCommandInvocation (InvocationDoesNotExist = not yet) until the invocation is terminal. */
export async function invocationResult(ssm: SSMClient, commandId: string, instanceId: string, timeoutMs = 15_000): Promise<GetCommandInvocationCommandOutput> {
  return until(
    async () => {
      try {
        return await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
      } catch (e) {
        if ((e as Error).name === 'InvocationDoesNotExist') return undefined;
        throw e;
      }
    },
    (r) => !!r && !['Pending', 'InProgress', 'Delayed'].includes(r.Status!),
    timeoutMs,
  ).then((r) => r!);
}
