/**
 * `npm run local`: the whole lifecycle of both types against the embedded AWS simulator, with live progress.
 *   npm run local                                   key store: create, read, rename, move to a related cluster, list;
 *                                                   key in it: create, read, update, list, delete; then the key store's
 *                                                   delete, which keeps it while the key is pending deletion
 *   npm run local -- create|read|update|delete|list --properties FILE [--previous FILE] [--endpoint URL]
 *   npm run local -- serve [--port 3001] [--sim-port 4566]   simulator + Lambda Invoke endpoint for `cfn test` / SAM events
 *   npm run local -- --mode custom-resource        the same lifecycle through the Custom::KMS::CloudHsmKeyStore custom resource
 *   common: --time-scale X (real seconds per simulated second; default 0, virtual time: simulated time moves only
 *           when every party waits, so a 20-minute connect takes no real time; serve defaults to 0.05, --endpoint to 0.01)
 *           --artifact DIR (run the built handler in DIR, e.g. `make artifact ARTIFACTS_DIR=DIR`, not src/)
 */
import { readFileSync } from 'fs';
import { runCustomResourceLifecycle } from './custom-resource-cli';
import { DriverEvent, OperationResult } from './driver';
import { defaultKeyProperties, defaultProperties, Harness, loadHandlers, pointHandlerAt, startHarness } from './harness';
import { installHandlerClock } from './clock';
import { startLambdaEndpoint } from './lambda-endpoint';
import { DEFAULT_SCENARIO, startSimulator } from './sim';

type Args = { command: string; flags: Record<string, string> };

function parseArgs(argv: string[]): Args {
    const flags: Record<string, string> = {};
    let command = 'lifecycle';
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a.startsWith('--')) {
            const [k, v] = a.slice(2).split('=', 2);
            flags[k] = v ?? argv[++i] ?? '';
        } else command = a;
    }
    return { command, flags };
}

const started = Date.now();
/**
 * serve's clock runs in real time because `cfn test` sleeps for real: one real second is 20 simulated seconds,
 * so a Run Command script that takes 2 real seconds on a loaded machine still fits an invocation's 50 s wait.
 */
const SERVE_TIME_SCALE = 0.05;
const secs = (ms: number) => (ms / 1000).toFixed(1);

function simClock(s: number): string {
    const m = Math.floor(s / 60);
    return m ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** One line per handler invocation: what CloudFormation would show, plus where the workflow stands. */
function printEvent(e: DriverEvent): void {
    const r = e.response;
    const phase = (r.callbackContext as { phase?: string } | undefined)?.phase ?? '';
    const status = r.status + (r.errorCode ? ` ${r.errorCode}` : '');
    const wait = r.status === 'IN_PROGRESS' ? ` (again in ${r.callbackDelaySeconds}s)` : '';
    const line = [`  ${e.action.padEnd(6)} #${String(e.attempt).padEnd(3)}`, status.padEnd(24), phase.padEnd(22), `real ${secs(e.elapsedRealMs)}s`.padEnd(11), `sim ${simClock(e.elapsedSimSeconds)}`.padEnd(10)];
    console.log(`${line.join(' ')} ${r.message ?? ''}${wait}`);
}

function report(title: string, r: OperationResult, expected = r.status === 'SUCCESS'): OperationResult {
    const mark = expected ? 'ok' : 'FAILED';
    console.log(`${mark.padEnd(6)} ${title}: ${r.status}${r.errorCode ? ` ${r.errorCode}` : ''} after ${r.events.length} invocation(s), ${secs(r.elapsedRealMs)}s real, ${simClock(r.elapsedSimSeconds)} simulated${r.message ? ` - ${r.message}` : ''}`);
    if (r.model) console.log(`       model: ${JSON.stringify({ ...r.model, TrustAnchorCertificate: r.model.TrustAnchorCertificate ? '<PEM>' : undefined })}`);
    return r;
}

async function lifecycle(h: Harness): Promise<boolean> {
    const S = DEFAULT_SCENARIO;
    const results: Array<[string, OperationResult, boolean]> = [];
    const step = async (title: string, run: () => Promise<OperationResult>, ok: (r: OperationResult) => boolean = (r) => r.status === 'SUCCESS') => {
        console.log(`\n== ${title}`);
        const r = await run();
        report(title, r, ok(r));
        results.push([title, r, ok(r)]);
        return r;
    };
    const props = defaultProperties();
    const created = await step('create the key store (kmsuser, store, connect)', () => h.driver.create(props));
    if (created.status !== 'SUCCESS' || !created.model) return summary(results);
    const id = { CustomKeyStoreId: created.model.CustomKeyStoreId };
    await step('read it back', () => h.driver.read(id));
    const renamed = { ...props, KeyStoreName: 'ExampleKeyStoreRenamed' };
    await step('rename it in place', () => h.driver.update({ ...props, ...id }, renamed));
    const moved = { ...renamed, CloudHsmClusterId: S.relatedClusterId, ClientInstanceId: S.relatedInstanceId };
    await step('move it to a related cluster (disconnect, update, reconnect)', () => h.driver.update({ ...renamed, ...id }, moved));
    await step('list key stores', () => h.driver.list(), (r) => r.status === 'SUCCESS' && (r.models ?? []).some((m) => m.CustomKeyStoreId === id.CustomKeyStoreId));

    console.log('\n-- Custom::KMS::CloudHsmKey: a KMS key whose key material is in the store\'s cluster');
    const keyProps = defaultKeyProperties(String(id.CustomKeyStoreId), { PendingWindowInDays: 7 });
    const key = await step('create a key in the key store', () => h.keyDriver.create(keyProps));
    if (key.status !== 'SUCCESS' || !key.model) return summary(results);
    const keyId = { KeyId: key.model.KeyId };
    await step('read the key back', () => h.keyDriver.read(keyId));
    const keyUpdate = { ...keyProps, Description: 'Payments data key (disabled)', Enabled: false, Tags: [{ Key: 'team', Value: 'risk' }] };
    await step('update the key in place (description, disable, tags)', () => h.keyDriver.update({ ...keyProps, ...keyId }, keyUpdate),
        (r) => r.status === 'SUCCESS' && r.model?.Enabled === false && r.model?.KeyState === 'Disabled');
    await step('list keys of CloudHSM key stores', () => h.keyDriver.list(), (r) => r.status === 'SUCCESS' && (r.models ?? []).some((m) => m.KeyId === keyId.KeyId));
    await step('delete the key (scheduled, PendingWindowInDays 7)', () => h.keyDriver.delete({ ...keyUpdate, ...keyId }));
    await step('read the key after delete: NotFound (pending deletion)', () => h.keyDriver.read(keyId), (r) => r.errorCode === 'NotFound');

    console.log('\n-- the key store again');
    await step('delete the key store: kept, since it holds the key pending deletion (the message says until when)', () => h.driver.delete({ ...moved, ...id }),
        (r) => r.status === 'SUCCESS' && /pending deletion, the last until/.test(r.message));
    await step('read the key store after its delete: still there, CONNECTED', () => h.driver.read(id), (r) => r.status === 'SUCCESS' && r.model?.ConnectionState === 'CONNECTED');
    return summary(results);
}

function summary(results: Array<[string, OperationResult, boolean]>): boolean {
    const invocations = results.reduce((n, [, r]) => n + r.events.length, 0);
    const failed = results.filter(([, , ok]) => !ok);
    console.log(`\nSummary: ${results.length - failed.length}/${results.length} steps as expected, ${invocations} handler invocations, ${secs(Date.now() - started)}s real.`);
    for (const [title, r] of failed) console.log(`  unexpected: ${title}: ${r.status} ${r.errorCode ?? ''} ${r.message}`);
    return failed.length === 0;
}

function readProps(file: string | undefined, flag: string): Record<string, unknown> {
    if (!file) throw new Error(`--${flag} FILE is required (a JSON object shaped like a template's Properties)`);
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

async function single(h: Harness, command: string, flags: Record<string, string>): Promise<boolean> {
    const props = command === 'list' ? {} : readProps(flags.properties, 'properties');
    const run: Record<string, () => Promise<OperationResult>> = {
        create: () => h.driver.create(props),
        read: () => h.driver.read(props),
        update: () => h.driver.update(readProps(flags.previous, 'previous'), props),
        delete: () => h.driver.delete(props),
        list: () => h.driver.list(),
    };
    if (!run[command]) throw new Error(`unknown command ${command}; use create, read, update, delete, list or serve`);
    const r = report(command, await run[command]());
    if (r.models) for (const m of r.models) console.log(`       ${JSON.stringify({ ...m, TrustAnchorCertificate: undefined })}`);
    return r.status === 'SUCCESS';
}

async function serve(flags: Record<string, string>, timeScale: number): Promise<void> {
    const sim = await startSimulator({ port: Number(flags['sim-port'] ?? 4566), timeScale });
    pointHandlerAt(sim.endpoint);
    installHandlerClock(sim.sim.clock);
    const store = loadHandlers(flags.artifact || undefined);
    const key = loadHandlers(flags.artifact || undefined, 'key-handlers');
    const handlers = { ...store, keyEntrypoint: key.entrypoint, keyTestEntrypoint: key.testEntrypoint };
    const lambda = await startLambdaEndpoint({ port: Number(flags.port ?? 3001), handlers, timeScale });
    console.log(`SIM_ENDPOINT=${sim.endpoint}`);
    console.log(`LAMBDA_ENDPOINT=${lambda.url}`);
    console.error(`[local] handler: ${flags.artifact ? `built artifact in ${flags.artifact}` : 'src/ (TypeScript sources)'}`);
    console.error(`[local] key store: cfn test --endpoint ${lambda.url} --function-name TypeFunction   (inputs/ are written for the default scenario)`);
    console.error(`[local] key:       cfn test --endpoint ${lambda.url} --function-name KeyTypeFunction, inside key/ (npm run test:contract -- --type key makes the key store its inputs name)`);
    const stop = () => void Promise.all([lambda.stop(), sim.stop()]).then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
}

async function main(): Promise<void> {
    const { command, flags } = parseArgs(process.argv.slice(2));
    // `cfn test` sleeps for real between calls, and a simulator elsewhere keeps its own time: both need a scaled clock.
    const fallback = command === 'serve' ? SERVE_TIME_SCALE : flags.endpoint ? 0.01 : 0;
    const timeScale = Number(flags['time-scale'] ?? fallback);
    if (!(timeScale >= 0) || !Number.isFinite(timeScale)) throw new Error(`--time-scale must be a number >= 0 (0 = virtual time), got ${flags['time-scale']}`);
    if (command === 'serve') return serve(flags, timeScale || SERVE_TIME_SCALE);
    if (flags.mode === 'custom-resource') {
        process.exitCode = (await runCustomResourceLifecycle(timeScale)) ? 0 : 1;
        return;
    }
    const h = await startHarness({ timeScale, endpoint: flags.endpoint, onEvent: printEvent, artifact: flags.artifact || undefined });
    const time = timeScale ? `time scale ${timeScale}: a simulated minute takes ${secs(60_000 * timeScale)}s` : 'virtual time: simulated time moves only while everything waits';
    console.log(`Simulator at ${h.sim.endpoint} (${time}); handler logs are kept out of this view.`);
    let ok = false;
    try {
        ok = command === 'lifecycle' ? await lifecycle(h) : await single(h, command, flags);
    } finally {
        await h.stop();
    }
    process.exitCode = ok ? 0 : 1;
}

main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
});
