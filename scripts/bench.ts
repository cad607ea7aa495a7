/**
 * `npm run bench [-- --runs N] [--json] [--keys N] [--delete-runs N] [--warm N] [--only PARTS] [--keep]` (`--help`: the usage): this
 * project's shipped bundle and the stock `cfn init` TypeScript layout (tsc output + the whole node_modules), built from
 * the same src/, measured side by side against the loopback simulator. Every timing is the median of N runs with min
 * and max (warm Reads: the median and p95 of all of them); the figures are reported, never asserted (docs/design.md
 * section 9 has the targets; the verdicts are printed beside them), so a loaded machine gives slower figures, not a
 * failure.
 */
import { execFileSync, spawn, spawnSync } from 'child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'fs';
import * as nodeModule from 'module';
import { cpus, loadavg, tmpdir } from 'os';
import * as path from 'path';
import { Driver, Entrypoint } from '../local/driver';
import { buildHandlerRequest, newBearerToken } from '../local/handler-request';
import { clockFor, installHandlerClock } from '../local/clock';
import type { Clock } from '../src/engine/clock';
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
/**
 * Real seconds per simulated second while a store is made. The simulator is in another process, so its scaled clock
 * runs on while a Run Command script really executes (local/README.md, "Scaled time"): a kmsuser script that takes
 * 0.2-0.4 s here lasts that / scale in simulated time, and the preflight check must end inside the invocation that
 * sent it (about 15 s of simulated time once delivery and polling are counted). At 0.05 a script may take about
 * 0.75 s of real time, at 0.1 about 1.5 s; at 0.02 only 0.3 s, which a busy machine exceeds. A create that fails
 * anyway runs again at twice the scale (createRun, makeStore), and the report says so. At 0.05 the create's
 * 20-minute connect takes 60 s of real time per run.
 */
const CREATE_TIME_SCALE = 0.05;
const CONNECT_SECONDS = 1200;
/** The set-up stores of the Read and the delete runs connect in a simulated minute: 6 s of real time. */
const SETUP_TIME_SCALE = 0.1;
const SETUP_CONNECT_SECONDS = 60;
const KMS_LATENCY_MS = 20;
/**
 * Warm Reads start this far apart: a Read calls DescribeCustomKeyStores, whose KMS quota is 5 a second, and Reads
 * back to back (25 a second) would be throttled, the SDK's retry back-off counted as handler time. CloudFormation
 * never reads one resource that often.
 */
const WARM_READ_INTERVAL_MS = 250;
/** The most keys one POST /_sim/keys adds (local/sim/control.ts). */
const KEYS_PER_PUT = 100_000;
/**
 * The simulator keeps the last 20,000 requests (local/sim/router.ts): the delete's log is read while it runs, every
 * 5 s (the delete makes under 1,000 calls a second; each read copies the whole log in the simulator, so not more often).
 */
const SIM_REQUEST_LOG = 20_000;
const TALLY_EVERY_MS = 5_000;
/** Targets for the delete (docs/design.md section 9, and the 100,000-key issue): by the account's key count. */
const DELETE_SCAN_TARGET = { keys: 10_000, scanSeconds: 60 };
const DELETE_HANDLER_TARGET = { keys: 100_000, handlerSeconds: 300 };

interface Args {
    runs: number;
    json: boolean;
    keys: number;
    /** Runs of the delete: each takes minutes at 100,000 keys. */
    deleteRuns: number;
    warm: number;
    keep: boolean;
    /** Parts to run (default all); the others are reported as skipped. */
    only: Set<Part>;
}

const PARTS = ['runtime', 'create', 'delete'] as const;
type Part = (typeof PARTS)[number];

const USAGE = `usage: npm run bench -- [--runs N] [--json] [--keys N] [--delete-runs N] [--warm N] [--only ${PARTS.join(',')}] [--keep]
  the shipped bundle and the stock cfn init layout, measured side by side against the loopback simulator
  --runs N         runs of each figure, a whole number >= 1 (default 3); every figure is the median with min and max
  --json           one JSON object on stdout instead of the table (also: npm run bench --json)
  --keys N         KMS keys in the account for the delete's key scan, a whole number >= 1 (default 100000)
  --delete-runs N  runs of the delete, a whole number >= 1 (default 1: a few minutes each at 100000 keys)
  --warm N         warm Reads after each cold start, a whole number >= 1 (default 50); median and p95 of all of them
  --only LIST      the parts to run, comma-separated: ${PARTS.join(', ')} (default all)
  --keep           keep the temporary folder (its path is printed)
  -h, --help       this text`;

function parseArgs(argv: string[]): Args {
    const cli = parseCli({
        program: 'bench',
        usage: USAGE,
        argv,
        options: {
            runs: { type: 'string' },
            json: { type: 'boolean' },
            keys: { type: 'string' },
            'delete-runs': { type: 'string' },
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
        keys: cli.integer('keys', 100_000, { min: 1 }),
        deleteRuns: cli.integer('delete-runs', 1, { min: 1 }),
        warm: cli.integer('warm', 50, { min: 1 }),
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

/** A figure over every sample pooled (the warm Reads of all runs), with its 95th percentile (nearest rank). */
interface Spread extends Figure {
    p95: number;
}

function spread(values: number[]): Spread {
    const v = [...values].sort((x, y) => x - y);
    return { ...figure(v), p95: v[Math.max(0, Math.ceil(0.95 * v.length) - 1)] };
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
const fmt = (f: Figure, unit: string, digits = 1): string => {
    const value = `${round(f.median, digits)}${unit ? ` ${unit}` : ''}`;
    return f.min === f.max ? value : `${value} (${round(f.min, digits)}-${round(f.max, digits)})`;
};
/** "11 ms, p95 14 ms (9.8-31)": median, p95, then min-max. */
const fmtSpread = (f: Spread, unit: string, digits = 1): string =>
    `${round(f.median, digits)} ${unit}, p95 ${round(f.p95, digits)} ${unit} (${round(f.min, digits)}-${round(f.max, digits)})`;

let quiet = false;
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const benchStarted = nowMs();
const progress = (line: string): void => {
    if (!quiet) process.stderr.write(`[bench ${Math.round((nowMs() - benchStarted) / 1000)} s] ${line}\n`);
};

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
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let stopping = false;
    // a simulator that dies mid-run makes the next control call fail with "fetch failed": say why first
    child.once('exit', (code, signal) => {
        if (!stopping) progress(`the simulator exited (${code ?? signal}); its last words: ${stderr.trim() || '(none)'}`);
    });
    const endpoint = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            const m = /SIM_ENDPOINT=(\S+)/.exec(out);
            if (m) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`the simulator exited (${code}) before it was ready: ${stderr}`)));
    });
    const stop = (): void => {
        stopping = true;
        child.kill('SIGTERM');
    };
    return { endpoint, control: retryingStaleSockets(controlClient(endpoint)), stop };
}

/**
 * fetch reuses a kept-alive socket that the simulator may have closed (its keepAliveTimeout is 5 s): a busy CPU makes
 * timers late, and the cold starts' spawnSync blocks this process's event loop for seconds, so undici never gets to
 * drop the idle socket itself. Writing to it fails (EPIPE, ECONNRESET, UND_ERR_SOCKET) before the simulator read
 * anything, so the call is sent again, up to 3 times (each failure discards that socket).
 */
const STALE_SOCKET = ['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'];

function retryingStaleSockets(control: SimControl): SimControl {
    const wrapped = {} as Record<string, unknown>;
    for (const [name, fn] of Object.entries(control) as Array<[string, (...a: unknown[]) => Promise<unknown>]>) {
        wrapped[name] = async (...a: unknown[]) => {
            for (let attempt = 1; ; attempt++) {
                try {
                    return await fn(...a);
                } catch (err) {
                    const cause = (err as { cause?: { code?: string } }).cause;
                    if (attempt > 3 || !(err instanceof TypeError) || !STALE_SOCKET.includes(cause?.code ?? '')) throw err;
                }
            }
        };
    }
    return wrapped as unknown as SimControl;
}

// ---- cold start and warm overhead: a fresh Node process per run ------------------------------------------------------

/**
 * Plain JavaScript (no tsx loader in the way): loads the layout's dist/handlers.js, completes one Read, then `warm`
 * more in the same process, each starting WARM_READ_INTERVAL_MS after the one before. AWS time is the union of the intervals in which an http.request of this process was in
 * flight (SDK v3 and the library's SDK v2 both call http.request), from the call to the end of the response.
 * With NODE_COMPILE_CACHE set (Node >= 22.1), Node reads and writes its module compile cache there; the script then
 * writes the cache out itself (module.flushCompileCache, otherwise done at exit) and times that.
 */
const COLD_SCRIPT = `
const { performance } = require('perf_hooks');
const bootMs = performance.now();
const fs = require('fs'), path = require('path'), http = require('http'), crypto = require('crypto'), mod = require('module');
const [layout, requestFile, outFile, warmText, gapText] = process.argv.slice(2);
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
let lastStart = 0;
async function invoke() {
  const b0 = busy, c0 = calls, s = performance.now();
  lastStart = s;
  const r = await handlers.entrypoint(JSON.parse(JSON.stringify(base)), context());
  return { wallMs: performance.now() - s, awsMs: busy - b0, calls: calls - c0, status: r && r.status, message: r && r.message };
}
(async () => {
  const first = await invoke();
  const coldMs = performance.now();
  const warm = [];
  for (let i = 0; i < Number(warmText); i++) {
    const wait = lastStart + Number(gapText) - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    warm.push(await invoke());
  }
  const compileCacheDir = typeof mod.getCompileCacheDir === 'function' ? mod.getCompileCacheDir() : undefined;
  let flushMs;
  if (compileCacheDir && typeof mod.flushCompileCache === 'function') {
    const f = performance.now();
    mod.flushCompileCache();
    flushMs = performance.now() - f;
  }
  fs.writeFileSync(outFile, JSON.stringify({ nodeVersion: process.version, compileCacheDir, bootMs, loadMs, coldMs, flushMs, first, warm }));
  process.exit(0);
})().catch((e) => { fs.writeFileSync(outFile, JSON.stringify({ error: String(e && e.stack || e) })); process.exit(1); });
`;

interface ColdRun {
    nodeVersion: string;
    /** Where Node kept its compile cache in this run; undefined without one. */
    compileCacheDir?: string;
    /** Writing the compile cache out (module.flushCompileCache), after the Reads. */
    flushMs?: number;
    bootMs: number;
    loadMs: number;
    coldMs: number;
    first: { wallMs: number; awsMs: number; calls: number; status: string; message?: string };
    warm: Array<{ wallMs: number; awsMs: number; calls: number; status: string }>;
    error?: string;
}

/**
 * One fresh Node process on this process's own binary (process.execPath: under `npm run` the Node 22 of
 * node_modules/.bin, as Lambda's nodejs22.x). Nothing of this environment reaches it but PATH and HOME: no
 * NODE_OPTIONS, and a compile cache only when `compileCache` names its directory.
 */
function coldRun(work: string, layout: string, requestFile: string, endpoint: string, warm: number, tag: string, compileCache?: string): ColdRun {
    const out = path.join(work, `cold-${path.basename(layout)}-${tag}.json`);
    const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? work,
        AWS_ENDPOINT_URL: endpoint,
        AWS_ENDPOINT_URL_CLOUDHSM_V2: endpoint,
        AWS_REGION: S.region,
        AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
    };
    if (compileCache) env.NODE_COMPILE_CACHE = compileCache;
    // stdout/stderr are the function's log (the library logs every invocation to the console): discarded, as written
    const args = [path.join(work, 'cold.js'), layout, requestFile, out, String(warm), String(WARM_READ_INTERVAL_MS)];
    const r = spawnSync(process.execPath, ['--no-warnings', ...args], {
        env,
        stdio: 'ignore',
        timeout: 120_000,
    });
    if (!existsSync(out)) throw new Error(`cold start run in ${layout} wrote nothing (exit ${r.status}, signal ${r.signal})`);
    const result = JSON.parse(readFileSync(out, 'utf8')) as ColdRun;
    if (result.error) throw new Error(`cold start run in ${layout} failed: ${result.error}`);
    if (result.first.status !== 'SUCCESS') throw new Error(`the Read in ${layout} answered ${result.first.status}: ${result.first.message}`);
    if (compileCache && !result.compileCacheDir)
        throw new Error(`Node ${result.nodeVersion} did not enable its compile cache in ${compileCache} (it needs Node >= 22.1)`);
    return result;
}

/** Node's module compile cache: `module.enableCompileCache` and NODE_COMPILE_CACHE (Node >= 22.1; @types/node 20 lacks it). */
const hasCompileCache = (): boolean => typeof (nodeModule as unknown as { enableCompileCache?: unknown }).enableCompileCache === 'function';

// ---- driving the shipped bundle in this process ---------------------------------------------------------------------

interface Timed {
    driver: Driver;
    logs: string[];
    /** Real milliseconds of each entrypoint call, in order. */
    wallMs: number[];
}

/**
 * The handler's clock here, as the runner's own clock was before the simulator's clock became shared: each of its
 * waits takes `ms * timeScale` of real time and moves the clock by the whole `ms` (plus any lateness of the timer),
 * while everything else (its own work, its AWS calls) moves it by the real time it takes, as in Lambda. Its 25 s budget
 * per invocation then holds as many waits as in AWS, and its "ms of handler time" log line is what Lambda would bill.
 * (With the ScaledClock itself, every real millisecond of handler work counts 1/timeScale times: at 0.02 the first
 * invocation's client loading alone, a few hundred real ms, spends most of the budget, and the create's preflight
 * check cannot finish inside its invocation.) Waits that overlap do not add up: a wake-up only moves the clock on to
 * the end of its own wait.
 */
function handlerClockFor(timeScale: number): Clock {
    let skippedMs = 0;
    const now = (): number => Date.now() + skippedMs;
    return {
        now,
        sleep: async (ms) => {
            const wait = Math.max(0, ms);
            const end = now() + wait;
            const t = nowMs();
            await new Promise((resolve) => setTimeout(resolve, wait * timeScale));
            const lateMs = Math.max(0, nowMs() - t - wait * timeScale);
            skippedMs = Math.max(skippedMs, end + lateMs - Date.now());
        },
    };
}

function timedDriver(bundle: string, endpoint: string, timeScale: number): Timed {
    pointHandlerAt(endpoint);
    // The simulator runs in its own process: the driver waits (callbackDelaySeconds) on a clock scaled as the
    // simulator's is, and the handler measures its budget with handlerClockFor.
    const clock = clockFor(timeScale);
    installHandlerClock(handlerClockFor(timeScale));
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

/**
 * A connected store made through the handler at the set-up time scale; returns its id. A create that fails (on a
 * loaded machine a Run Command script may outlast the scale, see STORE_TIME_SCALE) is tried once more, at twice the
 * scale, after `again` has put the world back as the caller had it.
 */
async function makeStore(bundle: string, sim: { endpoint: string; control: SimControl }, again: () => Promise<unknown>): Promise<string> {
    for (let scale = SETUP_TIME_SCALE; ; scale *= 2) {
        await sim.control.config({ timeScale: scale, connectSeconds: SETUP_CONNECT_SECONDS, kmsRequestQuotas: true });
        const { driver } = timedDriver(bundle, sim.endpoint, scale);
        const r = await driver.create(defaultProperties());
        const id = r.model?.CustomKeyStoreId;
        if (r.status === 'SUCCESS' && typeof id === 'string') return id;
        const why = `${r.status} ${r.errorCode ?? ''} ${r.message}`;
        if (scale > SETUP_TIME_SCALE) throw new Error(`set-up create failed at time scale ${scale}: ${why}`);
        progress(`set-up create failed at time scale ${scale} (${why.slice(0, 200)}); once more at ${scale * 2}`);
        await again();
    }
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
    /** The scale this run had: CREATE_TIME_SCALE, or twice it when the run at CREATE_TIME_SCALE failed. */
    timeScale: number;
    /** Why the run at CREATE_TIME_SCALE failed, when it did. */
    firstAttemptFailed?: string;
    invocations: number;
    connectedToSuccessSimSeconds: number;
    longestInvocationSeconds: number;
    /** The driver's measure: real handler time / time scale (counts the handler's CPU and real script time 1/scale times). */
    longestInvocationSimSeconds: number;
    awsCalls: Record<string, number>;
    throttlingErrors: number;
    costUsd: number;
}

/** One create; a failure at CREATE_TIME_SCALE (a loaded machine, see STORE_TIME_SCALE) runs again at twice the scale. */
async function createRun(bundle: string, sim: { endpoint: string; control: SimControl }): Promise<CreateRun> {
    const first = await createAt(bundle, sim, CREATE_TIME_SCALE);
    if (typeof first !== 'string') return first;
    progress(`create failed at time scale ${CREATE_TIME_SCALE} (${first.slice(0, 200)}); this run again at ${CREATE_TIME_SCALE * 2}`);
    const second = await createAt(bundle, sim, CREATE_TIME_SCALE * 2);
    if (typeof second === 'string') throw new Error(`create failed at time scale ${CREATE_TIME_SCALE * 2}: ${second}`);
    return { ...second, firstAttemptFailed: first };
}

/** The run's figures, or why the create failed. */
async function createAt(bundle: string, sim: { endpoint: string; control: SimControl }, scale: number): Promise<CreateRun | string> {
    await sim.control.reset('default');
    await sim.control.config({ timeScale: scale, connectSeconds: CONNECT_SECONDS, kmsRequestQuotas: true });
    await sim.control.clearRequests();
    const t = timedDriver(bundle, sim.endpoint, scale);
    const r = await t.driver.create(defaultProperties());
    // simulated time of the SUCCESS: the clock now, less the real time since the last invocation returned
    const returned = nowMs();
    const clock = await sim.control.clock();
    const successSimMs = clock.now - (nowMs() - returned) / scale;
    if (r.status !== 'SUCCESS') return `${r.status} ${r.errorCode ?? ''} ${r.message}`;
    const requests = await sim.control.requests();
    const connect = requests.find((q) => q.operation === 'ConnectCustomKeyStore' && !q.errorType);
    if (!connect) throw new Error('the create never called ConnectCustomKeyStore');
    // The simulator turns the store CONNECTED connectSeconds after the Connect call (nothing holds the cluster then).
    const connectedSimMs = Date.parse(connect.time) + CONNECT_SECONDS * 1000;
    const handlerMs = handlerClockMs(t.logs, 'create');
    const cost = handlerMs.reduce((sum, ms) => sum + PRICE_PER_OPERATION + Math.max(0, ms / 1000 - 30) * PRICE_PER_SECOND_BEYOND_30, 0);
    return {
        status: r.status,
        timeScale: scale,
        invocations: r.events.length,
        connectedToSuccessSimSeconds: (successSimMs - connectedSimMs) / 1000,
        longestInvocationSeconds: Math.max(...handlerMs) / 1000,
        longestInvocationSimSeconds: Math.max(...t.wallMs) / 1000 / scale,
        awsCalls: countBy(requests),
        throttlingErrors: throttled(requests),
        costUsd: cost,
    };
}

interface DeleteRun {
    status: string;
    message: string;
    invocations: number;
    /** Real time in the handler, all invocations: at time scale 1 that is its handler time. */
    handlerSeconds: number;
    /** The longest invocation, by the handler's own log line. */
    longestInvocationSeconds: number;
    scanSeconds: number;
    kmsCalls: number;
    kmsCallsByOperation: Record<string, number>;
    /** KMS calls the simulator answered ThrottlingException (the SDK retries them). */
    throttlingErrors: number;
    /** A throttling error in what the handler returned (any event's error code or message): the issue's "no throttling error". */
    throttlingInResult: boolean;
    /** false when the simulator's request log may have dropped calls between two reads of it. */
    requestLogComplete: boolean;
}

/** What the delete's KMS calls add up to, read from the simulator's log while the delete runs (it keeps the last 20,000). */
interface KmsTally {
    calls: number;
    byOperation: Record<string, number>;
    throttled: number;
    firstListKeys: number;
    lastDescribeKey: number;
    complete: boolean;
}

/** Reads the request log every TALLY_EVERY_MS, from where the last read ended; `stop` reads the rest and returns the tally. */
function tallyKmsCalls(control: SimControl): { stop(): Promise<KmsTally> } {
    const t: KmsTally = { calls: 0, byOperation: {}, throttled: 0, firstListKeys: Infinity, lastDescribeKey: -Infinity, complete: true };
    let since = 0;
    const read = async (): Promise<void> => {
        const batch = await control.requests({ since });
        if (batch.length >= SIM_REQUEST_LOG) t.complete = false;
        for (const q of batch) {
            since = Math.max(since, q.seq);
            if (q.service !== 'kms') continue;
            t.calls++;
            t.byOperation[`kms:${q.operation}`] = (t.byOperation[`kms:${q.operation}`] ?? 0) + 1;
            if (q.errorType === 'ThrottlingException') t.throttled++;
            const at = Date.parse(q.time);
            if (q.operation === 'ListKeys') t.firstListKeys = Math.min(t.firstListKeys, at);
            if (q.operation === 'DescribeKey') t.lastDescribeKey = Math.max(t.lastDescribeKey, at);
        }
    };
    // a read that fails is retried by the next one (`since` only moves on what was read)
    let reading = Promise.resolve();
    const timer = setInterval(() => {
        reading = reading.then(read).catch((err: unknown) => progress(`reading the request log failed (${String(err)}); the next read catches up`));
    }, TALLY_EVERY_MS);
    return {
        async stop() {
            clearInterval(timer);
            await reading;
            await read();
            t.byOperation = Object.fromEntries(Object.entries(t.byOperation).sort(([a], [b]) => a.localeCompare(b)));
            return t;
        },
    };
}

const THROTTLING = /throttl|rate exceeded|exceeded the rate/i;

async function deleteRun(bundle: string, sim: { endpoint: string; control: SimControl }, keys: number): Promise<DeleteRun> {
    // the account's keys are already there (deletePart): a new store beside them
    const id = await makeStore(bundle, sim, () => freshAccount(sim, keys));
    await sim.control.addFault({ service: 'kms', operation: '*', delayMs: KMS_LATENCY_MS, times: -1 });
    // Real time: the quotas' simulated seconds are real seconds, and so is every wait of the delete.
    await sim.control.config({ timeScale: 1 });
    await sim.control.clearRequests();
    const t = timedDriver(bundle, sim.endpoint, 1);
    const tally = tallyKmsCalls(sim.control);
    let k: KmsTally;
    let r: Awaited<ReturnType<Driver['delete']>>;
    try {
        r = await t.driver.delete({ ...defaultProperties(), CustomKeyStoreId: id });
    } finally {
        k = await tally.stop();
    }
    await sim.control.clearFaults();
    if (r.status !== 'SUCCESS') throw new Error(`delete failed: ${r.errorCode ?? ''} ${r.message}`);
    if (k.byOperation['kms:DescribeKey'] === undefined && keys > 0) progress('the delete described no key: the scan did not run');
    const responses = r.events.map((e) => e.response);
    return {
        status: r.status,
        message: r.message,
        invocations: r.events.length,
        handlerSeconds: t.wallMs.reduce((a, b) => a + b, 0) / 1000,
        longestInvocationSeconds: Math.max(0, ...handlerClockMs(t.logs, 'delete')) / 1000,
        // first ListKeys to the last DescribeKey's arrival, plus that call's latency
        scanSeconds: (k.lastDescribeKey - k.firstListKeys + KMS_LATENCY_MS) / 1000,
        kmsCalls: k.calls,
        kmsCallsByOperation: k.byOperation,
        throttlingErrors: k.throttled,
        throttlingInResult:
            responses.some((e) => THROTTLING.test(`${e.errorCode ?? ''} ${e.message ?? ''}`)) || THROTTLING.test(`${r.errorCode ?? ''} ${r.message}`),
        requestLogComplete: k.complete,
    };
}

type Sim = { endpoint: string; control: SimControl };

async function runtimePart(args: Args, work: string, bundle: string, stock: string, sim: Sim) {
    await sim.control.reset('default');
    const storeId = await makeStore(bundle, sim, () => sim.control.reset('default'));
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
    await sim.control.clearRequests();
    const withCache = hasCompileCache();
    if (!withCache) progress(`Node ${process.version} has no module compile cache (Node >= 22.1 has): those rows are skipped`);
    const cold: Record<Layout, ColdRun[]> = { bundle: [], stock: [] };
    const plain: Record<Layout, ColdRun[]> = { bundle: [], stock: [] };
    const filling: Record<Layout, ColdRun[]> = { bundle: [], stock: [] };
    const cached: Record<Layout, ColdRun[]> = { bundle: [], stock: [] };
    const cacheSize: Partial<Record<Layout, Size>> = {};
    for (let n = 0; n < args.runs; n++) {
        // alternate which layout goes first, so neither always gets the warmer page cache
        const order: Layout[] = n % 2 ? ['stock', 'bundle'] : ['bundle', 'stock'];
        for (const layout of order) {
            const dir = layout === 'bundle' ? bundle : stock;
            progress(`cold start + ${args.warm} warm Reads, ${layout}, run ${n + 1}/${args.runs}`);
            cold[layout].push(coldRun(work, dir, requestFile, sim.endpoint, args.warm, `${n}`));
            plain[layout].push(coldRun(work, dir, plainFile, sim.endpoint, 0, `no-logging-${n}`));
            if (!withCache) continue;
            // a new, empty cache directory: the first run compiles and writes it, the next one reads it
            const cache = path.join(work, `compile-cache-${layout}-${n}`);
            filling[layout].push(coldRun(work, dir, requestFile, sim.endpoint, 0, `cache-fill-${n}`, cache));
            for (const k of [1, 2]) cached[layout].push(coldRun(work, dir, requestFile, sim.endpoint, 0, `cache-read-${n}-${k}`, cache));
            cacheSize[layout] ??= measureSize(cache, readdirSync(cache), path.join(work, `compile-cache-${layout}.zip`));
        }
    }
    const requests = await sim.control.requests({ service: 'kms' });
    const cacheFig = (runs: ColdRun[], pick: (r: ColdRun) => number | undefined): Figure | undefined => {
        const values = runs.map(pick).filter((x): x is number => x !== undefined);
        return values.length ? figure(values) : undefined;
    };
    const fig = (layout: Layout): RuntimeFigures => ({
        coldStartMs: figure(cold[layout].map((r) => r.coldMs)),
        coldStartNoLoggingMs: figure(plain[layout].map((r) => r.coldMs)),
        firstReadAwsCalls: figure(cold[layout].map((r) => r.first.calls)),
        nodeBootMs: figure(cold[layout].map((r) => r.bootMs)),
        loadMs: figure(cold[layout].map((r) => r.loadMs)),
        firstReadMs: figure(cold[layout].map((r) => r.first.wallMs)),
        compileCache: withCache
            ? {
                  loadFillingMs: cacheFig(filling[layout], (r) => r.loadMs),
                  loadCachedMs: cacheFig(cached[layout], (r) => r.loadMs),
                  coldStartFillingMs: cacheFig(filling[layout], (r) => r.coldMs),
                  coldStartCachedMs: cacheFig(cached[layout], (r) => r.coldMs),
                  flushMs: cacheFig(filling[layout], (r) => r.flushMs),
                  size: cacheSize[layout],
              }
            : undefined,
        // every warm Read of every run: handler time minus its AWS time, and handler time
        warmOverheadMs: spread(cold[layout].flatMap((r) => r.warm.map((w) => w.wallMs - w.awsMs))),
        warmWallMs: spread(cold[layout].flatMap((r) => r.warm.map((w) => w.wallMs))),
        warmAwsCallsPerRead: figure(cold[layout].flatMap((r) => r.warm.map((w) => w.calls))),
    });
    const versions = [...new Set(Object.values(cold).flatMap((runs) => runs.map((r) => r.nodeVersion)))];
    return { nodeVersion: versions.join(', '), bundle: fig('bundle'), stock: fig('stock'), throttledCalls: throttled(requests) };
}

async function createPart(args: Args, bundle: string, sim: Sim) {
    const creates: CreateRun[] = [];
    for (let n = 0; n < args.runs; n++) {
        progress(`create with a ${CONNECT_SECONDS / 60}-minute connect at time scale ${CREATE_TIME_SCALE}, run ${n + 1}/${args.runs}`);
        creates.push(await createRun(bundle, sim));
    }
    return {
        timeScale: CREATE_TIME_SCALE,
        /** Runs that failed at CREATE_TIME_SCALE and were run again at twice it. */
        runsAtTwiceTheScale: creates.filter((c) => c.firstAttemptFailed !== undefined).length,
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

/** A new world whose account holds `keys` KMS keys, in no custom key store. */
async function freshAccount(sim: Sim, keys: number): Promise<void> {
    await sim.control.reset('default');
    for (let left = keys; left > 0; left -= KEYS_PER_PUT) await sim.control.putKeys(Math.min(left, KEYS_PER_PUT));
}

async function deletePart(args: Args, bundle: string, sim: Sim) {
    // One account for every run: its keys are put once; each run makes a store beside them and deletes it.
    progress(`putting ${args.keys} KMS keys in the simulated account`);
    await freshAccount(sim, args.keys);
    const deletes: DeleteRun[] = [];
    for (let n = 0; n < args.deleteRuns; n++) {
        progress(`delete with ${args.keys} KMS keys, ${KMS_LATENCY_MS} ms per KMS call, run ${n + 1}/${args.deleteRuns}`);
        deletes.push(await deleteRun(bundle, sim, args.keys));
    }
    return {
        keys: args.keys,
        runs: args.deleteRuns,
        kmsLatencyMs: KMS_LATENCY_MS,
        handlerSeconds: figure(deletes.map((d) => d.handlerSeconds)),
        longestInvocationSeconds: figure(deletes.map((d) => d.longestInvocationSeconds)),
        scanSeconds: figure(deletes.map((d) => d.scanSeconds)),
        invocations: figure(deletes.map((d) => d.invocations)),
        kmsCalls: figure(deletes.map((d) => d.kmsCalls)),
        throttlingErrors: figure(deletes.map((d) => d.throttlingErrors)),
        throttlingInResult: deletes.some((d) => d.throttlingInResult),
        requestLogComplete: deletes.every((d) => d.requestLogComplete),
        kmsCallsByOperation: deletes[0].kmsCallsByOperation,
        perRun: deletes,
    };
}

type Layout = 'bundle' | 'stock';
type RuntimeFigures = Record<
    'coldStartMs' | 'coldStartNoLoggingMs' | 'firstReadAwsCalls' | 'nodeBootMs' | 'loadMs' | 'firstReadMs' | 'warmAwsCallsPerRead',
    Figure
> &
    Record<'warmOverheadMs' | 'warmWallMs', Spread> & {
        /** Node's module compile cache: the run that fills a new cache directory, and the next run, which reads it. */
        compileCache?: {
            loadFillingMs?: Figure;
            loadCachedMs?: Figure;
            coldStartFillingMs?: Figure;
            coldStartCachedMs?: Figure;
            flushMs?: Figure;
            size?: Size;
        };
    };

// ---- report ----------------------------------------------------------------------------------------------------------

function machine(): Record<string, string | number> {
    const model = /model name\s*:\s*(.+)/.exec(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1] ?? cpus()[0]?.model ?? 'unknown';
    const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
    return {
        nproc: Number(nproc) || cpus().length,
        cpu: model.trim(),
        node: process.version,
        nodePath: process.execPath,
        platform: `${process.platform} ${process.arch}`,
        // the 1-minute load average when the bench started: anything else running shows here
        loadAverageAtStart: round(loadavg()[0], 2),
    };
}

const verdict = (ok: boolean): string => (ok ? 'holds' : 'MISSED');

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    quiet = args.json;
    const started = nowMs();
    const host = machine();
    const work = mkdtempSync(path.join(tmpdir(), 'keystore-bench-'));
    let sim: Awaited<ReturnType<typeof startSim>> | undefined;
    try {
        progress(`working in ${work}; Node ${process.version} (${process.execPath}) for the cold starts too`);
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
            deleteScanWithin60s: del && del.keys <= DELETE_SCAN_TARGET.keys ? del.scanSeconds.max <= DELETE_SCAN_TARGET.scanSeconds : 'skipped',
            deleteWithin5Minutes: del && del.keys <= DELETE_HANDLER_TARGET.keys ? del.handlerSeconds.max <= DELETE_HANDLER_TARGET.handlerSeconds : 'skipped',
            deleteNoThrottlingError: del ? !del.throttlingInResult : 'skipped',
        };
        const report: Report = {
            machine: { ...host, loadAverageAtEnd: round(loadavg()[0], 2) },
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
    runtime?: Awaited<ReturnType<typeof runtimePart>>;
    coldStartRatio?: number;
    create?: Awaited<ReturnType<typeof createPart>>;
    delete?: Awaited<ReturnType<typeof deletePart>>;
    costCounting: string;
    targets: Record<string, boolean | 'skipped'>;
};

function printTable(r: Report): void {
    const mb = (b: number) => `${round(b / 1024 / 1024, 2)} MB`;
    const v = (key: string) => (r.targets[key] === 'skipped' ? 'skipped' : verdict(r.targets[key] === true));
    const ms = (f: Figure | undefined) => (f ? fmt(f, 'ms', 0) : 'n/a');
    const rows: string[][] = [
        ['figure', 'shipped bundle', 'stock cfn layout', 'target'],
        ['artifact, zipped', mb(r.size.bundle.zippedBytes), mb(r.size.stock.zippedBytes), `<= 2 MB: ${v('bundleZippedAtMost2MB')}`],
        ['artifact, unzipped', mb(r.size.bundle.unzippedBytes), mb(r.size.stock.unzippedBytes), ''],
    ];
    const rt = r.runtime;
    if (rt) {
        rows.push(
            [
                `cold start: new process (Node ${rt.nodeVersion}), load + one Read`,
                ms(rt.bundle.coldStartMs),
                ms(rt.stock.coldStartMs),
                `<= 1/3 of stock (${round(r.coldStartRatio ?? 0, 2)}): ${v('coldStartAtMostAThirdOfStock')}`,
            ],
            ['  Node start-up (before the handler)', ms(rt.bundle.nodeBootMs), ms(rt.stock.nodeBootMs), ''],
            ['  loading the handler module, no compile cache', ms(rt.bundle.loadMs), ms(rt.stock.loadMs), ''],
            [`  the first Read (${rt.bundle.firstReadAwsCalls.median} AWS calls: logging on)`, ms(rt.bundle.firstReadMs), ms(rt.stock.firstReadMs), ''],
            [
                'cold start, no logging configuration',
                ms(rt.bundle.coldStartNoLoggingMs),
                ms(rt.stock.coldStartNoLoggingMs),
                `ratio ${round(rt.bundle.coldStartNoLoggingMs.median / rt.stock.coldStartNoLoggingMs.median, 2)}`,
            ],
        );
        const b = rt.bundle.compileCache;
        const s = rt.stock.compileCache;
        if (b && s) {
            const cacheSize = (c: typeof b) => (c.size ? `${mb(c.size.unzippedBytes)}, ${mb(c.size.zippedBytes)} zipped` : 'n/a');
            rows.push(
                ['module load, Node compile cache (NODE_COMPILE_CACHE):', '', '', ''],
                ['  first run, empty cache (compiles, fills it)', ms(b.loadFillingMs), ms(s.loadFillingMs), ''],
                ['  later run, filled cache (reads it)', ms(b.loadCachedMs), ms(s.loadCachedMs), ''],
                ['  writing the cache (module.flushCompileCache)', ms(b.flushMs), ms(s.flushMs), ''],
                ['  cold start with the filled cache', ms(b.coldStartCachedMs), ms(s.coldStartCachedMs), ''],
                ['  the cache on disk', cacheSize(b), cacheSize(s), ''],
            );
        } else rows.push(['module load, Node compile cache', 'n/a (Node < 22.1)', 'n/a (Node < 22.1)', '']);
        rows.push(
            [
                'warm Read: handler time minus AWS time',
                fmtSpread(rt.bundle.warmOverheadMs, 'ms'),
                fmtSpread(rt.stock.warmOverheadMs, 'ms'),
                `median <= 50 ms: ${v('warmOverheadAtMost50ms')}`,
            ],
            ['warm Read: handler time', fmtSpread(rt.bundle.warmWallMs, 'ms'), fmtSpread(rt.stock.warmWallMs, 'ms'), ''],
        );
    }
    const c = r.create;
    if (c) {
        rows.push(
            [
                `create, 20-min connect (scale ${c.timeScale}${c.runsAtTwiceTheScale ? `; ${c.runsAtTwiceTheScale} run(s) again at ${c.timeScale * 2}` : ''}): CONNECTED -> SUCCESS`,
                `${fmt(c.connectedToSuccessSimSeconds, 's')} simulated`,
                '',
                `<= 10 s: ${v('connectedToSuccessAtMost10s')}`,
            ],
            ['  invocations', fmt(c.invocations, '', 0), '', `<= 60: ${v('invocationsAtMost60')}`],
            ['  longest invocation (handler clock)', fmt(c.longestInvocationSeconds, 's'), '', `<= 30 s: ${v('noInvocationOver30s')}`],
            ['  longest invocation (real time / scale)', fmt(c.longestInvocationSimSeconds, 's'), '', ''],
            ['  handler-operation cost', `$${round(c.costUsd.median, 4)} ($${round(c.costUsd.min, 4)}-$${round(c.costUsd.max, 4)})`, '', ''],
            ['  throttled KMS calls (quotas on; the SDK retries them)', fmt(c.throttlingErrors, '', 0), '', ''],
        );
    }
    const d = r.delete;
    if (d) {
        const scanTarget = r.targets.deleteScanWithin60s === 'skipped' ? '' : `<= ${DELETE_SCAN_TARGET.scanSeconds} s: ${v('deleteScanWithin60s')}`;
        const handlerTarget =
            r.targets.deleteWithin5Minutes === 'skipped' ? '' : `<= ${DELETE_HANDLER_TARGET.handlerSeconds / 60} min: ${v('deleteWithin5Minutes')}`;
        const runs = d.runs === 1 ? '1 run' : `${d.runs} runs`;
        rows.push(
            [
                `delete, ${d.keys.toLocaleString('en-US')} keys, ${d.kmsLatencyMs} ms per KMS call (${runs}): handler time`,
                fmt(d.handlerSeconds, 's'),
                '',
                handlerTarget,
            ],
            ['  key scan (first ListKeys to last DescribeKey)', fmt(d.scanSeconds, 's'), '', scanTarget],
            ['  invocations', fmt(d.invocations, '', 0), '', ''],
            ['  longest invocation (handler clock)', fmt(d.longestInvocationSeconds, 's'), '', ''],
            [`  KMS calls${d.requestLogComplete ? '' : ' (log incomplete)'}`, fmt(d.kmsCalls, '', 0), '', ''],
            ['  throttled KMS calls (quotas on; the SDK retries them)', fmt(d.throttlingErrors, '', 0), '', ''],
            ["  throttling error in the handler's result", d.throttlingInResult ? 'yes' : 'no', '', `none: ${v('deleteNoThrottlingError')}`],
        );
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
    const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
    const out = [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)];
    const m = r.machine;
    console.log(
        `Machine: ${m.nproc} CPUs (${m.cpu}), Node ${m.node} (${m.nodePath}), ${m.platform}; load average ${m.loadAverageAtStart} at the start, ${m.loadAverageAtEnd} at the end.`,
    );
    console.log(
        `${r.runs} runs each (the delete: ${d ? d.runs : '-'}), median (min-max); warm Reads: median, p95 (min-max) of all of them; ${r.totalSeconds} s in all.\n`,
    );
    console.log(out.join('\n'));
    if (rt) console.log(`\nThrottled KMS calls during the cold starts and warm Reads (quotas on): ${rt.throttledCalls}`);
    if (c)
        console.log(
            `Create, AWS calls by operation (first run): ${Object.entries(c.awsCallsByOperation)
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
        // fetch's "fetch failed" says why only in its cause
        if (err instanceof Error && err.cause !== undefined) console.error('cause:', err.cause);
        process.exit(1);
    });
}
