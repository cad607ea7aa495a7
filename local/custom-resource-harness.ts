/**
 * The custom resource on one machine: the simulator, the provider function (src/custom-resource.ts)
 * registered in the simulator's Lambda service, and the driver that plays CloudFormation's side.
 */
import { capturingConsoleShared, CustomResourceDriver } from './custom-resource-driver';
import { installHandlerClock, SimClock } from './clock';
import { pointHandlerAt } from './harness';
import { RunningSimulator, startSimulator } from './sim';
import type { LambdaInvocation, RecursiveLoop } from './sim/lambda';

/** The provider's Lambda timeout, as examples/custom-resource-provider.yaml sets it (seconds). */
export const PROVIDER_TIMEOUT_SECONDS = 900;
/** The provider's recursive loop setting in examples/custom-resource-provider.yaml (`RecursiveLoop`). */
export const PROVIDER_RECURSIVE_LOOP: RecursiveLoop = 'Allow';
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
    /**
     * The function's recursive loop setting. Default Terminate, Lambda's own default: the provider must stay under
     * the limit even where its function was deployed without the template's Allow.
     */
    recursiveLoop?: RecursiveLoop;
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
    // Lambda sets the function's name in its environment; with it the SDK forwards each invocation's trace header
    // (and so its Lineage) on the calls the function makes, which is how Lambda follows a chain of invocations.
    process.env.AWS_LAMBDA_FUNCTION_NAME ??= PROVIDER_FUNCTION_NAME;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only after the handler's endpoints and clock are set
    const { handler } = require('../src/custom-resource') as { handler: (event: unknown, context: unknown) => Promise<void> };
    const logs: string[] = [];
    const capture = capturingConsoleShared(logs);
    sim.sim.lambda.register(PROVIDER_FUNCTION_NAME, capture(handler), {
        timeoutSeconds: opts.lambdaTimeoutSeconds ?? PROVIDER_TIMEOUT_SECONDS,
        recursiveLoop: opts.recursiveLoop ?? 'Terminate',
    });
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
