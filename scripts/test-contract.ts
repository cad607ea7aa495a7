/**
 * `npm run test:contract [-- --type store|key] [--artifact DIR] [--repeat N]`: the official CloudFormation contract
 * suite (`cfn test`, the `cfn` on PATH) against `npm run local -- serve`, then a look at the simulator for anything
 * the suite left behind. Runs the suite N times (default 1) against the same server, so a second run proves the
 * first left nothing in its way. Exits with cfn test's status, or 1 when something was left behind.
 * - `--type store` (default): Custom::KMS::CloudHsmKeyStore in the repository root, function TypeFunction; nothing may
 *   remain (key stores, records, kmsuser, live bootstrap secrets).
 * - `--type key`: Custom::KMS::CloudHsmKey in key/, function KeyTypeFunction. Its inputs name a key store, so one is
 *   made first through TypeFunction (the real key store handler) and the suite runs in a copy of key/ whose inputs
 *   carry that store's id; no key of the store may remain outside PendingDeletion. Last, the key store's delete
 *   must keep the store (its keys are pending deletion) and say until when.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { createInterface } from 'readline';
import { join, resolve } from 'path';
import { parseCli } from '../local/cli-args';
import { Driver } from '../local/driver';
import { defaultProperties } from '../local/harness';
import { DEFAULT_SCENARIO } from '../local/sim';
import { lambdaInvoker } from '../local/lambda-endpoint';
import { loadSchema } from '../local/schema';

/** The key store id key/inputs name; replaced by the id of the store made for the run. */
const INPUTS_STORE_ID = 'cks-0123456789abcdef0';
const ROOT = join(__dirname, '..');
const INSTALL_HINT = [
    'cfn (the CloudFormation CLI) is not on PATH. Install it with',
    '    pip install cloudformation-cli cloudformation-cli-typescript-plugin',
    'or put a copy you already have on PATH:  PATH="/path/to/cfn-cli:$PATH" npm run test:contract',
].join('\n');

const USAGE = `usage: npm run test:contract -- [--type store|key] [--artifact DIR] [--repeat N]
  the official contract suite (cfn test, the cfn on PATH) against npm run local -- serve, then a look for leftovers
  --type store|key   Custom::KMS::CloudHsmKeyStore (store, the default; function TypeFunction) or
                     Custom::KMS::CloudHsmKey (key; in a copy of key/ against KeyTypeFunction)
  --artifact DIR     serve the built handler in DIR (make artifact ARTIFACTS_DIR=DIR), not src/
  --repeat N         run the suite N times against the same server, a whole number >= 1 (default 1)
  -h, --help         this text`;

/** The arguments, checked before cfn is looked for or anything starts. */
function options() {
    const cli = parseCli({
        program: 'test:contract',
        usage: USAGE,
        options: { type: { type: 'string' }, artifact: { type: 'string' }, repeat: { type: 'string' } },
    });
    const type = cli.oneOf('type', ['store', 'key'] as const, 'store');
    const repeat = cli.integer('repeat', 1, { min: 1 });
    const artifact = cli.string('artifact') || undefined;
    if (artifact && !['dist/handlers.js', 'handlers.js'].some((f) => existsSync(resolve(ROOT, artifact, f)))) {
        cli.fail(`--artifact ${artifact} holds no built handler (dist/handlers.js); build one with: make artifact ARTIFACTS_DIR=${artifact}`);
    }
    return { type, repeat, artifact };
}

function cfnOnPath(): boolean {
    return spawnSync('sh', ['-c', 'command -v cfn'], { stdio: 'ignore' }).status === 0;
}

/** Starts `serve` on free ports and resolves with its two endpoints once it prints them. */
function startServe(artifact: string | undefined): Promise<{ child: ChildProcess; lambda: string; sim: string }> {
    const args = ['--tsconfig', 'tsconfig.run.json', 'local/cli.ts', 'serve', '--port', '0', '--sim-port', '0', ...(artifact ? ['--artifact', artifact] : [])];
    const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
        let lambda: string | undefined;
        let sim: string | undefined;
        const lines = createInterface({ input: child.stdout! });
        lines.on('line', (line) => {
            if (lambda && sim) return; // the handler's own log lines: drained, not shown
            process.stdout.write(`[serve] ${line}\n`);
            lambda ??= /^LAMBDA_ENDPOINT=(\S+)/.exec(line)?.[1];
            sim ??= /^SIM_ENDPOINT=(\S+)/.exec(line)?.[1];
            if (lambda && sim) resolve({ child, lambda, sim });
        });
        child.on('exit', (code) => reject(new Error(`serve exited (${code}) before it printed its endpoints`)));
    });
}

function runCfnTest(endpoint: string, cwd: string, functionName: string): number {
    const r = spawnSync(
        'cfn',
        [
            'test',
            '--endpoint',
            endpoint,
            '--function-name',
            functionName,
            '--region',
            'us-east-1',
            '--enforce-timeout',
            '60',
            '--',
            '-q',
            '-o',
            'log_cli=false',
        ],
        {
            cwd,
            stdio: 'inherit',
        },
    );
    return r.status ?? 1;
}

interface SimState {
    keys: Array<{ keyId: string; customKeyStoreId?: string; keyState: string; deletionDate?: string }>;
    stores: Array<{ id: string }>;
    parameters: Record<string, string>;
    clusters: Array<{ id: string; users: Array<{ username: string }> }>;
    secrets: Array<{ name: string; deleted: boolean }>;
}

async function leftovers(sim: string): Promise<string[]> {
    const state = (await (await fetch(`${sim}/_sim/state`)).json()) as SimState;
    const found: string[] = [];
    for (const s of state.stores) found.push(`key store ${s.id}`);
    for (const name of Object.keys(state.parameters)) found.push(`parameter ${name}`);
    for (const c of state.clusters) if (c.users.some((u) => u.username === 'kmsuser')) found.push(`kmsuser in ${c.id}`);
    for (const s of state.secrets) if (s.name.includes('/kmsuser-bootstrap/') && !s.deleted) found.push(`bootstrap secret ${s.name}`);
    return found;
}

async function keyLeftovers(sim: string, storeId: string): Promise<string[]> {
    const state = (await (await fetch(`${sim}/_sim/state`)).json()) as SimState;
    return state.keys.filter((k) => k.customKeyStoreId === storeId && k.keyState !== 'PendingDeletion').map((k) => `key ${k.keyId} (${k.keyState})`);
}

/** A key store made by the real key store handler through the Lambda endpoint, as a stack would make it. */
function storeDriver(lambda: string): Driver {
    return new Driver({
        entrypoint: lambdaInvoker(lambda, 'TypeFunction'),
        schema: loadSchema(),
        logicalResourceId: 'ContractKeyStore',
        log: (l) => console.log(l),
    });
}

/** The account key/inputs' key policies name: a placeholder, as a user would put their own account there. */
const INPUTS_ACCOUNT = '123456789012';

/** A copy of key/ whose inputs name the given key store, and whose key policies delegate to the simulated account. */
function keyProject(storeId: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'cfn-test-key-'));
    cpSync(join(ROOT, 'key'), dir, { recursive: true });
    for (const f of readdirSync(join(dir, 'inputs'))) {
        const path = join(dir, 'inputs', f);
        const text = readFileSync(path, 'utf8').split(INPUTS_STORE_ID).join(storeId);
        // KMS authorizes DescribeKey by the key policy, so a policy of another account would lock the caller out.
        writeFileSync(path, text.split(`arn:aws:iam::${INPUTS_ACCOUNT}:root`).join(`arn:aws:iam::${DEFAULT_SCENARIO.accountId}:root`));
    }
    return dir;
}

interface Suite {
    cwd: string;
    functionName: string;
    leftovers(): Promise<string[]>;
    /** After every run passed: what else must hold. */
    finish(): Promise<number>;
    cleanup(): void;
}

async function suiteFor(type: string, serve: { lambda: string; sim: string }): Promise<Suite> {
    if (type === 'store')
        return { cwd: ROOT, functionName: 'TypeFunction', leftovers: () => leftovers(serve.sim), finish: async () => 0, cleanup: () => undefined };
    const stores = storeDriver(serve.lambda);
    const props = defaultProperties();
    const made = await stores.create(props);
    if (made.status !== 'SUCCESS' || !made.model)
        throw new Error(`the key store for the key's contract tests was not made: ${made.status} ${made.errorCode ?? ''} ${made.message}`);
    const storeId = String(made.model.CustomKeyStoreId);
    console.log(`[test:contract] key store ${storeId} made through TypeFunction for the key's inputs`);
    const cwd = keyProject(storeId);
    return {
        cwd,
        functionName: 'KeyTypeFunction',
        leftovers: () => keyLeftovers(serve.sim, storeId),
        cleanup: () => rmSync(cwd, { recursive: true, force: true }),
        async finish() {
            const deleted = await stores.delete({ ...props, CustomKeyStoreId: storeId });
            console.log(`[test:contract] the key store's delete: ${deleted.status} - ${deleted.message}`);
            return deleted.status === 'SUCCESS' && /pending deletion/.test(deleted.message) ? 0 : 1;
        },
    };
}

async function main(): Promise<number> {
    const { type, repeat, artifact } = options();
    if (!cfnOnPath()) {
        console.error(INSTALL_HINT);
        return 127;
    }
    const serve = await startServe(artifact);
    let suite: Suite | undefined;
    try {
        suite = await suiteFor(type, serve);
        for (let run = 1; run <= repeat; run++) {
            console.log(`[test:contract] cfn test (${type}), run ${run} of ${repeat}, against ${serve.lambda}`);
            const status = runCfnTest(serve.lambda, suite.cwd, suite.functionName);
            if (status !== 0) return status;
            const left = await suite.leftovers();
            if (left.length) {
                console.error(`[test:contract] the suite left behind: ${left.join(', ')}`);
                return 1;
            }
            console.log('[test:contract] nothing left behind in the simulator');
        }
        return await suite.finish();
    } finally {
        suite?.cleanup();
        serve.child.kill('SIGTERM');
    }
}

main().then(
    (code) => process.exit(code),
    (err) => {
        console.error(err instanceof Error ? err.message : err);
        process.exit(1);
    },
);
