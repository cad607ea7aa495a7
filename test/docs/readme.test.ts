/**
 * The README stays true to the code: its troubleshooting tables cover every ConnectionErrorCode the handler
 * explains and every kmsuser script result, its properties table every property, and every `npm run` script it
 * shows exists.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { CONNECTION_ERRORS } from '../../src/errors';
import { KMSUSER_FAILURES } from '../../src/kmsuser/result';
import { CREATE_ONLY, READ_ONLY, ROOT, SCHEMA } from './support';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = (heading: string) => {
    const start = README.indexOf(`\n${heading}\n`);
    if (start < 0) throw new Error(`README.md has no "${heading}"`);
    const level = heading.match(/^#+/)![0];
    const rest = README.slice(start + heading.length + 2);
    const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
    return end < 0 ? rest : rest.slice(0, end);
};
/** Rows of the markdown tables in a text, keyed by their first cell without backticks. */
const rows = (text: string) =>
    new Map(
        text
            .split('\n')
            .filter((l) => l.startsWith('| `'))
            .map((l) => l.split('|').map((c) => c.trim()))
            .map((cells) => [cells[1].replace(/`/g, ''), cells.slice(2, -1)] as const),
    );

test('every ConnectionErrorCode the handler explains has a row with what to do', () => {
    const table = rows(section('### Connection failures (ConnectionErrorCode)'));
    expect([...table.keys()].sort()).toEqual(Object.keys(CONNECTION_ERRORS).sort());
    for (const [, cells] of table) expect(cells.every((c) => c.length > 10)).toBe(true);
});

test('every kmsuser script failure has a row with what to do', () => {
    const table = rows(section('### kmsuser script failures'));
    expect([...table.keys()].sort()).toEqual(Object.keys(KMSUSER_FAILURES).sort());
    for (const [, cells] of table) expect(cells.every((c) => c.length > 10)).toBe(true);
});

test('the properties table lists every writable property, required as the schema says, create-only ones as replacement', () => {
    const table = rows(section('## Properties'));
    const writable = Object.keys(SCHEMA.properties).filter((n) => !READ_ONLY.includes(n));
    expect([...table.keys()]).toEqual(writable);
    for (const [name, [required, update]] of table) {
        expect({ name, required: required.startsWith('yes') }).toEqual({ name, required: SCHEMA.required.includes(name) });
        expect({ name, replacement: /replacement/i.test(update) }).toEqual({ name, replacement: CREATE_ONLY.includes(name) });
        const fallback = SCHEMA.properties[name].default;
        if (fallback !== undefined) expect(required).toContain(`\`${String(fallback)}\``);
    }
});

test('every npm script the README runs exists', () => {
    const scripts = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
    const used = [...README.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1]);
    // Scripts other work is adding are named as such ("being added") and not required yet.
    const announced = [...README.matchAll(/`npm run ([a-z:-]+)`[^.]*being added/g)].map((m) => m[1]);
    expect([...new Set(used.filter((s) => !scripts.includes(s) && !announced.includes(s)))]).toEqual([]);
});

test('the README never shows AWS::KMS::Key making keys in the store', () => {
    expect(README).not.toMatch(/Type:\s*AWS::KMS::Key/);
});
