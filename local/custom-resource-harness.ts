/**
 * The custom resource on one machine: the simulator, the provider function (src/custom-resource.ts)
 * registered in the simulator's Lambda service, and the driver that plays CloudFormation's side.
 */
import { capturingConsoleShared, CustomResourceDriver } from './custom-resource-driver';
import { installHandlerClock, SimClock } from './clock';
import { pointHandlerAt } from './harness';
import { RunningSimulator, startSimulator } from './sim';
import type { LambdaInvocation } from './sim/lambda';

/** The provider's Lambda timeout, as examples/custom-resource-provider.yaml sets it (seconds). */
export const PROVIDER_TIMEOUT_SECONDS = 300;
export const PROVIDER_FUNCTION_NAME = 'custom-kms-cloudhsmkeystore-provider';

export interface CrHarness {
    sim: RunningSimulator;
    /** The simulator's clock, which the provider function and the driver share. */
    clock: SimClock;
    driver: CustomResourceDriver;
    /** Everything the function printed, one entry per line. */
    logs: string[];
    stop(): Promise<void>;
}

export interface CrHarnessOptions {
    /** 0 (the default): virtual time (local/clock.ts); > 0: real seconds per simulated second. */
    timeScale?: number;
    /** The function's timeout in simulated seconds (default PROVIDER_TIMEOUT_SECONDS). */
    lambdaTimeoutSeconds?: number;
    serviceTimeout?: number;
    onInvocation?: (i: LambdaInvocation) => void;
}

export async function startCustomResourceHarness(opts: CrHarnessOptions = {}): Promise<CrHarness> {
    const sim = await startSimulator({ timeScale: opts.timeScale ?? 0 });
    pointHandlerAt(sim.endpoint);
    const restoreClock = installHandlerClock(sim.sim.clock);
    // Lambda hands the function its role's credentials in the environment; the simulator accepts any.
    process.env.AWS_ACCESS_KEY_ID ??= 'AKIDLOCALPROVIDER';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local-provider-role-key';
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only after the handler's endpoints and clock are set
    const { handler } = require('../src/custom-resource') as { handler: (event: unknown, context: unknown) => Promise<void> };
    const logs: string[] = [];
    const capture = capturingConsoleShared(logs);
    sim.sim.lambda.register(PROVIDER_FUNCTION_NAME, capture(handler), { timeoutSeconds: opts.lambdaTimeoutSeconds ?? PROVIDER_TIMEOUT_SECONDS });
    const unsubscribe = opts.onInvocation ? sim.sim.lambda.onInvocation(opts.onInvocation) : () => undefined;
    const driver = new CustomResourceDriver({
        sim: sim.sim,
        endpoint: sim.endpoint,
        functionName: PROVIDER_FUNCTION_NAME,
        serviceTimeout: opts.serviceTimeout,
    });
    return {
        sim,
        clock: sim.sim.clock,
        driver,
        logs,
        async stop() {
            unsubscribe();
            await driver.quiet();
            restoreClock();
            await sim.stop();
        },
    };
}
