/**
 * Wires the pieces together on one machine: the simulator, the real handler (through `entrypoint`,
 * with its SDK clients pointed at the simulator), and the driver that plays CloudFormation.
 */
import { existsSync } from 'fs';
import * as path from 'path';
import { format } from 'util';
import { clockFor, installHandlerClock, SimClock } from './clock';
import { Driver, DriverEvent, Entrypoint, libraryDelayOn, RequestPath, StackTags } from './driver';
import type { ProviderLogging } from './handler-request';
import { loadSchema, LoadedSchema, schemaPathIn } from './schema';
import { controlClient, DEFAULT_SCENARIO, SimControl, startSimulator } from './sim';

/** The key type's schema, in its own folder as `cfn` expects. */
export const KEY_SCHEMA_PATH = schemaPathIn(path.join(__dirname, '..', 'key'));

/** The simulator as the harness needs it: where it listens and its control API (embedded or attached). */
export interface SimHandle {
    endpoint: string;
    control: SimControl;
}

export interface Harness {
    sim: SimHandle;
    /** The one clock of the simulator, the drivers and the handler. */
    clock: SimClock;
    driver: Driver;
    schema: LoadedSchema;
    /** The same CloudFormation for the second type, Custom::KMS::CloudHsmKey (src/key/handlers.ts, key/ schema). */
    keyDriver: Driver;
    keyEntrypoint: Entrypoint;
    /** Everything the handler and the library printed, one entry per line. */
    logs: string[];
    entrypoint: Entrypoint;
    testEntrypoint: Entrypoint;
    stop(): Promise<void>;
}

export interface HarnessOptions {
    /**
     * 0 (the default): virtual time, shared by the simulator, the drivers and the handler (local/clock.ts).
     * > 0: real seconds per simulated second; required with `endpoint`, a simulator in another process.
     */
    timeScale?: number;
    /** Use a simulator that is already running (e.g. `npm run sim`) instead of starting one. */
    endpoint?: string;
    /** With `endpoint`: the clock of that simulator when it runs in this process (e.g. another harness's). */
    clock?: SimClock;
    onEvent?: (e: DriverEvent) => void;
    logicalResourceId?: string;
    /** Whose requests the driver sends: a stack's (default), Cloud Control's or `cfn test`'s. */
    path?: RequestPath;
    /** Send providerCredentials + providerLogGroupName (the library then logs to the simulated CloudWatch Logs). */
    providerLogging?: ProviderLogging;
    /** Run this built artifact (an ARTIFACTS_DIR holding dist/handlers.js) instead of src/; default $KEYSTORE_ARTIFACT. */
    artifact?: string;
    /** The stack's tags, which both drivers send on the `stack` path (default none); `driver.setStackTags` changes them. */
    stackTags?: Record<string, string>;
}

export interface Handlers {
    entrypoint: Entrypoint;
    testEntrypoint: Entrypoint;
}

/** Where each type's handler module is in src/ (its dist/<name>.js in a build). */
const SOURCES: Record<string, string> = { handlers: '../src/handlers', 'key-handlers': '../src/key/handlers' };

/**
 * A handler module (`handlers`: the key store, `key-handlers`: the key): the TypeScript sources, or what ships
 * when `artifact` (or $KEYSTORE_ARTIFACT) names a build output, e.g. `make build-TypeFunction ARTIFACTS_DIR=DIR`
 * or the unzipped handler package.
 */
export function loadHandlers(artifact: string | undefined = process.env.KEYSTORE_ARTIFACT || undefined, name = 'handlers'): Handlers {
    if (!artifact) return require(SOURCES[name]) as Handlers; // eslint-disable-line @typescript-eslint/no-require-imports -- a handler module named at run time: the sources or a built artifact
    const candidates = [path.resolve(artifact, 'dist', `${name}.js`), path.resolve(artifact, `${name}.js`)];
    const file = candidates.find((f) => existsSync(f));
    if (!file)
        throw new Error(`No built handler in ${artifact} (looked for ${candidates.join(' and ')}). Build one with: make artifact ARTIFACTS_DIR=${artifact}`);
    return require(file) as Handlers; // eslint-disable-line @typescript-eslint/no-require-imports -- a handler module named at run time: the sources or a built artifact
}

/** The handler's AWS endpoints: every client goes to the simulator (CloudHSM v2 needs its own variable). */
export function pointHandlerAt(endpoint: string): void {
    process.env.AWS_ENDPOINT_URL = endpoint;
    process.env.AWS_ENDPOINT_URL_CLOUDHSM_V2 = endpoint;
    process.env.AWS_REGION = DEFAULT_SCENARIO.region;
    process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
}

/** Runs fn with console output captured into `sink` (the library logs every invocation to the console). */
export function capturingConsole(sink: string[], fn: Entrypoint): Entrypoint {
    return async (event, context) => {
        const restore = captureConsole(sink);
        try {
            return await fn(event, context);
        } finally {
            restore();
        }
    };
}

const METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;
let capture: { depth: number; saved: Array<(...a: unknown[]) => void> } | undefined;

/**
 * Sends console output to `sink` until the returned function is called. Invocations overlap (two stacks racing,
 * a replay beside the original), so the console is taken by the first capture and given back by the last one:
 * saving and restoring per call would let an early finisher put back a console another call still captures.
 */
function captureConsole(sink: string[]): () => void {
    if (!capture) {
        capture = { depth: 0, saved: METHODS.map((m) => console[m]) };
        for (const m of METHODS) console[m] = (...args: unknown[]) => void sink.push(format(...args));
    }
    capture.depth++;
    let done = false;
    return () => {
        if (done || !capture) return;
        done = true;
        if (--capture.depth > 0) return;
        const { saved } = capture;
        METHODS.forEach((m, i) => (console[m] = saved[i]));
        capture = undefined;
    };
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
    const timeScale = opts.timeScale ?? (opts.endpoint ? 0.01 : 0);
    if (opts.endpoint && timeScale === 0 && !opts.clock)
        throw new Error('A simulator in another process cannot share virtual time: give a time scale > 0 with an endpoint.');
    const embedded = opts.endpoint ? undefined : await startSimulator({ timeScale });
    const sim: SimHandle = embedded ?? { endpoint: opts.endpoint as string, control: controlClient(opts.endpoint as string) };
    const clock = embedded?.sim.clock ?? opts.clock ?? clockFor(timeScale);
    pointHandlerAt(sim.endpoint);
    const restoreClock = installHandlerClock(clock);
    const restoreDelay = libraryDelayOn(clock);
    const handlers = loadHandlers(opts.artifact);
    const keyHandlers = loadHandlers(opts.artifact, 'key-handlers');
    const logs: string[] = [];
    const entrypoint = capturingConsole(logs, handlers.entrypoint);
    const keyEntrypoint = capturingConsole(logs, keyHandlers.entrypoint);
    const schema = loadSchema();
    const stackTags: StackTags = { current: { ...(opts.stackTags ?? {}) } };
    const common = {
        clock,
        stackTags,
        region: DEFAULT_SCENARIO.region,
        accountId: DEFAULT_SCENARIO.accountId,
        onEvent: opts.onEvent,
        path: opts.path,
        providerLogging: opts.providerLogging,
    };
    const driver = new Driver({ ...common, entrypoint, schema, logicalResourceId: opts.logicalResourceId ?? 'MyKeyStore' });
    const keyDriver = new Driver({
        ...common,
        entrypoint: keyEntrypoint,
        schema: loadSchema(KEY_SCHEMA_PATH),
        logicalResourceId: 'MyKey',
        stackId: driver.stackId,
    });
    return {
        sim,
        clock,
        driver,
        schema,
        keyDriver,
        keyEntrypoint,
        logs,
        entrypoint,
        testEntrypoint: capturingConsole(logs, handlers.testEntrypoint),
        async stop() {
            restoreDelay();
            restoreClock();
            await embedded?.stop();
        },
    };
}

/** The template Properties of a key store on the default scenario. */
export function defaultProperties(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        KeyStoreName: 'ExampleKeyStore',
        CloudHsmClusterId: DEFAULT_SCENARIO.clusterId,
        CloudHsmCustCaCertSecretName: DEFAULT_SCENARIO.caSecretName,
        CloudHsmAdminPasswordSecretName: DEFAULT_SCENARIO.adminSecretName,
        ClientInstanceId: DEFAULT_SCENARIO.instanceId,
        ...overrides,
    };
}

/** The template Properties of a key in the given key store. */
export function defaultKeyProperties(customKeyStoreId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        CustomKeyStoreId: customKeyStoreId,
        Description: 'Example key in the CloudHSM key store',
        Tags: [{ Key: 'team', Value: 'payments' }],
        ...overrides,
    };
}
