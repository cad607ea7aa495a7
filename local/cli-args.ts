/**
 * What every command-line tool of the project (`npm run local`, `sim`, `bench`, `test:contract`, `package`, `rename`,
 * `test:stress`) does with its arguments, in one place:
 * - `--help` or `-h` (and `help` where the tool has commands) prints the usage to stdout and exits 0;
 * - an unknown option, command or value, a missing or extra argument prints exactly one line
 *   `<program>: <what is wrong>` and then the usage to stderr, and exits 2, before anything is started;
 * - `runMain` ends a tool's main: an error that is the user's (a file that is not there, a port in use, a
 *   `UserError`) prints one line with its message and exits 1; anything else is a bug and prints its stack.
 * Parsing is Node's `util.parseArgs` in strict mode. Also here: what the tools' terminal output needs
 * (`formatDuration`, `fold`, `truncate`, `terminalWidth`).
 */
import { parseArgs } from 'node:util';

export interface OptionSpec {
    type: 'string' | 'boolean';
    short?: string;
}

export interface CliSpec {
    /** The name that starts an error line: `<program>: <what is wrong>`. */
    program: string;
    /** Printed as it is, after the error line or for --help. */
    usage: string;
    /** --help/-h is added. */
    options?: Record<string, OptionSpec>;
    /** The commands the first positional argument may name (`help` prints the usage); none: no command. */
    commands?: readonly string[];
    /** The command when none is given; without it a command is required. */
    defaultCommand?: string;
    /** Positional arguments besides the command: how many (default none) and what they are called. */
    operands?: { name: string; min?: number; max?: number };
    /** Default: process.argv.slice(2). */
    argv?: string[];
}

export interface Cli {
    readonly program: string;
    readonly usage: string;
    /** The command named, or the default; undefined when the tool has no commands. */
    readonly command: string | undefined;
    readonly operands: string[];
    /** The options given, by long name (--help aside). */
    readonly given: string[];
    string(name: string): string | undefined;
    flag(name: string): boolean;
    /** A number >= min (default 0), or > above when that is given; `fallback` when the option is absent. */
    number(name: string, fallback: number, limits?: { min?: number; above?: number }): number;
    /** A whole number within [min (default 0), max]; `fallback` when the option is absent. */
    integer(name: string, fallback: number, limits?: { min?: number; max?: number }): number;
    /** One of `choices`; `fallback` when the option is absent. */
    oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T;
    /** The user's mistake: one line, the usage, exit 2. */
    fail(message: string): never;
}

/** Prints `<program>: <message>` and the usage to stderr and exits 2. */
export function usageError(program: string, usage: string, message: string): never {
    const line = message.replace(/\s*\n\s*/g, ' ').trim();
    process.stderr.write(`${program}: ${line}\n${usage.replace(/\n+$/, '')}\n`);
    process.exit(2);
}

function printUsage(usage: string): never {
    process.stdout.write(`${usage.replace(/\n+$/, '')}\n`);
    process.exit(0);
}

/** parseArgs's messages, made one line each and shorter. */
function parseErrorMessage(err: unknown): string {
    const e = err as { code?: string; message?: string };
    const message = String(e?.message ?? err);
    const option = /'(-[^' ]*)/.exec(message)?.[1];
    const long = /--[\w-]+/.exec(message)?.[0] ?? option;
    if (e?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
    if (e?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && long) {
        if (/argument missing/.test(message)) return `${long} needs a value`;
        if (/does not take an argument/.test(message)) return `${long} takes no value`;
        if (/ambiguous/.test(message)) return `${long} needs a value (for a value that starts with '-', write ${long}=VALUE)`;
    }
    return message.split('\n')[0];
}

const quote = (v: string) => JSON.stringify(v);

/** Parses the arguments, or answers --help / a mistake and exits; nothing has been started when it exits. */
export function parseCli(spec: CliSpec): Cli {
    const argv = spec.argv ?? process.argv.slice(2);
    const fail = (message: string): never => usageError(spec.program, spec.usage, message);
    const end = argv.indexOf('--');
    const before = end < 0 ? argv : argv.slice(0, end);
    if (before.includes('--help') || before.includes('-h')) printUsage(spec.usage);

    const options = { ...(spec.options ?? {}), help: { type: 'boolean' as const, short: 'h' } };
    let parsed: ReturnType<typeof parseArgs>;
    try {
        parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    } catch (err) {
        return fail(parseErrorMessage(err));
    }
    const values = parsed.values as Record<string, string | boolean | undefined>;
    const positionals = [...parsed.positionals];

    let command: string | undefined;
    if (spec.commands) {
        const first = positionals[0];
        if (first === 'help') printUsage(spec.usage);
        if (first === undefined) {
            command = spec.defaultCommand ?? fail(`a command is needed: ${spec.commands.join(', ')}`);
        } else if (spec.commands.includes(first)) {
            command = positionals.shift();
        } else {
            // a tool with commands takes no other positional first: this was meant as a command
            fail(`unknown command ${quote(first)}; the commands are ${spec.commands.join(', ')}`);
        }
    }
    const { name = 'argument', min = 0, max = 0 } = spec.operands ?? {};
    if (positionals.length > max) {
        const extra = positionals[max];
        fail(`unexpected argument ${quote(extra)}${max === 0 && command ? ` after ${command}` : ''}`);
    }
    if (positionals.length < min) fail(`${name} is missing`);

    const raw = (n: string): string | undefined => {
        const v = values[n];
        return typeof v === 'string' ? v : undefined;
    };
    const bad = (n: string, what: string): never => fail(`--${n} must be ${what}, got ${quote(raw(n) ?? '')}`);
    return {
        program: spec.program,
        usage: spec.usage,
        command,
        operands: positionals,
        given: Object.keys(values).filter((k) => k !== 'help' && values[k] !== undefined),
        fail,
        string: raw,
        flag: (n) => values[n] === true,
        number(n, fallback, { min: lo = 0, above } = {}) {
            const text = raw(n);
            if (text === undefined) return fallback;
            const v = text.trim() === '' ? NaN : Number(text);
            if (above !== undefined) return Number.isFinite(v) && v > above ? v : bad(n, `a number > ${above}`);
            return Number.isFinite(v) && v >= lo ? v : bad(n, `a number >= ${lo}`);
        },
        integer(n, fallback, { min: lo = 0, max: hi } = {}) {
            const text = raw(n);
            if (text === undefined) return fallback;
            const v = /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : NaN;
            const ok = Number.isSafeInteger(v) && v >= lo && (hi === undefined || v <= hi);
            return ok ? v : bad(n, hi === undefined ? `a whole number >= ${lo}` : `a whole number from ${lo} to ${hi}`);
        },
        oneOf<T extends string>(n: string, choices: readonly T[], fallback: T): T {
            const text = raw(n);
            if (text === undefined) return fallback;
            return (choices as readonly string[]).includes(text) ? (text as T) : bad(n, `one of ${choices.join(', ')}`);
        },
    };
}

// ---- errors after the arguments were accepted ----------------------------------------------------------------------

/** A mistake of the user's found after parsing (a file that is not JSON, ...): its message is all they need. */
export class UserError extends Error {
    override name = 'UserError';
}

const FILE_PROBLEMS: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'a part of the path is not a directory',
};
const WRITES = new Set(['write', 'mkdir', 'rename', 'unlink', 'rmdir', 'copyfile', 'symlink']);

/** The one line to print for an error that is the user's, or undefined when it is a bug. */
export function userMessage(err: unknown): string | undefined {
    if (err instanceof UserError) return err.message;
    const e = err as { code?: unknown; path?: unknown; syscall?: unknown; address?: unknown; port?: unknown } | null;
    if (!e || typeof e !== 'object' || typeof e.code !== 'string') return undefined;
    if (e.syscall === 'listen' && (e.code === 'EADDRINUSE' || e.code === 'EACCES')) {
        const where = `${typeof e.address === 'string' ? e.address : ''}:${String(e.port ?? '')}`;
        return `cannot listen on ${where}: ${e.code === 'EADDRINUSE' ? 'address already in use' : 'permission denied'}`;
    }
    if (typeof e.path === 'string' && FILE_PROBLEMS[e.code]) {
        return `cannot ${WRITES.has(String(e.syscall)) ? 'write' : 'read'} ${e.path}: ${FILE_PROBLEMS[e.code]}`;
    }
    return undefined;
}

/** How a tool reports an error that ends it: the user's in one line, a bug with its stack. */
export function reportError(program: string, err: unknown): void {
    const mine = userMessage(err);
    if (mine !== undefined) process.stderr.write(`${program}: ${mine}\n`);
    else process.stderr.write(`${program}: unexpected error (a bug)\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
}

/**
 * Runs a tool's main. A number it resolves with is the exit code (process.exit); nothing leaves the process to end
 * by itself with process.exitCode. An error exits 1, reported by reportError.
 */
export function runMain(program: string, main: () => Promise<number | void>): void {
    main().then(
        (code) => {
            if (typeof code === 'number') process.exit(code);
        },
        (err: unknown) => {
            reportError(program, err);
            process.exit(1);
        },
    );
}

// ---- terminal output -------------------------------------------------------------------------------------------------

/** The width lines are made to fit: the terminal's, or 160 when stdout is not a terminal. */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
    return stream.isTTY && stream.columns && stream.columns > 0 ? stream.columns : 160;
}

/** Seconds as `45s`, `1m00s`, `10m34s`, `1h02m03s`, rounded to the whole second first (59.6 s is 1m00s). */
export function formatDuration(seconds: number): string {
    if (!Number.isFinite(seconds)) return `${seconds}s`;
    const total = Math.max(0, Math.round(seconds));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const two = (n: number) => String(n).padStart(2, '0');
    if (h) return `${h}h${two(m)}m${two(s)}s`;
    if (m) return `${m}m${two(s)}s`;
    return `${s}s`;
}

/** `text` on one line of at most `room` characters: line breaks made spaces, the end cut to `…`. */
export function truncate(text: string, room: number): string {
    const line = text.replace(/\s*\n\s*/g, ' ').trimEnd();
    if (line.length <= room) return line;
    if (room <= 0) return '';
    return `${line.slice(0, room - 1).trimEnd()}…`;
}

/**
 * `text` over lines of at most `width` characters: the first starts with `first`, the others with `rest` (default:
 * as many spaces as `first` is long). Lines break after a space or a comma (so JSON folds between its values); a
 * word longer than a line is cut. Newlines in `text` start a new line.
 */
export function fold(text: string, width: number, first = '', rest = ' '.repeat(first.length)): string[] {
    return foldAt(text, width, first, rest, /[^\s,]*(?:,|\s+)|[^\s,]+$/g);
}

/**
 * JSON over lines of at most `width` characters, as fold does, but broken only after its commas, so that joining
 * the lines (without their prefixes) gives the JSON back exactly, spaces inside its strings included.
 */
export function foldJson(json: string, width: number, first = '', rest = ' '.repeat(first.length)): string[] {
    return foldAt(json, width, first, rest, /[^,]*,|[^,]+$/g, true);
}

function foldAt(text: string, width: number, first: string, rest: string, pieces: RegExp, exact = false): string[] {
    // exact: no space is dropped at a break (JSON: the lines joined give the text back)
    const start = (t: string) => (exact ? t : t.trimStart());
    const end = (t: string) => (exact ? t : t.trimEnd());
    const lines: string[] = [];
    let prefix = first;
    for (const paragraph of text.split('\n')) {
        const limit = Math.max(width, prefix.length + 20, rest.length + 20);
        let line = prefix;
        let empty = true;
        const push = () => {
            lines.push(end(line));
            prefix = rest;
            line = prefix;
            empty = true;
        };
        for (const piece of paragraph.match(pieces) ?? []) {
            let chunk = empty ? start(piece) : piece;
            if (!chunk) continue;
            if (!empty && end(line + chunk).length > limit) {
                push();
                chunk = start(piece);
                if (!chunk) continue;
            }
            // a word longer than a whole line: cut it
            while (end(line + chunk).length > limit) {
                const room = limit - line.length;
                line += chunk.slice(0, room);
                chunk = chunk.slice(room);
                push();
            }
            line += chunk;
            if (chunk.trim() || (exact && chunk)) empty = false;
        }
        if (!empty || lines.length === 0 || paragraph === '') push();
        else prefix = rest;
    }
    return lines;
}
