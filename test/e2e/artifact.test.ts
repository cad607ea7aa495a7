/**
 * What ships: the esbuild bundle (not src/) through `entrypoint`, with the logging configuration a registered
 * type always has (providerCredentials + providerLogGroupName), so the library's own SDK v2 calls run from the
 * bundle against the simulated CloudWatch Logs, CloudWatch and S3.
 */
import { existsSync } from 'fs';
import { join } from 'path';
import { defaultProperties, startHarness } from '../../local/harness';
import type { ProviderLogging } from '../../local/handler-request';
import { SimStateView } from '../../local/sim';
import { builtArtifact } from '../support/artifact';
import { E2E, leaks, secretValues } from './support';

jest.setTimeout(120_000);

const LOG_GROUP = 'custom-kms-cloudhsmkeystore-logs';
const PROVIDER: ProviderLogging = {
    credentials: { accessKeyId: 'ASIAPROVIDERKEY00001', secretAccessKey: 'providerSecretAccessKey0000000000000001', sessionToken: 'providerSessionToken0001' },
    logGroupName: LOG_GROUP,
};
const NAMESPACE = 'AWS/CloudFormation/Custom/KMS/CloudHsmKeyStore';

/**
 * Lines the library logs only to the Lambda console (its platform logger: log-delivery and metrics chatter)
 * or straight to the console after delivery; every other console line must also reach CloudWatch Logs.
 */
const CONSOLE_ONLY = [
    /^Response from "/,
    /^Log group with name /,
    /^Creating (Log group|Log stream|S3 bucket|folder) with name /,
    /^S3 bucket with name /,
    /^Initializing /,
    /AccessDenied/,
    /^Log delivery completed\.$/,
    /NodeVersionSupportWarning|upgrade to node|To continue receiving|security updates please|a\.co\//,
    /^\s*$/,
];

let artifact: string;
let h: E2E;

beforeAll(async () => {
    artifact = builtArtifact();
    const harness = await startHarness({ artifact, providerLogging: PROVIDER });
    h = Object.assign(harness, {
        results: [] as E2E['results'],
        run: async (op: Promise<E2E['results'][number]>) => {
            const r = await op;
            h.results.push(r);
            return r;
        },
    });
});
afterAll(async () => h?.stop());

const cwMessages = (state: SimStateView) =>
    state.logGroups.filter((g) => g.name === LOG_GROUP).flatMap((g) => g.streams.flatMap((s) => s.events.map((e) => e.message)));
const deliverable = (lines: string[]) => lines.map((l) => l.replace(/\n$/, '')).filter((l) => !CONSOLE_ONLY.some((re) => re.test(l)));

test('the artifact is the bundle alone, and the harness runs it', () => {
    expect(existsSync(join(artifact, 'dist', 'handlers.js'))).toBe(true);
    expect(existsSync(join(artifact, 'node_modules'))).toBe(false);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built artifact, named at run time
    const mod = require(join(artifact, 'dist', 'handlers.js')) as Record<string, unknown>;
    expect(typeof mod.entrypoint).toBe('function');
    expect(typeof mod.testEntrypoint).toBe('function');
});

test('with providerCredentials, a lifecycle from the bundle delivers every log line and its metrics, and no secret', async () => {
    await h.sim.control.reset('default');
    h.logs.length = 0;
    const props = defaultProperties();
    const created = await h.run(h.driver.create(props));
    expect(created.status).toBe('SUCCESS');
    // Delivery is complete when entrypoint returns: compare right away, before anything else runs.
    expect(cwMessages(await h.sim.control.state())).toEqual(deliverable(h.logs));
    const id = { CustomKeyStoreId: created.model!.CustomKeyStoreId };
    expect((await h.run(h.driver.read(id))).status).toBe('SUCCESS');
    const renamed = { ...props, KeyStoreName: 'RenamedFromTheBundle' };
    expect((await h.run(h.driver.update({ ...props, ...id }, renamed))).status).toBe('SUCCESS');
    expect((await h.run(h.driver.delete({ ...renamed, ...id }))).status).toBe('SUCCESS');

    const state = await h.sim.control.state();
    const messages = cwMessages(state);
    expect(messages).toEqual(deliverable(h.logs));
    const invocations = h.results.reduce((n, r) => n + r.events.length, 0);
    expect(messages.filter((m) => m.startsWith('START RequestId:'))).toHaveLength(invocations);
    expect(messages.filter((m) => m.startsWith('Waiting for log delivery'))).toHaveLength(invocations);
    expect(messages.some((m) => m.startsWith('create/'))).toBe(true); // the handler's own lines, not only the library's

    // One stream per stack and logical id, as the library names it (':' -> '__').
    const group = state.logGroups.find((g) => g.name === LOG_GROUP)!;
    expect(group.streams.map((s) => s.name)).toEqual([`${h.driver.stackId}/${h.driver.logicalResourceId}`.replace(/:/g, '__')]);

    const ours = state.metrics.filter((m) => m.namespace === NAMESPACE);
    for (const action of ['CREATE', 'READ', 'UPDATE', 'DELETE']) {
        const count = h.results.filter((r) => r.action === action).reduce((n, r) => n + r.events.length, 0);
        const of = (name: string) =>
            ours.filter((m) => m.metricName === name && m.dimensions.some((d) => d.name === 'DimensionKeyActionType' && d.value === action));
        expect(of('HandlerInvocationCount')).toHaveLength(count);
        expect(of('HandlerInvocationDuration')).toHaveLength(count);
    }
    expect(ours.every((m) => m.dimensions.some((d) => d.name === 'DimensionKeyResourceType' && d.value === 'Custom::KMS::CloudHsmKeyStore'))).toBe(true);
    // S3 log delivery is tried and denied, as for the managed log role; CloudWatch Logs still gets every line.
    expect(state.requests.filter((r) => r.service === 's3').every((r) => r.status === 403)).toBe(true);

    const haystack = JSON.stringify({ messages, metrics: state.metrics });
    const found = [...secretValues(state), PROVIDER.credentials.secretAccessKey, PROVIDER.credentials.sessionToken!].filter((s) => haystack.includes(s));
    expect(found).toEqual([]);
    expect(leaks(h, state)).toEqual([]);
});

/** The delays (ms) of every timer that fired while fn ran; timers cleared before firing (timeouts) are not sleeps. */
async function firedTimers(fn: () => Promise<void>): Promise<number[]> {
    const fired: number[] = [];
    const realSetTimeout = global.setTimeout;
    global.setTimeout = ((cb: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) =>
        realSetTimeout(
            (...a: unknown[]) => {
                fired.push(ms ?? 0);
                cb(...a);
            },
            ms,
            ...args,
        )) as typeof setTimeout;
    try {
        await fn();
    } finally {
        global.setTimeout = realSetTimeout;
    }
    return fired;
}

test('an invocation sleeps for nothing: not without pending delivery, not per log line with it', async () => {
    await h.sim.control.reset('default');
    const plain = await startHarness({ artifact, endpoint: h.sim.endpoint, clock: h.clock });
    try {
        const created = await plain.driver.create(defaultProperties({ KeyStoreName: 'NoSleep' }));
        expect(created.status).toBe('SUCCESS');
        const id = { CustomKeyStoreId: created.model!.CustomKeyStoreId };
        const withoutLogging = await firedTimers(async () => expect((await plain.driver.read(id)).status).toBe('SUCCESS'));
        expect(withoutLogging.filter((ms) => ms >= 50)).toEqual([]);
        const before = cwMessages(await h.sim.control.state()).length;
        const withLogging = await firedTimers(async () => expect((await h.driver.read(id)).status).toBe('SUCCESS'));
        expect(cwMessages(await h.sim.control.state()).length).toBeGreaterThan(before + 5);
        expect(withLogging.filter((ms) => ms >= 50)).toEqual([]);
    } finally {
        await plain.stop();
    }
});
