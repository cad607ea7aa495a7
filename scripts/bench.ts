/**
 * `npm run bench [-- --runs N] [--json] [--keys N] [--warm N] [--only PARTS] [--keep]` (`--help`: the usage): this project's shipped bundle and the stock
 * `cfn init` TypeScript layout (tsc output + the whole node_modules), built from the same src/, measured side by side
 * against the loopback simulator. Every timing is the median of N runs with min and max; the figures are reported,
 * never asserted (DESIGN section 8 has the targets; the verdicts are printed beside them).
 */
import { execFileSync, spawn, spawnSync } from 'child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'fs';
import { cpus, tmpdir } from 'os';
import * as path from 'path';
import { Driver, Entrypoint } from '../local/driver';
import { buildHandlerRequest, newBearerToken } from '../local/handler-request';
import { clockFor, installHandlerClock } from '../local/clock';
import { parseCli } from '../local/cli-args';
import { capturingConsole, defaultProperties, loadHandlers, pointHandlerAt } from '../local/harness';
import { DEFAULT_SCHEMA_PATH, loadSchema } from '../local/schema';
import { controlClient, DEFAULT_SCENARIO, SimControl } from '../local/sim';
import type { RequestView } from '../local/sim/views';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'node_modules', '.bin');
const S = DEFAULT_SCENARIO;

/** The published registry prices (aws.amazon.com/cloudformation/pricing). */
const PRICE_PER_OPERATION = 0.0009;
const PRICE_PER_SECOND_BEYOND_30 = 0.00008;
/** Real seconds per simulated second for the 20-minute connect: 24 s of real time, handler CPU a small share of it. */
const CREATE_TIME_SCALE = 0.02;
const CONNECT_SECONDS = 1200;
/** Setting up stores for the Read and the delete runs goes faster. */
const SETUP_TIME_SCALE = 0.005;
const KMS_LATENCY_MS = 20;

interface Args {
    runs: number;
    json: boolean;
    keys: number;
    warm: number;
    keep: boolean;
    /** Parts to run (default all); the others are reported as skipped. */
    only: Set<Part>;
}

const PARTS = ['runtime', 'create', 'delete'] as const;
type Part = (typeof PARTS)[number];

const USAGE = `usage: npm run bench -- [--runs N] [--json] [--keys N] [--warm N] [--only ${PARTS.join(',')}] [--keep]
  the shipped bundle and the stock cfn init layout, measured side by side against the loopback simulator
  --runs N      runs of each figure, a whole number >= 1 (default 3); every figure is the median with min and max
  --json        one JSON object on stdout instead of the table (also: npm run bench --json)
  --keys N      KMS keys in the account for the delete's key scan, a whole number >= 1 (default 10000)
  --warm N      warm Reads after each cold start, a whole number >= 1 (default 20)
  --only LIST   the parts to run, comma-separated: ${PARTS.join(', ')} (default all)
  --keep        keep the temporary folder (its path is printed)
  -h, --help    this text`;

function parseArgs(argv: string[]): Args {
    const cli = parseCli({
        program: 'bench',
        usage: USAGE,
        argv,
        options: {
            runs: { type: 'string' },
            json: { type: 'boolean' },
            keys: { type: 'string' },
            warm: { type: 'string' },
            only: { type: 'string' },
            keep: { type: 'boolean' },
        },
    });
    const only = cli.string('only');
    const parts = only === undefined ? [...PARTS] : only.split(',');
    const bad = parts.filter((p) => !PARTS.includes(p as Part));
    if (bad.length) cli.fail(`--only takes a comma-separated list of ${PARTS.join(', ')}; got ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
    return {
        runs: cli.integer('runs', 3, { min: 1 }),
        // `npm run bench --json` (no `--`) reaches the script as npm's own json setting
        json: cli.flag('json') || process.env.npm_config_json === 'true',
        keys: cli.integer('keys', 10_000, { min: 1 }),
        warm: cli.integer('warm', 20, { min: 1 }),
        keep: cli.flag('keep'),
        only: new Set(parts as Part[]),
    };
}

// ---- figures --------------------------------------------------------------------------------------------------

interface Figure {
    median: number;
    min: number;
    max: number;
    n: number;
}

function figure(values: number[]): Figure {
    const v = [...values].sort((x, y) => x - y);
    const mid = v.length >> 1;
    const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    return { median, min: v[0], max: v[v.length - 1], n: v.length };
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
const fmt = (f: Figure, unit: string, digits = 1): string => {
    const value = `${round(f.median, digits)}${unit ? ` ${unit}` : ''}`;
    return f.min === f.max ? value : `${value} (${round(f.min, digits)}-${round(f.max, digits)})`;
};

let quiet = false;
const progress = (line: string): void => {
    if (!quiet) process.stderr.write(`[bench] ${line}\n`);
};
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

// ---- building the two layouts ------------------------------------------------------------------------------------

/** The stock tsconfig.json of `cfn init ... typescript` (cloudformation-cli-typescript-plugin 1.0.4), when cfn is absent. */
const STOCK_TSCONFIG = {
    compilerOptions: {
        target: 'ES2017',
        module: 'commonjs',
        noImplicitAny: true,
        alwaysStrict: true,
        esModuleInterop: true,
        moduleResolution: 'node',
        allowJs: true,
        experimentalDecorators: true,
        outDir: 'dist',
    },
    include: ['src/**/*.ts'],
    exclude: ['node_modules'],
};

function findCfn(): string | undefined {
    const onPath = spawnSync('sh', ['-c', 'command -v cfn'], { encoding: 'utf8' }).stdout.trim();
    if (onPath) return onPath;
    const beside = path.resolve(ROOT, '..', 'shared', 'cfn-cli', 'cfn');
    return existsSync(beside) ? beside : undefined;
}

interface StockRecipe {
    source: string;
    makefile: string;
    tsconfig: unknown;
}

/** What `cfn init` writes for a TypeScript resource: its Makefile (the build recipe) and tsconfig.json. */
function stockRecipe(work: string): StockRecipe {
    const cfn = findCfn();
    if (cfn) {
        const dir = path.join(work, 'cfn-init');
        mkdirSync(dir);
        const r = spawnSync(cfn, ['init', '-a', 'RESOURCE', '-t', 'Org::Svc::Thing', 'typescript', '--no-docker'], { cwd: dir, encoding: 'utf8' });
        if (r.status === 0 && existsSync(path.join(dir, 'tsconfig.json'))) {
            return {
                source: `${cfn} init`,
                makefile: readFileSync(path.join(dir, 'Makefile'), 'utf8'),
                tsconfig: JSON.parse(readFileSync(path.join(dir, 'tsconfig.json'), 'utf8')),
            };
        }
        progress(`cfn init failed (${r.stderr.trim().split('\n').pop()}); using the recorded stock files`);
    }
    return {
        source: 'recorded copy of the cfn init files (cfn not found)',
        makefile: 'build-TypeFunction:\n\tnpx npm ci\n\tnpx npm run build\n',
        tsconfig: STOCK_TSCONFIG,
    };
}

/**
 * The stock layout, built from this src/: the stock tsconfig, `tsc --skipLibCheck` (the stock `build` script), and
 * dist + node_modules + package.json as its Makefile ships them. node_modules is a symlink to this checkout's, which
 * is what `npm ci` installs from the same package-lock.json (no second install); sizes and zips follow the link.
 */
function buildStock(work: string, recipe: StockRecipe): string {
    const dir = path.join(work, 'stock');
    mkdirSync(dir);
    cpSync(path.join(ROOT, 'src'), path.join(dir, 'src'), { recursive: true });
    cpSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    // src/custom-resource/props.ts loads the schema from the package root
    cpSync(DEFAULT_SCHEMA_PATH, path.join(dir, path.basename(DEFAULT_SCHEMA_PATH)));
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(recipe.tsconfig, null, 2));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    // This src/ type-checks under the project's strict tsconfig; the stock non-strict one reports narrowing errors
    // but emits the same JavaScript (noEmitOnError is off), which is what the layout ships.
    spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir, '--skipLibCheck'], { cwd: dir, encoding: 'utf8' });
    if (!existsSync(path.join(dir, 'dist', 'handlers.js'))) throw new Error(`tsc wrote no ${path.join(dir, 'dist', 'handlers.js')}`);
    return dir;
}

/** The shipped bundle, as `make artifact` writes it (scripts/build.ts into ARTIFACTS_DIR/dist). */
function buildBundle(work: string): string {
    const dir = path.join(work, 'bundle');
    execFileSync(path.join(BIN, 'tsx'), [path.join(ROOT, 'scripts', 'build.ts'), '--outdir', path.join(dir, 'dist')], { cwd: ROOT, stdio: 'pipe' });
    return dir;
}

function treeBytes(p: string): number {
    const st = statSync(p); // follows symlinks, as zip does
    if (!st.isDirectory()) return st.size;
    return readdirSync(p).reduce((sum, name) => sum + treeBytes(path.join(p, name)), 0);
}

interface Size {
    unzippedBytes: number;
    zippedBytes: number;
    files: string[];
}

function measureSize(dir: string, entries: string[], zipPath: string): Size {
    const present = entries.filter((e) => existsSync(path.join(dir, e)));
    execFileSync('zip', ['-q', '-r', '-X', zipPath, ...present], { cwd: dir, stdio: 'pipe', maxBuffer: 1 << 26 });
    return { unzippedBytes: present.reduce((s, e) => s + treeBytes(path.join(dir, e)), 0), zippedBytes: statSync(zipPath).size, files: present };
}

// ---- the simulator in its own process ---------------------------------------------------------------------------------

async function startSim(): Promise<{ endpoint: string; control: SimControl; stop(): void }> {
    const child = spawn(
        path.join(BIN, 'tsx'),
        ['--tsconfig', 'tsconfig.run.json', 'local/sim/main.ts', '--port', '0', '--time-scale', String(SETUP_TIME_SCALE)],
        {
            cwd: ROOT,
            stdio: ['ignore', 'pipe', 'pipe'],
        },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const endpoint = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            const m = /SIM_ENDPOINT=(\S+)/.exec(out);
            if (m) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`the simulator exited (${code}) before it was ready: ${stderr}`)));
    });
    return { endpoint, control: retryingStaleSockets(controlClient(endpoint)), stop: () => void child.kill('SIGTERM') };
}

/**
 * fetch reuses a kept-alive socket that the simulator may close at that moment (its keepAliveTimeout is 5 s, and
 * a busy CPU makes timers late): the request was never read, so it is sent again, once.
 */
function retryingStaleSockets(control: SimControl): SimControl {
    const wrapped = {} as Record<string, unknown>;
    for (const [name, fn] of Object.entries(control) as Array<[string, (...a: unknown[]) => Promise<unknown>]>) {
        wrapped[name] = async (...a: unknown[]) => {
            try {
                return await fn(...a);
            } catch (err) {
                const cause = (err as { cause?: { code?: string } }).cause;
                if (!(err instanceof TypeError) || !['UND_ERR_SOCKET', 'ECONNRESET'].includes(cause?.code ?? '')) throw err;
                return fn(...a);
            }
        };
    }
    return wrapped as unknown as SimControl;
}

// ---- cold start and warm overhead: a fresh Node process per run ------------------------------------------------------

/**
 * Plain JavaScript (no tsx loader in the way): loads the layout's dist/handlers.js, completes one Read, then `warm`
 * more in the same process. AWS time is the union of the intervals in which an http.request of this process was in
 * flight (SDK v3 and the library's SDK v2 both call http.request), from the call to the end of the response.
 */
const COLD_SCRIPT = `
const { performance } = require('perf_hooks');
const bootMs = performance.now();
const fs = require('fs'), path = require('path'), http = require('http'), crypto = require('crypto');
const [layout, requestFile, outFile, warmText] = process.argv.slice(2);
let inflight = 0, since = 0, busy = 0, calls = 0;
const request = http.request;
http.request = function (...args) {
  const req = request.apply(this, args);
  calls++;
  if (inflight++ === 0) since = performance.now();
  let done = false;
  const end = () => { if (done) return; done = true; if (--inflight === 0) busy += performance.now() - since; };
  req.once('response', (res) => { res.once('end', end); res.once('close', end); });
  req.once('error', end);
  req.once('close', end);
  return req;
};
const t0 = performance.now();
const handlers = require(path.join(layout, 'dist', 'handlers.js'));
const loadMs = performance.now() - t0;
const base = JSON.parse(fs.readFileSync(requestFile, 'utf8'));
const context = () => ({ awsRequestId: crypto.randomUUID(), functionName: 'TypeFunction', functionVersion: '$LATEST', memoryLimitInMB: '256', getRemainingTimeInMillis: () => 60000 });
async function invoke() {
  const b0 = busy, c0 = calls, s = performance.now();
  const r = await handlers.entrypoint(JSON.parse(JSON.stringify(base)), context());
  return { wallMs: performance.now() - s, awsMs: busy - b0, calls: calls - c0, status: r && r.status, message: r && r.message };
}
(async () => {
  const first = await invoke();
  const coldMs = performance.now();
  const warm = [];
  for (let i = 0; i < Number(warmText); i++) warm.push(await invoke());
  fs.writeFileSync(outFile, JSON.stringify({ bootMs, loadMs, coldMs, first, warm }));
  process.exit(0);
})().catch((e) => { fs.writeFileSync(outFile, JSON.stringify({ error: String(e && e.stack || e) })); process.exit(1); });
`;

interface ColdRun {
    bootMs: number;
    loadMs: number;
    coldMs: number;
    first: { wallMs: number; awsMs: number; calls: number; status: string; message?: string };
    warm: Array<{ wallMs: number; awsMs: number; calls: number; status: string }>;
    error?: string;
}

function coldRun(work: string, layout: string, requestFile: string, endpoint: string, warm: number, n: number): ColdRun {
    const out = path.join(work, `cold-${path.basename(layout)}-${n}.json`);
    const env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? work,
        AWS_ENDPOINT_URL: endpoint,
        AWS_ENDPOINT_URL_CLOUDHSM_V2: endpoint,
        AWS_REGION: S.region,
        AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
    };
    // stdout/stderr are the function's log (the library logs every invocation to the console): discarded, as written
    const r = spawnSync(process.execPath, ['--no-warnings', path.join(work, 'cold.js'), layout, requestFile, out, String(warm)], {
        env,
        stdio: 'ignore',
        timeout: 120_000,
    });
    if (!existsSync(out)) throw new Error(`cold start run in ${layout} wrote nothing (exit ${r.status}, signal ${r.signal})`);
    const result = JSON.parse(readFileSync(out, 'utf8')) as ColdRun;
    if (result.error) throw new Error(`cold start run in ${layout} failed: ${result.error}`);
    if (result.first.status !== 'SUCCESS') throw new Error(`the Read in ${layout} answered ${result.first.status}: ${result.first.message}`);
    return result;
}

// ---- driving the shipped bundle in this process ---------------------------------------------------------------------

interface Timed {
    driver: Driver;
    logs: string[];
    /** Real milliseconds of each entrypoint call, in order. */
    wallMs: number[];
}

function timedDriver(bundle: string, endpoint: string, timeScale: number): Timed {
    pointHandlerAt(endpoint);
    // The simulator runs in its own process, so the handler and the driver share a clock scaled as its is.
    const clock = clockFor(timeScale);
    installHandlerClock(clock);
    const handlers = loadHandlers(bundle);
    const logs: string[] = [];
    const wallMs: number[] = [];
    const logged = capturingConsole(logs, handlers.entrypoint);
    const entrypoint: Entrypoint = async (event, context) => {
        const t = nowMs();
        try {
            return await logged(event, context);
        } finally {
            wallMs.push(nowMs() - t);
        }
    };
    const driver = new Driver({
        entrypoint,
        schema: loadSchema(),
        clock,
        region: S.region,
        accountId: S.accountId,
        logicalResourceId: 'BenchKeyStore',
        log: () => undefined,
    });
    return { driver, logs, wallMs };
}

/** A connected store made through the handler at the set-up time scale; returns its id. */
async function makeStore(bundle: string, sim: { endpoint: string; control: SimControl }): Promise<string> {
    await sim.control.reset('default');
    await sim.control.config({ timeScale: SETUP_TIME_SCALE, connectSeconds: 60, kmsRequestQuotas: true });
    const { driver } = timedDriver(bundle, sim.endpoint, SETUP_TIME_SCALE);
    const r = await driver.create(defaultProperties());
    const id = r.model?.CustomKeyStoreId;
    if (r.status !== 'SUCCESS' || typeof id !== 'string') throw new Error(`set-up create failed: ${r.status} ${r.errorCode ?? ''} ${r.message}`);
    return id;
}

/** "create: IN_PROGRESS after 20412 ms of handler time in this invocation" (src/engine/runner.ts) */
function handlerClockMs(logs: string[], workflow: string): number[] {
    const re = new RegExp(`${workflow}: [A-Z_]+ after (\\d+) ms of handler time in this invocation`);
    return logs
        .map((l) => re.exec(l)?.[1])
        .filter((x): x is string => x !== undefined)
        .map(Number);
}

const countBy = (requests: RequestView[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const r of requests) out[`${r.service}:${r.operation}`] = (out[`${r.service}:${r.operation}`] ?? 0) + 1;
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
};
const throttled = (requests: RequestView[]): number => requests.filter((r) => r.errorType === 'ThrottlingException').length;

interface CreateRun {
    status: string;
    invocations: number;
    connectedToSuccessSimSeconds: number;
    longestInvocationSeconds: number;
    /** The driver's measure: real handler time / time scale (counts the handler's CPU and real script time 1/scale times). */
    longestInvocationSimSeconds: number;
    awsCalls: Record<string, number>;
    throttlingErrors: number;
    costUsd: number;
}

async function createRun(bundle: string, sim: { endpoint: string; control: SimControl }): Promise<CreateRun> {
    await sim.control.reset('default');
    await sim.control.config({ timeScale: CREATE_TIME_SCALE, connectSeconds: CONNECT_SECONDS, kmsRequestQuotas: true });
    await sim.control.clearRequests();
    const t = timedDriver(bundle, sim.endpoint, CREATE_TIME_SCALE);
    let successSimMs = 0;
    const r = await t.driver.create(defaultProperties());
    // simulated time of the SUCCESS: the clock now, less the real time since the last invocation returned
    const returned = nowMs();
    const clock = await sim.control.clock();
    successSimMs = clock.now - (nowMs() - returned) / CREATE_TIME_SCALE;
    if (r.status !== 'SUCCESS') throw new Error(`create failed: ${r.errorCode ?? ''} ${r.message}`);
    const requests = await sim.control.requests();
    const connect = requests.find((q) => q.operation === 'ConnectCustomKeyStore' && !q.errorType);
    if (!connect) throw new Error('the create never called ConnectCustomKeyStore');
    // The simulator turns the store CONNECTED connectSeconds after the Connect call (nothing holds the cluster then).
    const connectedSimMs = Date.parse(connect.time) + CONNECT_SECONDS * 1000;
    const handlerMs = handlerClockMs(t.logs, 'create');
    const cost = handlerMs.reduce((sum, ms) => sum + PRICE_PER_OPERATION + Math.max(0, ms / 1000 - 30) * PRICE_PER_SECOND_BEYOND_30, 0);
    return {
        status: r.status,
        invocations: r.events.length,
        connectedToSuccessSimSeconds: (successSimMs - connectedSimMs) / 1000,
        longestInvocationSeconds: Math.max(...handlerMs) / 1000,
        longestInvocationSimSeconds: Math.max(...t.wallMs) / 1000 / CREATE_TIME_SCALE,
        awsCalls: countBy(requests),
        throttlingErrors: throttled(requests),
        costUsd: cost,
    };
}

interface DeleteRun {
    status: string;
    message: string;
    invocations: number;
    handlerSeconds: number;
    scanSeconds: number;
    kmsCalls: number;
    kmsCallsByOperation: Record<string, number>;
    throttlingErrors: number;
}

async function deleteRun(bundle: string, sim: { endpoint: string; control: SimControl }, keys: number): Promise<DeleteRun> {
    const id = await makeStore(bundle, sim);
    await sim.control.putKeys(keys);
    await sim.control.addFault({ service: 'kms', operation: '*', delayMs: KMS_LATENCY_MS, times: -1 });
    // Real time: the quotas' simulated seconds are real seconds, and so is every wait of the delete.
    await sim.control.config({ timeScale: 1 });
    await sim.control.clearRequests();
    const t = timedDriver(bundle, sim.endpoint, 1);
    const r = await t.driver.delete({ ...defaultProperties(), CustomKeyStoreId: id });
    await sim.control.clearFaults();
    if (r.status !== 'SUCCESS') throw new Error(`delete failed: ${r.errorCode ?? ''} ${r.message}`);
    const requests = await sim.control.requests({ service: 'kms' });
    const scan = requests.filter((q) => q.operation === 'ListKeys' || q.operation === 'DescribeKey').map((q) => Date.parse(q.time));
    return {
        status: r.status,
        message: r.message,
        invocations: r.events.length,
        handlerSeconds: t.wallMs.reduce((a, b) => a + b, 0) / 1000,
        // first ListKeys to the last DescribeKey's arrival, plus that call's latency
        scanSeconds: (Math.max(...scan) - Math.min(...scan) + KMS_LATENCY_MS) / 1000,
        kmsCalls: requests.length,
        kmsCallsByOperation: countBy(requests),
        throttlingErrors: throttled(requests),
    };
}

type Sim = { endpoint: string; control: SimControl };

async function runtimePart(args: Args, work: string, bundle: string, stock: string, sim: Sim) {
    const storeId = await makeStore(bundle, sim);
    const request = buildHandlerRequest({
        action: 'READ',
        bearerToken: newBearerToken(),
        resourceProperties: { ...defaultProperties(), CustomKeyStoreId: storeId },
        resourceType: loadSchema().typeName,
        region: S.region,
        accountId: S.accountId,
        logicalResourceId: 'BenchKeyStore',
        // every invocation of a registered type carries provider credentials and a log group
        providerLogging: {
            credentials: { accessKeyId: 'ASIAPROVIDER', secretAccessKey: 'provider-secret', sessionToken: 'provider-token' },
            logGroupName: 'bench-provider-logs',
        },
    });
    const requestFile = path.join(work, 'read-request.json');
    writeFileSync(requestFile, JSON.stringify(request));
    // the same Read without a logging configuration: the handler's own work, one AWS call
    const { providerCredentials: _p, providerLogGroupName: _g, ...plainData } = request.requestData;
    const plainFile = path.join(work, 'read-request-no-logging.json');
    writeFileSync(plainFile, JSON.stringify({ ...request, requestData: plainData }));
    writeFileSync(path.join(work, 'cold.js'), COLD_SCRIPT);
    await sim.control.config({ timeScale: 1 });
    const cold: Record<Layout, ColdRun[]> = { bundle: [], stock: [] };
    const plain: Record<Layout, ColdRun[]> = { bundle: [], stock: [] };
    for (let n = 0; n < args.runs; n++) {
        // alternate which layout goes first, so neither always gets the warmer page cache
        const order: Layout[] = n % 2 ? ['stock', 'bundle'] : ['bundle', 'stock'];
        for (const layout of order) {
            progress(`cold start + ${args.warm} warm Reads, ${layout}, run ${n + 1}/${args.runs}`);
            cold[layout].push(coldRun(work, layout === 'bundle' ? bundle : stock, requestFile, sim.endpoint, args.warm, n));
            plain[layout].push(coldRun(work, layout === 'bundle' ? bundle : stock, plainFile, sim.endpoint, 1, n + 1000));
        }
    }
    const fig = (layout: Layout): RuntimeFigures => ({
        coldStartMs: figure(cold[layout].map((r) => r.coldMs)),
        coldStartNoLoggingMs: figure(plain[layout].map((r) => r.coldMs)),
        firstReadAwsCalls: figure(cold[layout].map((r) => r.first.calls)),
        nodeBootMs: figure(cold[layout].map((r) => r.bootMs)),
        loadMs: figure(cold[layout].map((r) => r.loadMs)),
        firstReadMs: figure(cold[layout].map((r) => r.first.wallMs)),
        // per run: the median warm invocation's handler time minus its AWS time
        warmOverheadMs: figure(cold[layout].map((r) => figure(r.warm.map((w) => w.wallMs - w.awsMs)).median)),
        warmWallMs: figure(cold[layout].map((r) => figure(r.warm.map((w) => w.wallMs)).median)),
        warmAwsCallsPerRead: figure(cold[layout].flatMap((r) => r.warm.map((w) => w.calls))),
    });
    return { bundle: fig('bundle'), stock: fig('stock') };
}

async function createPart(args: Args, bundle: string, sim: Sim) {
    const creates: CreateRun[] = [];
    for (let n = 0; n < args.runs; n++) {
        progress(`create with a ${CONNECT_SECONDS / 60}-minute connect at time scale ${CREATE_TIME_SCALE}, run ${n + 1}/${args.runs}`);
        creates.push(await createRun(bundle, sim));
    }
    return {
        timeScale: CREATE_TIME_SCALE,
        connectSeconds: CONNECT_SECONDS,
        invocations: figure(creates.map((c) => c.invocations)),
        connectedToSuccessSimSeconds: figure(creates.map((c) => c.connectedToSuccessSimSeconds)),
        longestInvocationSeconds: figure(creates.map((c) => c.longestInvocationSeconds)),
        longestInvocationSimSeconds: figure(creates.map((c) => c.longestInvocationSimSeconds)),
        throttlingErrors: figure(creates.map((c) => c.throttlingErrors)),
        costUsd: figure(creates.map((c) => c.costUsd)),
        awsCallsByOperation: creates[0].awsCalls,
        runs: creates,
    };
}

async function deletePart(args: Args, bundle: string, sim: Sim) {
    const deletes: DeleteRun[] = [];
    for (let n = 0; n < args.runs; n++) {
        progress(`delete with ${args.keys} KMS keys, ${KMS_LATENCY_MS} ms per KMS call, run ${n + 1}/${args.runs}`);
        deletes.push(await deleteRun(bundle, sim, args.keys));
    }
    return {
        keys: args.keys,
        kmsLatencyMs: KMS_LATENCY_MS,
        handlerSeconds: figure(deletes.map((d) => d.handlerSeconds)),
        scanSeconds: figure(deletes.map((d) => d.scanSeconds)),
        invocations: figure(deletes.map((d) => d.invocations)),
        kmsCalls: figure(deletes.map((d) => d.kmsCalls)),
        throttlingErrors: figure(deletes.map((d) => d.throttlingErrors)),
        kmsCallsByOperation: deletes[0].kmsCallsByOperation,
        runs: deletes,
    };
}

type Layout = 'bundle' | 'stock';
type RuntimeFigures = Record<
    | 'coldStartMs'
    | 'coldStartNoLoggingMs'
    | 'firstReadAwsCalls'
    | 'nodeBootMs'
    | 'loadMs'
    | 'firstReadMs'
    | 'warmOverheadMs'
    | 'warmWallMs'
    | 'warmAwsCallsPerRead',
    Figure
>;

// ---- report ----------------------------------------------------------------------------------------------------------

function machine(): Record<string, string | number> {
    const model = /model name\s*:\s*(.+)/.exec(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1] ?? cpus()[0]?.model ?? 'unknown';
    const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
    return { nproc: Number(nproc) || cpus().length, cpu: model.trim(), node: process.version, platform: `${process.platform} ${process.arch}` };
}

const verdict = (ok: boolean): string => (ok ? 'holds' : 'MISSED');

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    quiet = args.json;
    const started = nowMs();
    const work = mkdtempSync(path.join(tmpdir(), 'keystore-bench-'));
    let sim: Awaited<ReturnType<typeof startSim>> | undefined;
    try {
        progress(`working in ${work}`);
        const recipe = stockRecipe(work);
        progress(`stock recipe from ${recipe.source}; building both layouts`);
        const bundle = buildBundle(work);
        const stock = buildStock(work, recipe);
        progress('zipping both layouts');
        const sizes = {
            bundle: measureSize(bundle, ['dist'], path.join(work, 'bundle.zip')),
            stock: measureSize(stock, ['dist', 'node_modules', 'package.json'], path.join(work, 'stock.zip')),
        };

        sim = await startSim();
        progress(`simulator at ${sim.endpoint}`);
        const runtime = args.only.has('runtime') ? await runtimePart(args, work, bundle, stock, sim) : undefined;
        const create = args.only.has('create') ? await createPart(args, bundle, sim) : undefined;
        const del = args.only.has('delete') ? await deletePart(args, bundle, sim) : undefined;

        const coldRatio = runtime ? runtime.bundle.coldStartMs.median / runtime.stock.coldStartMs.median : undefined;
        const targets: Record<string, boolean | 'skipped'> = {
            bundleZippedAtMost2MB: sizes.bundle.zippedBytes <= 2 * 1024 * 1024,
            coldStartAtMostAThirdOfStock: coldRatio === undefined ? 'skipped' : coldRatio <= 1 / 3,
            warmOverheadAtMost50ms: runtime ? runtime.bundle.warmOverheadMs.median <= 50 : 'skipped',
            connectedToSuccessAtMost10s: create ? create.connectedToSuccessSimSeconds.median <= 10 : 'skipped',
            invocationsAtMost60: create ? create.invocations.max <= 60 : 'skipped',
            noInvocationOver30s: create ? create.longestInvocationSeconds.max <= 30 : 'skipped',
            deleteScanWithin60s: del ? del.scanSeconds.max <= 60 : 'skipped',
            deleteNoThrottling: del ? del.throttlingErrors.max === 0 : 'skipped',
        };
        const report: Report = {
            machine: machine(),
            runs: args.runs,
            totalSeconds: 0,
            stock: {
                recipe: recipe.source,
                makefile: recipe.makefile,
                nodeModules:
                    "a symlink to this checkout's node_modules, which is what `npm ci` installs from package-lock.json (no second install); sizes and the zip follow the link",
            },
            size: sizes,
            runtime,
            coldStartRatio: coldRatio,
            create,
            delete: del,
            costCounting: `each handler invocation counted as one handler operation ($${PRICE_PER_OPERATION}) plus $${PRICE_PER_SECOND_BEYOND_30} per second of its handler time beyond 30 s; the free tier (1,000 operations a month) is not deducted`,
            targets,
        };
        report.totalSeconds = round((nowMs() - started) / 1000);
        if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else printTable(report);
    } finally {
        sim?.stop();
        if (!args.keep) rmSync(work, { recursive: true, force: true });
        else progress(`kept ${work}`);
    }
}

type Report = {
    machine: Record<string, string | number>;
    runs: number;
    totalSeconds: number;
    stock: Record<string, string>;
    size: Record<Layout, Size>;
    runtime?: Record<Layout, RuntimeFigures>;
    coldStartRatio?: number;
    create?: Awaited<ReturnType<typeof createPart>>;
    delete?: Awaited<ReturnType<typeof deletePart>>;
    costCounting: string;
    targets: Record<string, boolean | 'skipped'>;
};

function printTable(r: Report): void {
    const mb = (b: number) => `${round(b / 1024 / 1024, 2)} MB`;
    const v = (key: string) => (r.targets[key] === 'skipped' ? 'skipped' : verdict(r.targets[key] === true));
    const rows: string[][] = [
        ['figure', 'shipped bundle', 'stock cfn layout', 'target'],
        ['artifact, zipped', mb(r.size.bundle.zippedBytes), mb(r.size.stock.zippedBytes), `<= 2 MB: ${v('bundleZippedAtMost2MB')}`],
        ['artifact, unzipped', mb(r.size.bundle.unzippedBytes), mb(r.size.stock.unzippedBytes), ''],
    ];
    const rt = r.runtime;
    if (rt) {
        rows.push(
            [
                'cold start: new process, load + one Read',
                fmt(rt.bundle.coldStartMs, 'ms', 0),
                fmt(rt.stock.coldStartMs, 'ms', 0),
                `<= 1/3 of stock (${round(r.coldStartRatio ?? 0, 2)}): ${v('coldStartAtMostAThirdOfStock')}`,
            ],
            ['  Node start-up (before the handler)', fmt(rt.bundle.nodeBootMs, 'ms', 0), fmt(rt.stock.nodeBootMs, 'ms', 0), ''],
            ['  loading the handler module', fmt(rt.bundle.loadMs, 'ms', 0), fmt(rt.stock.loadMs, 'ms', 0), ''],
            [
                `  the first Read (${rt.bundle.firstReadAwsCalls.median} AWS calls: logging on)`,
                fmt(rt.bundle.firstReadMs, 'ms', 0),
                fmt(rt.stock.firstReadMs, 'ms', 0),
                '',
            ],
            [
                'cold start, no logging configuration',
                fmt(rt.bundle.coldStartNoLoggingMs, 'ms', 0),
                fmt(rt.stock.coldStartNoLoggingMs, 'ms', 0),
                `ratio ${round(rt.bundle.coldStartNoLoggingMs.median / rt.stock.coldStartNoLoggingMs.median, 2)}`,
            ],
            [
                'warm Read: handler time minus AWS time',
                fmt(rt.bundle.warmOverheadMs, 'ms'),
                fmt(rt.stock.warmOverheadMs, 'ms'),
                `<= 50 ms: ${v('warmOverheadAtMost50ms')}`,
            ],
            ['warm Read: handler time', fmt(rt.bundle.warmWallMs, 'ms'), fmt(rt.stock.warmWallMs, 'ms'), ''],
        );
    }
    const c = r.create;
    if (c) {
        rows.push(
            [
                'create, 20-min connect: CONNECTED -> SUCCESS',
                `${fmt(c.connectedToSuccessSimSeconds, 's')} simulated`,
                '',
                `<= 10 s: ${v('connectedToSuccessAtMost10s')}`,
            ],
            ['  invocations', fmt(c.invocations, '', 0), '', `<= 60: ${v('invocationsAtMost60')}`],
            ['  longest invocation (handler clock)', fmt(c.longestInvocationSeconds, 's'), '', `<= 30 s: ${v('noInvocationOver30s')}`],
            ['  longest invocation (real time / scale)', fmt(c.longestInvocationSimSeconds, 's'), '', ''],
            ['  handler-operation cost', `$${round(c.costUsd.median, 4)} ($${round(c.costUsd.min, 4)}-$${round(c.costUsd.max, 4)})`, '', ''],
            ['  throttling errors (KMS quotas on)', fmt(c.throttlingErrors, '', 0), '', ''],
        );
    }
    const d = r.delete;
    if (d) {
        rows.push(
            [`delete, ${d.keys} keys, 20 ms per KMS call: key scan`, fmt(d.scanSeconds, 's'), '', `<= 60 s: ${v('deleteScanWithin60s')}`],
            ['  handler time, whole delete', fmt(d.handlerSeconds, 's'), '', ''],
            ['  invocations', fmt(d.invocations, '', 0), '', ''],
            ['  KMS calls', fmt(d.kmsCalls, '', 0), '', ''],
            ['  throttling errors (KMS quotas on)', fmt(d.throttlingErrors, '', 0), '', `none: ${v('deleteNoThrottling')}`],
        );
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
    const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
    const out = [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)];
    const m = r.machine;
    console.log(`Machine: ${m.nproc} CPUs (${m.cpu}), Node ${m.node}, ${m.platform}; ${r.runs} runs each, median (min-max); ${r.totalSeconds} s in all.\n`);
    console.log(out.join('\n'));
    if (c)
        console.log(
            `\nCreate, AWS calls by operation (first run): ${Object.entries(c.awsCallsByOperation)
                .map(([k, n]) => `${k} ${n}`)
                .join(', ')}`,
        );
    if (d)
        console.log(
            `Delete, KMS calls by operation (first run): ${Object.entries(d.kmsCallsByOperation)
                .map(([k, n]) => `${k} ${n}`)
                .join(', ')}`,
        );
    console.log(`Cost: ${r.costCounting}.`);
}

if (require.main === module) {
    main().catch((err: unknown) => {
        console.error(err instanceof Error ? (err.stack ?? err.message) : err);
        process.exit(1);
    });
}
