/**
 * The command-line tools' arguments (local/cli-args.ts): `--help` prints the usage and exits 0; a mistake prints one
 * line saying what is wrong, then the usage, exits 2, starts nothing and shows no stack trace. Also the helpers that
 * make `npm run local`'s output fit a terminal.
 */
import { execFile } from 'child_process';
import { join } from 'path';
import { fold, foldJson, formatDuration, truncate, userMessage, UserError } from '../../local/cli-args';

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

interface Run {
    args: string[];
    code: number | null;
    stdout: string;
    stderr: string;
}

function tsx(file: string, ...args: string[]): Promise<Run> {
    return new Promise((resolve) => {
        execFile(
            TSX,
            ['--tsconfig', 'tsconfig.run.json', file, ...args],
            { cwd: ROOT, timeout: 45_000, env: { ...process.env, NO_COLOR: '1' } },
            (err, stdout, stderr) => {
                const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
                resolve({ args: [file, ...args], code, stdout, stderr });
            },
        );
    });
}

const LOCAL = 'local/cli.ts';
/** Every tool is spawned once per case, all at once (tsx costs about a second each). */
const cases = {
    localHelp: tsx(LOCAL, '--help'),
    localH: tsx(LOCAL, '-h'),
    localHelpCommand: tsx(LOCAL, 'help'),
    benchHelp: tsx('scripts/bench.ts', '--help'),
    localUnknownFlag: tsx(LOCAL, '--bogus'),
    localUnknownCommand: tsx(LOCAL, 'bogus'),
    localBadMode: tsx(LOCAL, '--mode', 'bogus'),
    localBadTimeScale: tsx(LOCAL, '--time-scale', 'abc'),
    contractBadRepeat: tsx('scripts/test-contract.ts', '--repeat', 'x'),
    benchBadFlag: tsx('scripts/bench.ts', '--bogus'),
    renameNoName: tsx('scripts/rename.ts'),
    localMissingFile: tsx(LOCAL, 'create', '--properties', 'no-such-dir/props.json'),
};
let runs: Record<keyof typeof cases, Run>;

beforeAll(async () => {
    const entries = await Promise.all(Object.entries(cases).map(async ([k, p]) => [k, await p] as const));
    runs = Object.fromEntries(entries) as typeof runs;
}, 60_000);

const noStack = (r: Run) => expect(`${r.stdout}${r.stderr}`).not.toMatch(/^\s+at /m);
const show = (r: Run) => `${r.args.join(' ')} -> ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

describe('--help prints the usage on stdout and exits 0', () => {
    test.each([
        ['npm run local -- --help', 'localHelp', 'usage: npm run local'],
        ['npm run local -- -h', 'localH', 'usage: npm run local'],
        ['npm run local -- help', 'localHelpCommand', 'usage: npm run local'],
        ['npm run bench -- --help', 'benchHelp', 'usage: npm run bench'],
    ] as const)('%s', (_name, key, usage) => {
        const r = runs[key];
        expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
        expect(r.stdout.startsWith(usage)).toBe(true);
        expect(r.stdout).not.toContain('Simulator at');
        noStack(r);
    });
});

describe('a mistake: one line saying what, then the usage on stderr, exit 2, nothing started', () => {
    test.each([
        ['an unknown flag', 'localUnknownFlag', 'local: unknown option --bogus', 'usage: npm run local'],
        ['an unknown command', 'localUnknownCommand', 'local: unknown command "bogus"', 'usage: npm run local'],
        [
            'a --mode that is not stack or custom-resource',
            'localBadMode',
            'local: --mode must be one of stack, custom-resource, got "bogus"',
            'usage: npm run local',
        ],
        ['--time-scale abc', 'localBadTimeScale', 'local: --time-scale must be a number >= 0, got "abc"', 'usage: npm run local'],
        ['test:contract --repeat x', 'contractBadRepeat', 'test:contract: --repeat must be a whole number >= 1, got "x"', 'usage: npm run test:contract'],
        ["bench's unknown flag", 'benchBadFlag', 'bench: unknown option --bogus', 'usage: npm run bench'],
        ['rename without a name', 'renameNoName', 'rename: the type name (Organization::Service::Resource) is missing', 'usage: npm run rename'],
    ] as const)('%s', (_name, key, first, usage) => {
        const r = runs[key];
        const lines = r.stderr.split('\n');
        expect({ code: r.code, first: lines[0], second: lines[1]?.slice(0, usage.length) }).toEqual({
            code: 2,
            first: expect.stringContaining(first),
            second: usage,
        });
        expect(lines[0]).toBe(lines[0].trim());
        expect(r.stdout).toBe('');
        noStack(r);
    });
});

test('a properties file that is not there: its name and why, in one line, exit 1, before the simulator starts', () => {
    const r = runs.localMissingFile;
    expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({
        code: 1,
        stderr: 'local: cannot read no-such-dir/props.json: no such file\n',
        stdout: '',
    });
});

test('the runs finished (a guard against an environment that cannot spawn tsx)', () => {
    for (const r of Object.values(runs)) expect(r.code === null ? show(r) : 'exited').toBe('exited');
});

describe('formatDuration', () => {
    test.each([
        [0, '0s'],
        [5.4, '5s'],
        [59.4, '59s'],
        [59.6, '1m00s'],
        [60, '1m00s'],
        [119.5, '2m00s'],
        [299.6, '5m00s'],
        [317, '5m17s'],
        [634, '10m34s'],
        [3599.5, '1h00m00s'],
        [3723, '1h02m03s'],
        [-0.2, '0s'],
    ])('%s s is %s', (seconds, shown) => expect(formatDuration(seconds)).toBe(shown));

    test('never shows 60 seconds or 60 minutes', () => {
        const wrong: string[] = [];
        for (let s = 0; s < 7300; s += 0.1) if (/(^|[hm])60s$|(^|h)60m/.test(formatDuration(s))) wrong.push(`${s}: ${formatDuration(s)}`);
        expect(wrong).toEqual([]);
    });
});

describe('fold and truncate', () => {
    const model = JSON.stringify({
        KeyId: '2ed12b24-5f5c-4353-84cf-3372c24b1d4b',
        Arn: 'arn:aws:kms:us-east-1:111122223333:key/2ed12b24-5f5c-4353-84cf-3372c24b1d4b',
        KeyPolicy: { Version: '2012-10-17', Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Action: 'kms:*', Resource: '*' }] },
        Tags: [{ Key: 'team', Value: 'payments' }],
    });

    test('JSON with spaces in its strings folds without losing them', () => {
        const lines = foldJson(JSON.stringify({ a: 'one two, three four five six seven', b: 'x '.repeat(30) }), 40, '> ');
        for (const l of lines) expect(l.length).toBeLessThanOrEqual(40);
        expect(lines.map((l) => l.slice(2)).join('')).toBe(JSON.stringify({ a: 'one two, three four five six seven', b: 'x '.repeat(30) }));
    });

    test.each([60, 80, 160])('JSON folds after commas into lines of at most %i characters, indented, nothing lost', (width) => {
        const first = '       model: ';
        const lines = foldJson(model, width, first);
        expect(lines.length).toBeGreaterThan(1);
        expect(lines[0].startsWith(first)).toBe(true);
        for (const l of lines) expect(l.length).toBeLessThanOrEqual(width);
        for (const l of lines.slice(1)) expect(l.startsWith(' '.repeat(first.length))).toBe(true);
        expect(lines.map((l) => l.slice(first.length)).join('')).toBe(model);
    });

    test('prose folds between words; a word longer than a line is cut; newlines start a line', () => {
        const text = `Key store cks-1 holds 1 KMS key(s), so it was left as it is. ${'x'.repeat(100)} end\nsecond paragraph`;
        const lines = fold(text, 50, '  > ');
        for (const l of lines) expect(l.length).toBeLessThanOrEqual(50);
        expect(lines[0]).toBe('  > Key store cks-1 holds 1 KMS key(s), so it was');
        expect(lines[lines.length - 1]).toBe('    second paragraph');
        expect(lines.join('').replace(/\s|>/g, '')).toBe(text.replace(/\s/g, ''));
        expect(lines.filter((l) => /x{40}/.test(l)).length).toBeGreaterThan(1);
    });

    test('short text stays on one line; empty text gives the prefix', () => {
        expect(fold('a, b', 80, '- ')).toEqual(['- a, b']);
        expect(fold('', 80, 'label: ')).toEqual(['label:']);
    });

    test('truncate: one line of at most the room, cut with an ellipsis', () => {
        expect(truncate('short', 10)).toBe('short');
        expect(truncate('one\ntwo', 20)).toBe('one two');
        const cut = truncate('Waiting for key store cks-0 to connect (CONNECTING, 0 min so far).', 30);
        expect(cut).toHaveLength(30);
        expect(cut.endsWith('…')).toBe(true);
    });
});

test("userMessage: the user's errors in a line, bugs not", () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open 'x.json'"), { code: 'ENOENT', syscall: 'open', path: 'x.json' });
    expect(userMessage(enoent)).toBe('cannot read x.json: no such file');
    expect(userMessage(Object.assign(new Error('listen'), { code: 'EADDRINUSE', syscall: 'listen', address: '127.0.0.1', port: 3001 }))).toBe(
        'cannot listen on 127.0.0.1:3001: address already in use',
    );
    expect(userMessage(new UserError('x.json is not JSON'))).toBe('x.json is not JSON');
    expect(userMessage(new TypeError('undefined is not a function'))).toBeUndefined();
});
