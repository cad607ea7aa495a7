/**
 * `npm run rename -- Acme::KMS::CloudHsmKeyStore`: registers both types under another organisation namespace
 * (DESIGN section 2: `Custom` is reserved for RegisterType). The key store takes the given name; the key type
 * (key/) takes the same organisation and service with its own resource segment (Acme::KMS::CloudHsmKey).
 * Rewrites each type's name where it names the registered type: its .rpdk-config, its schema's typeName and file
 * name, TYPE_NAME in its models.ts, its template.yml, inputs/, sam-tests/, and docs/ (all
 * three spellings: `A::B::C`, `A-B-C`, `a-b-c`), and the schemas' file names where src/ loads them.
 * Idempotent (renaming to the current names changes nothing) and reversible byte for byte (it refuses a rename
 * whose reverse would not restore every file exactly, e.g. one whose new name already appears in a file).
 *
 * The key's names are prefixes of the key store's (`Custom::KMS::CloudHsmKey` of `Custom::KMS::CloudHsmKeyStore`,
 * `custom-kms-cloudhsmkey` of `custom-kms-cloudhsmkeystore`), so every file is rewritten in one pass that reads the
 * longest spelling first at each position: the store's names are never read as the key's plus "Store".
 *
 * Left alone on purpose: the names of what the handler makes at run time (the bootstrap secrets' prefix
 * `custom-kms-cloudhsmkeystore/kmsuser-bootstrap/`, the key stores' records under
 * `/custom-kms-cloudhsmkeystore/key-stores/`, the kmsuser Run Command comment, the secrets' managed-by tag). They
 * are the product's identifiers, not the type's: IAM policies in the docs scope the execution and instance roles
 * to that prefix, and an in-flight create, the custom-resource variant and a re-registered type must all find the
 * same secrets and commands again, so they stay as they are in the rewritten files too. examples/ and
 * docs/design.md are not rewritten (see KEEP). README.md and package.json describe the project
 * under its canonical names and are not rewritten either.
 */
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'fs';
import * as path from 'path';
import { parseCli } from '../local/cli-args';

const ROOT = path.resolve(__dirname, '..');
const TYPE_NAME = /^[a-zA-Z0-9]{2,64}::[a-zA-Z0-9]{2,64}::[a-zA-Z0-9]{2,64}$/;
/**
 * RegisterType's reserved organisation namespaces (CloudFormation API reference, RegisterType TypeName: Alexa,
 * AMZN, Amazon, AWS, Custom, Dev; the CloudFormation CLI's schema documentation adds ASK).
 */
const RESERVED = ['aws', 'amazon', 'amzn', 'alexa', 'dev', 'ask', 'custom'];
const CANONICAL = 'Custom::KMS::CloudHsmKeyStore';

/** The two types: the key store (whose name the command takes) at the root, the key in key/. */
const TYPES = [
    { folder: '.', models: 'src/models.ts' },
    { folder: 'key', models: 'src/key/models.ts' },
];
/** Per type folder, the folders whose every text file is rewritten; missing ones are skipped. */
const TYPE_FOLDERS = ['inputs', 'sam-tests', 'docs'];
/**
 * examples/ is not rewritten: its templates name either the literal custom resource (`Custom::KMS::CloudHsmKeyStore`
 * with a ServiceToken) or the registered types under an example namespace (Acme), which a reader replaces with
 * theirs; rewriting Acme back to Custom would break them. docs/design.md describes the canonical names.
 */
const KEEP = ['docs/design.md'];
/** Run-time names (bootstrap secrets, records, request claims) start with these; IAM policies name them. */
const RUNTIME_PREFIXES = ['custom-kms-cloudhsmkeystore/', '/custom-kms-cloudhsmkeystore/'];

const spellings = (name: string) => [name, name.split('::').join('-'), name.split('::').join('-').toLowerCase()];
const hyphenated = (name: string) => name.split('::').join('-').toLowerCase();
const schemaFile = (folder: string, name: string) => path.posix.join(folder, `${hyphenated(name)}.json`);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces every key of `map` in `text` in one left-to-right pass, the longest key first at each position, so a
 * name that is a prefix of another (the key's of the store's) never clobbers it.
 */
function replaceAll(text: string, map: Map<string, string>): string {
    if (map.size === 0) return text;
    const keys = [...map.keys()].sort((a, b) => b.length - a.length);
    return text.replace(new RegExp(keys.map(escape).join('|'), 'g'), (m) => map.get(m)!);
}

function filesUnder(root: string, dir: string): string[] {
    const abs = path.join(root, dir);
    if (!existsSync(abs)) return [];
    return readdirSync(abs, { recursive: true, encoding: 'utf8' })
        .map((f) => path.posix.join(dir, f.split(path.sep).join('/')))
        .filter((f) => statSync(path.join(root, f)).isFile())
        .sort();
}

interface Edit {
    file: string;
    before: string;
    after: string;
}

export interface RenamePlan {
    /** [old, new] per type, the key store first. */
    names: Array<[string, string]>;
    edits: Edit[];
    moves: Array<[string, string]>;
}

function checkName(name: string, what: string): void {
    if (!TYPE_NAME.test(name))
        throw new Error(
            `"${name}" is not a type name${what}: use Organization::Service::Resource, 2-64 letters or digits each (e.g. Acme::KMS::CloudHsmKeyStore).`,
        );
}

export function planRename(newName: string, root = ROOT): RenamePlan {
    checkName(newName, '');
    const [org, service] = newName.split('::');
    if (RESERVED.includes(org.toLowerCase()) && newName !== CANONICAL)
        throw new Error(
            `"${org}" is a reserved namespace for RegisterType (${RESERVED.join(', ')}); pick your organisation's name, e.g. Acme::KMS::CloudHsmKeyStore.`,
        );
    const from = TYPES.map((t) => (JSON.parse(readFileSync(path.join(root, t.folder, '.rpdk-config'), 'utf8')) as { typeName: string }).typeName);
    // The key keeps its resource segment under the store's organisation and service.
    const to = [newName, `${org}::${service}::${from[1].split('::')[2]}`];
    checkName(to[1], ` (the key type's new name)`);
    const names = from.map((f, i) => [f, to[i]] as [string, string]);
    if (names.every(([a, b]) => a === b)) return { names, edits: [], moves: [] };
    const distinct = (list: string[]) => new Set(list.map(spellings).flat()).size === list.length * 3;
    const keyResource = to[1].split('::')[2];
    if (newName.split('::')[2].toLowerCase() === keyResource.toLowerCase())
        throw new Error(
            `"${newName}" would give the key store the key type's resource name "${keyResource}"; keep them apart, e.g. ${org}::${service}::CloudHsmKeyStore.`,
        );
    if (!distinct(to))
        throw new Error(
            `"${newName}" is spelt the same in lower case, so the types' spellings (A::B::C, A-B-C, a-b-c) could not be told apart when renaming back; use capitals as in ${CANONICAL}.`,
        );
    if (!distinct(from)) throw new Error(`The current names ${from.join(' and ')} have spellings that cannot be told apart; rename by hand.`);

    // Every spelling of both types maps to its new spelling (itself when that type keeps its name), so the
    // longest-first pass resolves prefixes the same way renaming back will.
    const pairs = names.flatMap(([a, b]) => spellings(a).map((s, i) => [s, spellings(b)[i]] as [string, string]));
    // a run-time prefix maps to itself: being longer, it is read before the type's own spelling
    const kept = RUNTIME_PREFIXES.map((p) => [p, p] as [string, string]);
    const forward = new Map([...pairs, ...kept]);
    const backward = new Map([...pairs.map(([a, b]) => [b, a] as [string, string]), ...kept]);
    const schemas = new Map(
        names.map(([a, b], i) => [path.posix.basename(schemaFile(TYPES[i].folder, a)), path.posix.basename(schemaFile(TYPES[i].folder, b))]),
    );
    const schemasBack = new Map([...schemas].map(([a, b]) => [b, a]));

    const whole = [
        ...TYPES.flatMap((t) => [
            path.posix.join(t.folder, '.rpdk-config'),
            path.posix.join(t.folder, 'template.yml'),
            ...TYPE_FOLDERS.flatMap((d) => filesUnder(root, path.posix.join(t.folder, d))),
        ]),
    ].filter((f) => existsSync(path.join(root, f)) && !KEEP.includes(f));
    const models = TYPES.map((t) => t.models);
    // src/ files that load a schema by its file name (the custom resource validates against it)
    const loaders = filesUnder(root, 'src').filter(
        (f) => f.endsWith('.ts') && !models.includes(f) && [...schemas.keys()].some((s) => readFileSync(path.join(root, f), 'utf8').includes(s)),
    );

    const edits: Edit[] = [];
    const edit = (file: string, change: (text: string) => string, undo: (text: string) => string) => {
        const before = readFileSync(path.join(root, file), 'utf8');
        const after = change(before);
        if (after === before) return;
        // Renaming back must give back these exact bytes, or the rename is refused before anything is written.
        if (undo(after) !== before) {
            const fresh = [...backward.keys()].filter((s) => !forward.has(s)).find((s) => before.includes(s));
            throw new Error(
                fresh
                    ? `${file} already contains "${fresh}", so renaming back could not restore it exactly; edit that file first.`
                    : `${file} would read differently when renamed back (a name in it followed by letters that make it another type's new name); pick another name or edit that file first.`,
            );
        }
        edits.push({ file, before, after });
    };
    names.forEach(([a, b], i) => {
        const typeName = (name: string) => (text: string) => text.replace(/("typeName"\s*:\s*")([^"]+)(")/, (_m, p, _n, q) => `${p}${name}${q}`);
        edit(schemaFile(TYPES[i].folder, a), typeName(b), typeName(a));
        const typeConst = (x: string, y: string) => (text: string) => text.split(`TYPE_NAME: string = '${x}'`).join(`TYPE_NAME: string = '${y}'`);
        edit(TYPES[i].models, typeConst(a, b), typeConst(b, a));
    });
    for (const file of whole)
        edit(
            file,
            (t) => replaceAll(t, forward),
            (t) => replaceAll(t, backward),
        );
    for (const file of loaders)
        edit(
            file,
            (t) => replaceAll(t, schemas),
            (t) => replaceAll(t, schemasBack),
        );

    const moves: Array<[string, string]> = [];
    names.forEach(([a, b], i) => {
        const [source, target] = [schemaFile(TYPES[i].folder, a), schemaFile(TYPES[i].folder, b)];
        if (source === target) return;
        if (existsSync(path.join(root, target))) throw new Error(`${target} already exists; remove it before renaming to ${b}.`);
        moves.push([source, target]);
    });
    return { names, edits, moves };
}

export function rename(newName: string, root = ROOT): { names: Array<[string, string]>; changed: string[] } {
    const plan = planRename(newName, root);
    for (const e of plan.edits) writeFileSync(path.join(root, e.file), e.after);
    for (const [a, b] of plan.moves) renameSync(path.join(root, a), path.join(root, b));
    return { names: plan.names, changed: [...plan.edits.map((e) => e.file), ...plan.moves.map(([a, b]) => `${a} -> ${b}`)] };
}

const USAGE = `usage: npm run rename -- Organization::Service::Resource
  registers both types under another namespace: the key store takes the name given (e.g. Acme::KMS::CloudHsmKeyStore),
  the key type in key/ follows with its own resource segment (Acme::KMS::CloudHsmKey); idempotent and reversible
  (npm run rename -- Custom::KMS::CloudHsmKeyStore renames back)
  -h, --help    this text`;

if (require.main === module) {
    const cli = parseCli({ program: 'rename', usage: USAGE, operands: { name: 'the type name (Organization::Service::Resource)', min: 1, max: 1 } });
    const name = cli.operands[0];
    try {
        const { names, changed } = rename(name);
        if (changed.length === 0) console.log(`The types are already named ${names.map(([, b]) => b).join(' and ')}; nothing changed.`);
        else {
            console.log(`Renamed the types: ${names.map(([a, b]) => (a === b ? `${b} (unchanged)` : `${a} -> ${b}`)).join(', ')}:`);
            for (const c of changed) console.log(`  ${c}`);
            console.log('Next: npm run build && npm test, then `cfn submit` in the root and in key/ (or npm run package). Rename back the same way.');
            if (name === CANONICAL) console.log(`Note: ${CANONICAL} is the canonical name, but "Custom" is reserved: RegisterType refuses it.`);
        }
    } catch (err) {
        console.error(err instanceof Error ? err.message : err);
        process.exit(1);
    }
}
