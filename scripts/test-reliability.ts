/**
 * `npm run test:reliability`: runs the reliability suites (workflow fault, replay, crash and secret tests with
 * the fakes; the kmsuser script under real shells; end to end against the simulator) with jest, and prints the
 * totals the tests themselves counted (test/reliability/figures.ts): fault cases, replayed invocations, crash
 * points, secret probes, bad inputs, races; tests passed; leftovers and leaks found. Exits non-zero when a test
 * fails or anything was left behind or leaked.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { sumFigures } from '../test/reliability/figures';

const SUITES = ['test/workflow', 'test/kmsuser-script.test.ts', 'test/e2e'];

const dir = mkdtempSync(join(tmpdir(), 'reliability-'));
const figuresFile = join(dir, 'figures.jsonl');
const resultsFile = join(dir, 'jest.json');
writeFileSync(figuresFile, '');
try {
    const jest = spawnSync('npx', ['jest', ...SUITES, '--json', '--outputFile', resultsFile, ...process.argv.slice(2)], {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, RELIABILITY_FIGURES_FILE: figuresFile },
    });
    const totals = sumFigures(readFileSync(figuresFile, 'utf8'));
    const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as { numTotalTests: number; numPassedTests: number; numFailedTests: number };
    const rows: Array<[string, number | string]> = [
        ['fault cases', totals.faultCases],
        ['replayed invocations', totals.replayedInvocations],
        ['crash points', totals.crashPoints],
        ['secret probes', totals.secretProbes],
        ['bad inputs', totals.badInputs],
        ['races', totals.races],
        ['tests passed', `${results.numPassedTests} of ${results.numTotalTests}`],
        ['leftovers found', totals.leftoversFound],
        ['leaks found', totals.leaksFound],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(`\nReliability (${SUITES.join(', ')})\n`);
    for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
    const clean = totals.leftoversFound === 0 && totals.leaksFound === 0;
    process.exitCode = jest.status === 0 && results.numFailedTests === 0 && clean ? 0 : 1;
} finally {
    rmSync(dir, { recursive: true, force: true });
}
