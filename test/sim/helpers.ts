/**
 * Shared setup for the simulator suites: a simulator on an ephemeral port and real SDK v3 clients pointed at it.
 *
 * The simulator runs on virtual time (local/clock.ts): simulated time stands still while anything works and moves
 * only when somebody sleeps on its clock, so no result here depends on how fast or busy this machine is. A test lets
 * simulated time pass with `await h.clock.sleep(simulatedMs)`; the waiting helpers below sleep on the clock too, as
 * a party (`clock.run`), so that time does not move behind their back while they call the simulator.
 */
import { CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';
import { DescribeCustomKeyStoresCommand, KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCommandInvocationCommand, GetCommandInvocationCommandOutput, SSMClient } from '@aws-sdk/client-ssm';
import type { SimClock } from '../../local/clock';
import { RunningSimulator, SimConfig, startSimulator } from '../../local/sim';

/** Settings of these suites, in simulated seconds (on virtual time their length costs no real time). */
export const FAST: Partial<SimConfig> = {
    connectSeconds: 200,
    disconnectSeconds: 20,
    commandRunDelaySeconds: 1,
    commandVisibilitySeconds: 0.005,
    // these suites look at each change right after it; KMS's eventual consistency has its own tests
    kmsStaleSeconds: 0,
};

export interface Harness {
    sim: RunningSimulator;
    /** The simulator's clock (`sim.sim.clock`): sleep on it to let simulated time pass. */
    clock: SimClock;
    kms: KMSClient;
    hsm: CloudHSMV2Client;
    ssm: SSMClient;
    sm: SecretsManagerClient;
    /** The same clients with the SDK's default retries (maxAttempts 3). */
    retrying: { kms: KMSClient; hsm: CloudHSMV2Client; ssm: SSMClient; sm: SecretsManagerClient };
    close(): Promise<void>;
}

/**
 * A simulator with FAST settings (overridden by `config`) and clients for it. `timeScale` 0 (the default) is virtual
 * time; a test that truly needs a scaled clock passes a positive one and allows for a loaded machine itself.
 */
export async function harness(config: Partial<SimConfig> = {}, timeScale = 0): Promise<Harness> {
    const sim = await startSimulator({ port: 0, timeScale, config: { ...FAST, ...config } });
    const base = { region: 'us-east-1', endpoint: sim.endpoint, credentials: { accessKeyId: 'AKIDSIM', secretAccessKey: 'secret' } };
    const one = { ...base, maxAttempts: 1 };
    const kms = new KMSClient(one);
    const hsm = new CloudHSMV2Client(one);
    const ssm = new SSMClient(one);
    const sm = new SecretsManagerClient(one);
    const retrying = { kms: new KMSClient(base), hsm: new CloudHSMV2Client(base), ssm: new SSMClient(base), sm: new SecretsManagerClient(base) };
    return {
        sim,
        clock: sim.sim.clock,
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

/** One simulated hour: the longest any helper here waits. */
export const HOUR_MS = 3_600_000;

/**
 * Calls `fn` until `done` holds, sleeping `everyMs` simulated milliseconds on the simulator's clock between calls,
 * for at most `limitMs` of simulated time. Runs as a party of the clock, so time moves only while it sleeps.
 */
export function until<T>(h: Pick<Harness, 'clock'>, fn: () => Promise<T>, done: (v: T) => boolean, limitMs = HOUR_MS, everyMs = 1000): Promise<T> {
    const { clock } = h;
    return clock.run(async () => {
        const end = clock.now() + limitMs;
        for (;;) {
            const v = await fn();
            if (done(v)) return v;
            if (clock.now() >= end) throw new Error(`condition not met within ${limitMs} simulated ms; last value: ${JSON.stringify(v)}`);
            await clock.sleep(everyMs);
        }
    });
}

/**
 * Calls `fn` until `done` holds, in REAL time (every 10 ms, at most `limitMs` real ms). Only for what takes real
 * time here: a Run Command script executing under bash, during which simulated time stands still (so a sleep on the
 * clock would end only after the script). Never for letting simulated time pass.
 */
export async function untilReal<T>(fn: () => Promise<T>, done: (v: T) => boolean, limitMs = 30_000): Promise<T> {
    const end = Date.now() + limitMs;
    for (;;) {
        const v = await fn();
        if (done(v)) return v;
        if (Date.now() > end) throw new Error(`condition not met within ${limitMs} real ms; last value: ${JSON.stringify(v)}`);
        await new Promise((r) => setTimeout(r, 10));
    }
}

/**
 * Wait until the store leaves CONNECTING/DISCONNECTING; returns its entry. Connects take minutes of simulated time, so
 * this checks every 10 simulated seconds (each check is a real request: fewer of them keep a loaded machine quick).
 */
export async function settle(h: Pick<Harness, 'clock' | 'kms'>, id: string) {
    const out = await until(
        h,
        () => h.kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id })),
        (r) => !['CONNECTING', 'DISCONNECTING'].includes(r.CustomKeyStores![0]!.ConnectionState!),
        HOUR_MS,
        10_000,
    );
    return out.CustomKeyStores![0]!;
}

/** Poll GetCommandInvocation once a simulated second (InvocationDoesNotExist = not yet) until the invocation is terminal. */
export async function invocationResult(h: Pick<Harness, 'clock' | 'ssm'>, commandId: string, instanceId: string): Promise<GetCommandInvocationCommandOutput> {
    const r = await until(
        h,
        async () => {
            try {
                return await h.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
            } catch (e) {
                if ((e as Error).name === 'InvocationDoesNotExist') return undefined;
                throw e;
            }
        },
        (r) => !!r && !['Pending', 'InProgress', 'Delayed'].includes(r.Status!),
    );
    return r!;
}
