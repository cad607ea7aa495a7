/**
 * `npm run test:contract [-- --artifact DIR] [--repeat N]`: the official CloudFormation contract suite
 * (`cfn test`, the `cfn` on PATH) against `npm run local -- serve`, then a look at the simulator for anything
 * the suite left behind (key stores, records, kmsuser, live bootstrap secrets). Runs the suite N times
 * (default 1) against the same server, so a second run proves the first left nothing in its way.
 * Exits with cfn test's status, or 1 when something was left behind.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { createInterface } from 'readline';
import { join } from 'path';

const ROOT = join(__dirname, '..');
const INSTALL_HINT = [
    'cfn (the CloudFormation CLI) is not on PATH. Install it with',
    '    pip install cloudformation-cli cloudformation-cli-typescript-plugin',
    'or, in the team workspace, put the offline copy on PATH:',
    '    PATH="$PWD/../shared/cfn-cli:$PATH" npm run test:contract',
].join('\n');

function flag(name: string): string | undefined {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
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

function runCfnTest(endpoint: string): number {
    const r = spawnSync('cfn', ['test', '--endpoint', endpoint, '--function-name', 'TypeFunction', '--region', 'us-east-1', '--enforce-timeout', '60', '--', '-q', '-o', 'log_cli=false'], {
        cwd: ROOT,
        stdio: 'inherit',
    });
    return r.status ?? 1;
}

interface SimState {
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

async function main(): Promise<number> {
    if (!cfnOnPath()) {
        console.error(INSTALL_HINT);
        return 127;
    }
    const repeat = Number(flag('repeat') ?? 1);
    const serve = await startServe(flag('artifact'));
    try {
        for (let run = 1; run <= repeat; run++) {
            console.log(`[test:contract] cfn test, run ${run} of ${repeat}, against ${serve.lambda}`);
            const status = runCfnTest(serve.lambda);
            if (status !== 0) return status;
            const left = await leftovers(serve.sim);
            if (left.length) {
                console.error(`[test:contract] the suite left behind: ${left.join(', ')}`);
                return 1;
            }
            console.log('[test:contract] nothing left behind in the simulator');
        }
        return 0;
    } finally {
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
