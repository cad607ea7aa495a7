/**
 * `npm run local`: the whole lifecycle of both types against the embedded AWS simulator, with live progress.
 *   npm run local                                   key store: create, read, rename, move to a related cluster, list;
 *                                                   key in it: create, read, update, list, delete; then the key store's
 *                                                   delete, which keeps it while the key is pending deletion
 *   npm run local -- create|read|update|delete|list --properties FILE [--previous FILE] [--endpoint URL]
 *   npm run local -- serve [--port 3001] [--sim-port 4566]   simulator + Lambda Invoke endpoint for `cfn test` / SAM events
 *   npm run local -- --mode custom-resource        the same lifecycle through the Custom::KMS::CloudHsmKeyStore custom resource
 *   npm run local -- --help                        the usage; a mistake in the arguments prints one line and the usage, exits 2
 *   common: --time-scale X (real seconds per simulated second; default 0, virtual time: simulated time moves only
 *           when every party waits, so a 20-minute connect takes no real time, serve included; --endpoint defaults to 0.01)
 *           --artifact DIR (run the built handler in DIR, e.g. `make artifact ARTIFACTS_DIR=DIR`, not src/)
 */
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { Cli, fold, foldJson, formatDuration, parseCli, runMain, terminalWidth, truncate, UserError } from './cli-args';
import { runCustomResourceLifecycle } from './custom-resource-cli';
import { DriverEvent, OperationResult } from './driver';
import { defaultKeyProperties, defaultProperties, Harness, loadHandlers, pointHandlerAt, startHarness } from './harness';
import { installHandlerClock } from './clock';
import { startLambdaEndpoint } from './lambda-endpoint';
import { DEFAULT_SCENARIO, startSimulator } from './sim';

const USAGE = `usage: npm run local -- [COMMAND] [OPTIONS]
commands (the key store type, against the embedded AWS simulator):
  lifecycle                  the default: both types' whole lifecycle, one line per handler invocation
  create|read|delete --properties FILE
  update --properties FILE --previous FILE
                             one action; FILE holds a JSON object shaped like a template's Properties
  list                       the key stores
  serve [--port N] [--sim-port N]
                             the simulator and a Lambda Invoke endpoint for \`cfn test\` and SAM events
                             (ports default to 3001 and 4566; 0 takes any free port)
options:
  --mode stack|custom-resource
                             lifecycle: as a registered type (stack, the default), or through the
                             Custom::KMS::CloudHsmKeyStore custom resource
  --time-scale X             real seconds per simulated second, a number >= 0; 0 (the default) is virtual time:
                             simulated time moves only when every party waits (serve too: the Lambda
                             endpoint takes cfn test's waits in simulated time); --endpoint defaults to 0.01
  --endpoint URL             use a simulator already running at URL (npm run sim) instead of the embedded one
  --artifact DIR             run the built handler in DIR (make artifact ARTIFACTS_DIR=DIR), not src/
  -h, --help                 this text`;

const COMMANDS = ['lifecycle', 'create', 'read', 'update', 'delete', 'list', 'serve'] as const;
type Command = (typeof COMMANDS)[number];
/** The options each command takes; any other given is a mistake, not silently ignored. */
const APPLIES: Record<Command, string[]> = {
    lifecycle: ['mode', 'time-scale', 'endpoint', 'artifact'],
    create: ['mode', 'properties', 'time-scale', 'endpoint', 'artifact'],
    read: ['mode', 'properties', 'time-scale', 'endpoint', 'artifact'],
    update: ['mode', 'properties', 'previous', 'time-scale', 'endpoint', 'artifact'],
    delete: ['mode', 'properties', 'time-scale', 'endpoint', 'artifact'],
    list: ['mode', 'time-scale', 'endpoint', 'artifact'],
    serve: ['port', 'sim-port', 'time-scale', 'artifact'],
};

const started = Date.now();
/**
 * serve runs on virtual time too: the Lambda endpoint makes each invocation a party of the simulator's clock and
 * takes CloudFormation's callbackDelaySeconds in simulated time, answering with no real delay. So `cfn test` costs
 * no real waiting, and a loaded machine gives the same results. `--time-scale X` > 0 chooses scaled real time.
 */
const SERVE_TIME_SCALE = 0;
const secs = (ms: number) => (ms / 1000).toFixed(1);
/** Every line fits this width: the terminal's, 160 when not a terminal. */
const WIDTH = terminalWidth();
const out = (line: string) => process.stdout.write(`${line}\n`);
/** `label: text` under a report line, folded over lines indented below the label's end. */
const block = (label: string, text: string) => fold(text, WIDTH, `       ${label}: `).forEach(out);
/** The same for JSON, broken only after its commas. */
const jsonBlock = (label: string, json: string) => foldJson(json, WIDTH, `       ${label}: `).forEach(out);
const shown = (model: Record<string, unknown>) => JSON.stringify({ ...model, TrustAnchorCertificate: model.TrustAnchorCertificate ? '<PEM>' : undefined });

/**
 * One line per handler invocation: what CloudFormation would show, plus where the workflow stands. An
 * IN_PROGRESS line carries its message, cut to the width; the last invocation's message is the operation's, which
 * the report below prints whole, so its line shows only the error code.
 */
function printEvent(e: DriverEvent): void {
    const r = e.response;
    const phase = (r.callbackContext as { phase?: string } | undefined)?.phase ?? '';
    // a narrow terminal leaves the real time to the report, and the message more room
    const narrow = WIDTH < 120;
    const columns = [`  ${e.action.padEnd(6)} #${String(e.attempt).padEnd(3)}`, r.status.padEnd(11), phase.padEnd(narrow ? 18 : 22)];
    if (!narrow) columns.push(`real ${secs(e.elapsedRealMs)}s`.padEnd(10));
    columns.push(`sim ${formatDuration(e.elapsedSimSeconds)}`.padEnd(10));
    const head = columns.join(' ');
    if (r.status !== 'IN_PROGRESS') {
        out(truncate(`${head} ${r.errorCode ?? ''}`, WIDTH));
        return;
    }
    const message = r.message ?? '';
    const wait = ` (again in ${r.callbackDelaySeconds}s)`;
    const room = WIDTH - head.length - 1;
    // the message's start says more than the wait when there is room for only one of them
    out(
        room - wait.length >= 24 || room < 1
            ? truncate(`${head} ${truncate(message, room - wait.length)}${wait}`, WIDTH)
            : `${head} ${truncate(message, room)}`,
    );
}

/** The operation's outcome, its message once, and the model, each folded to the width. */
function report(title: string, r: OperationResult, expected = r.status === 'SUCCESS'): OperationResult {
    const mark = expected ? 'ok' : 'FAILED';
    const outcome = `${title}: ${r.status}${r.errorCode ? ` ${r.errorCode}` : ''} after ${r.events.length} invocation(s), ${secs(r.elapsedRealMs)}s real, ${formatDuration(r.elapsedSimSeconds)} simulated`;
    fold(outcome, WIDTH, `${mark.padEnd(6)} `).forEach(out);
    if (r.message) block('message', r.message);
    if (r.model) jsonBlock('model', shown(r.model));
    return r;
}

async function lifecycle(h: Harness): Promise<boolean> {
    const S = DEFAULT_SCENARIO;
    const results: Array<[string, OperationResult, boolean]> = [];
    const step = async (title: string, run: () => Promise<OperationResult>, ok: (r: OperationResult) => boolean = (r) => r.status === 'SUCCESS') => {
        out('');
        fold(title, WIDTH, '== ').forEach(out);
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
    await step(
        'list key stores',
        () => h.driver.list(),
        (r) => r.status === 'SUCCESS' && (r.models ?? []).some((m) => m.CustomKeyStoreId === id.CustomKeyStoreId),
    );

    out('');
    fold("Custom::KMS::CloudHsmKey: a KMS key whose key material is in the store's cluster", WIDTH, '-- ').forEach(out);
    const keyProps = defaultKeyProperties(String(id.CustomKeyStoreId), { PendingWindowInDays: 7 });
    const key = await step('create a key in the key store', () => h.keyDriver.create(keyProps));
    if (key.status !== 'SUCCESS' || !key.model) return summary(results);
    const keyId = { KeyId: key.model.KeyId };
    await step('read the key back', () => h.keyDriver.read(keyId));
    const keyUpdate = { ...keyProps, Description: 'Payments data key (disabled)', Enabled: false, Tags: [{ Key: 'team', Value: 'risk' }] };
    await step(
        'update the key in place (description, disable, tags)',
        () => h.keyDriver.update({ ...keyProps, ...keyId }, keyUpdate),
        (r) => r.status === 'SUCCESS' && r.model?.Enabled === false && r.model?.KeyState === 'Disabled',
    );
    await step(
        'list keys of CloudHSM key stores',
        () => h.keyDriver.list(),
        (r) => r.status === 'SUCCESS' && (r.models ?? []).some((m) => m.KeyId === keyId.KeyId),
    );
    await step('delete the key (scheduled, PendingWindowInDays 7)', () => h.keyDriver.delete({ ...keyUpdate, ...keyId }));
    await step(
        'read the key after delete: NotFound (pending deletion)',
        () => h.keyDriver.read(keyId),
        (r) => r.errorCode === 'NotFound',
    );

    out('');
    out('-- the key store again');
    await step(
        'delete the key store: kept, since it holds the key pending deletion (the message says until when)',
        () => h.driver.delete({ ...moved, ...id }),
        (r) => r.status === 'SUCCESS' && /pending deletion, the last until/.test(r.message),
    );
    await step(
        'read the key store after its delete: still there, CONNECTED',
        () => h.driver.read(id),
        (r) => r.status === 'SUCCESS' && r.model?.ConnectionState === 'CONNECTED',
    );
    return summary(results);
}

function summary(results: Array<[string, OperationResult, boolean]>): boolean {
    const invocations = results.reduce((n, [, r]) => n + r.events.length, 0);
    const failed = results.filter(([, , ok]) => !ok);
    out('');
    fold(
        `Summary: ${results.length - failed.length}/${results.length} steps as expected, ${invocations} handler invocations, ${secs(Date.now() - started)}s real.`,
        WIDTH,
    ).forEach(out);
    // one line each: the whole message is in the step's report above
    for (const [title, r] of failed)
        out(truncate(`  unexpected: ${title}: ${r.status}${r.errorCode ? ` ${r.errorCode}` : ''}${r.message ? ` - ${r.message}` : ''}`, WIDTH));
    return failed.length === 0;
}

/** A properties file: read before anything starts, so a wrong name costs nothing. */
function readProps(file: string): Record<string, unknown> {
    const text = readFileSync(file, 'utf8');
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (err) {
        throw new UserError(`${file} is not JSON: ${(err as Error).message}`);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UserError(`${file} must hold a JSON object shaped like a template's Properties`);
    return value as Record<string, unknown>;
}

type Single = { command: Exclude<Command, 'lifecycle' | 'serve'>; props: Record<string, unknown>; previous?: Record<string, unknown> };

async function single(h: Harness, { command, props, previous }: Single): Promise<boolean> {
    const run: Record<Single['command'], () => Promise<OperationResult>> = {
        create: () => h.driver.create(props),
        read: () => h.driver.read(props),
        update: () => h.driver.update(previous ?? {}, props),
        delete: () => h.driver.delete(props),
        list: () => h.driver.list(),
    };
    const r = report(command, await run[command]());
    if (r.models) for (const m of r.models) foldJson(JSON.stringify({ ...m, TrustAnchorCertificate: undefined }), WIDTH, '       ').forEach(out);
    return r.status === 'SUCCESS';
}

async function serve(opts: { port: number; simPort: number; artifact?: string }, timeScale: number): Promise<void> {
    const sim = await startSimulator({ port: opts.simPort, timeScale });
    pointHandlerAt(sim.endpoint);
    installHandlerClock(sim.sim.clock);
    const store = loadHandlers(opts.artifact);
    const key = loadHandlers(opts.artifact, 'key-handlers');
    const handlers = { ...store, keyEntrypoint: key.entrypoint, keyTestEntrypoint: key.testEntrypoint };
    const lambda = await startLambdaEndpoint({ port: opts.port, handlers, timeScale, clock: sim.sim.clock });
    console.log(`SIM_ENDPOINT=${sim.endpoint}`);
    console.log(`LAMBDA_ENDPOINT=${lambda.url}`);
    console.error(`[local] handler: ${opts.artifact ? `built artifact in ${opts.artifact}` : 'src/ (TypeScript sources)'}`);
    console.error(`[local] key store: cfn test --endpoint ${lambda.url} --function-name TypeFunction   (inputs/ are written for the default scenario)`);
    console.error(
        `[local] key:       cfn test --endpoint ${lambda.url} --function-name KeyTypeFunction, inside key/ (npm run test:contract -- --type key makes the key store its inputs name)`,
    );
    const stop = () => void Promise.all([lambda.stop(), sim.stop()]).then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
}

/** The arguments, checked together: every mistake is found here, before anything starts. */
function options(cli: Cli) {
    const command = cli.command as Command;
    const mode = cli.oneOf('mode', ['stack', 'custom-resource'] as const, 'stack');
    const stray = cli.given.find((name) => !APPLIES[command].includes(name));
    if (stray) {
        const takers = COMMANDS.filter((c) => APPLIES[c].includes(stray));
        cli.fail(`--${stray} does not apply to ${command}${command === 'lifecycle' ? ' (the default command)' : ''}; it is for ${takers.join(', ')}`);
    }
    if (mode === 'custom-resource') {
        if (command !== 'lifecycle') cli.fail(`--mode custom-resource runs the lifecycle only, not ${command}`);
        const other = cli.given.find((name) => name === 'endpoint' || name === 'artifact');
        if (other) cli.fail(`--${other} does not apply to --mode custom-resource (its provider runs src/ against the embedded simulator)`);
    }
    const endpoint = cli.string('endpoint');
    if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint))
        cli.fail(`--endpoint must be an http:// or https:// URL, got ${JSON.stringify(endpoint)}`);
    // `cfn test` sleeps for real between calls, and a simulator elsewhere keeps its own time: both need a scaled clock.
    const fallback = command === 'serve' ? SERVE_TIME_SCALE : endpoint ? 0.01 : 0;
    const timeScale = cli.number('time-scale', fallback);
    if (endpoint && timeScale === 0)
        cli.fail('--time-scale 0 (virtual time) cannot be shared with a simulator in another process (--endpoint): give a time scale > 0');
    const artifact = cli.string('artifact') || undefined;
    if (artifact && !['dist/handlers.js', 'handlers.js'].some((f) => existsSync(path.resolve(artifact, f)))) {
        cli.fail(`--artifact ${artifact} holds no built handler (dist/handlers.js); build one with: make artifact ARTIFACTS_DIR=${artifact}`);
    }
    const port = cli.integer('port', 3001, { max: 65535 });
    const simPort = cli.integer('sim-port', 4566, { max: 65535 });
    const file = (name: string) => cli.string(name) || cli.fail(`${command} needs --${name} FILE (a JSON object shaped like a template's Properties)`);
    const propsFile = ['create', 'read', 'update', 'delete'].includes(command) ? file('properties') : undefined;
    const previousFile = command === 'update' ? file('previous') : undefined;
    return { command, mode, endpoint, timeScale, artifact, port, simPort, propsFile, previousFile };
}

async function main(): Promise<void> {
    const cli = parseCli({
        program: 'local',
        usage: USAGE,
        commands: COMMANDS,
        defaultCommand: 'lifecycle',
        options: {
            mode: { type: 'string' },
            properties: { type: 'string' },
            previous: { type: 'string' },
            endpoint: { type: 'string' },
            'time-scale': { type: 'string' },
            artifact: { type: 'string' },
            port: { type: 'string' },
            'sim-port': { type: 'string' },
        },
    });
    const o = options(cli);
    if (o.command === 'serve') return serve(o, o.timeScale);
    if (o.mode === 'custom-resource') {
        process.exitCode = (await runCustomResourceLifecycle(o.timeScale)) ? 0 : 1;
        return;
    }
    const props = o.propsFile === undefined ? {} : readProps(o.propsFile);
    const previous = o.previousFile === undefined ? undefined : readProps(o.previousFile);
    const h = await startHarness({ timeScale: o.timeScale, endpoint: o.endpoint, onEvent: printEvent, artifact: o.artifact });
    const time = o.timeScale
        ? `time scale ${o.timeScale}: a simulated minute takes ${secs(60_000 * o.timeScale)}s`
        : 'virtual time: simulated time moves only while everything waits';
    fold(`Simulator at ${h.sim.endpoint} (${time}); handler logs are kept out of this view.`, WIDTH).forEach(out);
    let ok = false;
    try {
        ok = o.command === 'lifecycle' ? await lifecycle(h) : await single(h, { command: o.command, props, previous });
    } finally {
        await h.stop();
    }
    process.exitCode = ok ? 0 : 1;
}

runMain('local', main);
