/**
 * docs/README.md is what `cfn generate` writes from the schema. Regenerating needs `cfn`, so this test checks the
 * file against the schema instead: every property with its type, required, length, pattern and update behaviour,
 * the syntax blocks, and the return values of Ref and Fn::GetAtt. A schema change without regenerated docs fails.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { CREATE_ONLY, READ_ONLY, ROOT, SCHEMA } from './support';

const DOC = readFileSync(join(ROOT, 'docs/README.md'), 'utf8');
const WRITABLE = Object.keys(SCHEMA.properties).filter((n) => !READ_ONLY.includes(n));
const TYPE = (n: string) =>
    ({ string: 'String', boolean: 'Boolean', integer: 'Integer', number: 'Double' })[SCHEMA.properties[n].type] ?? SCHEMA.properties[n].type;
const UPDATE = 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html';

/** The text between a heading and the next heading of the same or a higher level. */
function section(doc: string, heading: string): string {
    const level = heading.match(/^#+/)![0].length;
    const lines = doc.split('\n');
    const start = lines.indexOf(heading);
    if (start < 0) throw new Error(`docs/README.md has no heading "${heading}": regenerate it with cfn generate`);
    const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.match(/^#+/)![0].length <= level);
    return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

test("title and description are the schema's", () => {
    expect(DOC.split('\n')[0]).toBe(`# ${SCHEMA.typeName}`);
    expect(DOC).toContain(SCHEMA.description as string);
});

test('the JSON and YAML syntax list every writable property, in schema order, with its type', () => {
    const json = section(DOC, '### JSON');
    const yaml = section(DOC, '### YAML');
    expect(json).toContain(`"Type" : "${SCHEMA.typeName}"`);
    expect(yaml).toContain(`Type: ${SCHEMA.typeName}`);
    const listed = (block: string) => [...block.matchAll(/title="([A-Za-z0-9]+)"/g)].map((m) => m[1]);
    expect(listed(json)).toEqual(WRITABLE);
    expect(listed(yaml)).toEqual(WRITABLE);
    for (const n of WRITABLE) {
        expect(json).toContain(`title="${n}">${n}</a>" : <i>${TYPE(n)}</i>`);
        expect(yaml).toContain(`title="${n}">${n}</a>: <i>${TYPE(n)}</i>`);
    }
});

test.each(Object.keys(SCHEMA.properties).filter((n) => !READ_ONLY.includes(n)))(
    'property %s: description, required, type, constraints, update behaviour',
    (name) => {
        const p = SCHEMA.properties[name];
        const text = section(section(DOC, '## Properties'), `#### ${name}`);
        expect(text).toContain(p.description);
        expect(text).toContain(`_Required_: ${SCHEMA.required.includes(name) ? 'Yes' : 'No'}`);
        expect(text).toContain(`_Type_: ${TYPE(name)}`);
        const has = (label: string, value: unknown) =>
            value === undefined ? expect(text).not.toContain(`_${label}_`) : expect(text).toContain(`_${label}_: <code>${value}</code>`);
        has('Minimum Length', p.minLength);
        has('Maximum Length', p.maxLength);
        has('Pattern', p.pattern);
        const update = CREATE_ONLY.includes(name) ? `[Replacement](${UPDATE}#update-replacement)` : `[No interruption](${UPDATE}#update-no-interrupt)`;
        expect(text).toContain(`_Update requires_: ${update}`);
    },
);

test('no property is documented that the schema does not have, and read-only ones only as return values', () => {
    const documented = [...section(DOC, '## Properties').matchAll(/^#### (\S+)$/gm)].map((m) => m[1]);
    expect(documented).toEqual(WRITABLE);
});

test('Ref returns the primary identifier and Fn::GetAtt lists every read-only property', () => {
    const values = section(DOC, '## Return Values');
    const id = SCHEMA.primaryIdentifier.map((p) => p.replace('/properties/', '')).join(', ');
    expect(section(values, '### Ref')).toContain(`Ref returns the ${id}.`);
    const getAtt = section(values, '### Fn::GetAtt');
    expect([...getAtt.matchAll(/^#### (\S+)$/gm)].map((m) => m[1])).toEqual(READ_ONLY);
    for (const n of READ_ONLY) expect(section(getAtt, `#### ${n}`)).toContain(SCHEMA.properties[n].description);
});
