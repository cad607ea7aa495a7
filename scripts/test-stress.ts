/**
 * `npm run test:stress`: runs a test command (default `npm test`) several times in a row while CPU-burning
 * processes, one per core, run beside it. Every run must pass: a test that passes only on an idle machine is a
 * failing test. Prints each run's result and wall time; exits 1 if any run failed.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { parseCli } from '../local/cli-args';

const USAGE = `usage: npm run test:stress -- [--runs N] [--burners N] [-- COMMAND ...]
  --runs N       how many times to run the command, one after the other (default 3)
  --burners N    CPU-burning processes beside it (default: one per core, ${availableParallelism()} here)
  COMMAND        what to run (default: npm test)
  -h, --help     this text`;

const cli = parseCli({
    program: 'test:stress',
    usage: USAGE,
    options: { runs: { type: 'string' }, burners: { type: 'string' } },
    operands: { name: 'COMMAND', max: Infinity },
});
const runs = cli.integer('runs', 3);
const burnerCount = cli.integer('burners', availableParallelism());
const [command, ...args] = cli.operands.length ? cli.operands : ['npm', 'test'];

const burners: ChildProcess[] = [];
function startBurners(): void {
    // Bounded: each burner ends by itself after an hour, and all are killed when this script ends.
    for (let i = 0; i < burnerCount; i++) {
        burners.push(spawn(process.execPath, ['-e', 'const end = Date.now() + 3600e3; while (Date.now() < end) {}'], { stdio: 'ignore' }));
    }
}
function stopBurners(): void {
    for (const b of burners) b.kill('SIGKILL');
    burners.length = 0;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
        stopBurners();
        process.exit(130);
    });
}

function runOnce(): Promise<number> {
    return new Promise((resolve) => {
        const child = spawn(command, args, { stdio: 'inherit' });
        child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
        child.on('error', (e) => {
            process.stderr.write(`test:stress: could not start ${command}: ${e.message}\n`);
            resolve(127);
        });
    });
}

async function main(): Promise<void> {
    const results: Array<{ code: number; seconds: number }> = [];
    startBurners();
    try {
        for (let i = 1; i <= runs; i++) {
            process.stdout.write(`\ntest:stress: run ${i} of ${runs}: ${[command, ...args].join(' ')} beside ${burnerCount} CPU burner(s)\n`);
            const started = Date.now();
            const code = await runOnce();
            results.push({ code, seconds: (Date.now() - started) / 1000 });
        }
    } finally {
        stopBurners();
    }
    process.stdout.write('\ntest:stress summary\n');
    results.forEach((r, i) => process.stdout.write(`  run ${i + 1}: ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`} in ${r.seconds.toFixed(0)} s\n`));
    const failed = results.filter((r) => r.code !== 0).length;
    process.stdout.write(`${runs - failed} passed, ${failed} failed\n`);
    process.exitCode = failed ? 1 : 0;
}

void main();
