/**
 * The README's example of `npm run local` is what a run prints: every line it shows (but `...`) is a line of a real
 * run, once ids, dates and real times are set aside. Simulated times are compared as they are: virtual time makes
 * them the same on every machine.
 */
import { execFile } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { promisify } from 'util';
import { ROOT } from './support';

jest.setTimeout(120_000);

/** The first fenced block after the sentence that introduces the example. */
function example(): string[] {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const at = readme.indexOf('look like this:');
    if (at < 0) throw new Error('README.md no longer introduces the npm run local example with "look like this:"');
    const block = /```\n([\s\S]*?)```/.exec(readme.slice(at));
    if (!block) throw new Error('no code block after the npm run local example');
    return block[1].split('\n').filter((l) => l.trim() !== '' && l.trim() !== '...');
}

/** What differs between two runs: generated ids, the clock's dates, and real (wall) times. */
const normalize = (line: string) =>
    line
        .replace(/cks-[0-9a-f]{17}/g, 'cks-ID')
        .replace(/cks-[0-9a-f]{1,16}…/g, 'cks-ID…')
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'KEY-ID')
        .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, 'DATE')
        .replace(/real \d+\.\d+s/g, 'real N.Ns')
        .replace(/\d+\.\d+s real/g, 'N.Ns real')
        .trimEnd();

test('every line of the README example of npm run local is a line of a real run', async () => {
    const { stdout } = await promisify(execFile)(join(ROOT, 'node_modules', '.bin', 'tsx'), ['--tsconfig', 'tsconfig.run.json', 'local/cli.ts'], {
        cwd: ROOT,
        env: { ...process.env, COLUMNS: '' },
        maxBuffer: 16 * 1024 * 1024,
    });
    const run = new Set(stdout.split('\n').map(normalize));
    const shown = example();
    expect(shown.length).toBeGreaterThan(5);
    expect(shown.map(normalize).filter((line) => !run.has(line))).toEqual([]);
});
