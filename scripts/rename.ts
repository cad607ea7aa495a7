/**
 * `npm run rename -- Acme::KMS::CloudHsmKeyStore`: registers the type under another organisation namespace
 * (DESIGN section 2: `Custom` is reserved for RegisterType). Rewrites the type name where it names the
 * registered type: .rpdk-config, the schema's typeName and file name, TYPE_NAME in src/models.ts,
 * template.yml, inputs/, sam-tests/ and docs/README.md (all three spellings: `A::B::C`, `a-b-c`, `A-B-C`), and
 * the schema's file name where src/ loads it.
 * Idempotent (renaming to the current name changes nothing) and reversible byte for byte (it refuses a name
 * that already appears in a file it would rewrite, so renaming back restores exactly what was there).
 *
 * Left alone on purpose: the names of what the handler makes at run time (the bootstrap secrets' prefix
 * `custom-kms-cloudhsmkeystore/kmsuser-bootstrap/`, the key stores' records under
 * `/custom-kms-cloudhsmkeystore/key-stores/`, the kmsuser Run Command comment, the secrets' managed-by tag). They are the product's identifiers, not the type's: IAM policies in the docs scope the execution and
 * instance roles to that prefix, and an in-flight create, the custom-resource variant and a re-registered type
 * must all find the same secrets and commands again, so they stay as they are in the rewritten files too. README.md,
 * package.json and docs/design.md describe the project under its canonical name, and examples/ (see KEEP) is not
 * rewritten either.
 */
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const TYPE_NAME = /^[a-zA-Z0-9]{2,64}::[a-zA-Z0-9]{2,64}::[a-zA-Z0-9]{2,64}$/;
/** RegisterType's reserved organisation namespaces (AWS-API-FACTS 10.D.1). */
const RESERVED = ['aws', 'amazon', 'amzn', 'alexa', 'dev', 'ask', 'custom'];
const CANONICAL = 'Custom::KMS::CloudHsmKeyStore';
/** Folders whose every text file is rewritten; missing ones are skipped. */
const FOLDERS = ['inputs', 'sam-tests', 'docs'];
/**
 * Files in those folders that describe the canonical name, which a registration does not rename. examples/ is not
 * rewritten at all: its templates name either the literal custom resource (`Custom::KMS::CloudHsmKeyStore` with a
 * ServiceToken) or the registered type under an example namespace (Acme), which a reader replaces with theirs, and
 * rewriting Acme back to Custom would break them.
 */
const KEEP = ['docs/design.md'];
/** Run-time names (bootstrap secrets, records, request claims) start with this; IAM policies name them. */
const RUNTIME_PREFIX = 'custom-kms-cloudhsmkeystore/';

const spellings = (name: string) => [name, name.split('::').join('-'), name.split('::').join('-').toLowerCase()];
const schemaFile = (name: string) => `${name.split('::').join('-').toLowerCase()}.json`;

function filesUnder(dir: string): string[] {
    const abs = path.join(ROOT, dir);
    if (!existsSync(abs)) return [];
    return readdirSync(abs, { recursive: true, encoding: 'utf8' }).map((f) => path.join(dir, f)).filter((f) => statSync(path.join(ROOT, f)).isFile() && !KEEP.includes(f)).sort();
}

interface Edit {
    file: string;
    before: string;
    after: string;
}

export function planRename(newName: string, root = ROOT): { from: string; to: string; edits: Edit[]; schemaMove?: [string, string] } {
    const settings = JSON.parse(readFileSync(path.join(root, '.rpdk-config'), 'utf8')) as { typeName: string };
    const from = settings.typeName;
    if (!TYPE_NAME.test(newName)) throw new Error(`"${newName}" is not a type name: use Organization::Service::Resource, 2-64 letters or digits each (e.g. Acme::KMS::CloudHsmKeyStore).`);
    const org = newName.split('::')[0].toLowerCase();
    if (RESERVED.includes(org) && newName !== CANONICAL)
        throw new Error(`"${newName.split('::')[0]}" is a reserved namespace for RegisterType (${RESERVED.join(', ')}); pick your organisation's name, e.g. Acme::KMS::CloudHsmKeyStore.`);
    if (newName === from) return { from, to: newName, edits: [] };
    if (new Set(spellings(newName)).size !== new Set(spellings(from)).size)
        throw new Error(`"${newName}" is spelt the same in lower case, so ${from}'s spellings could not be told apart when renaming back; use capitals as in ${from}.`);

    const pairs = spellings(from).map((s, i) => [s, spellings(newName)[i]] as const);
    const whole = (file: string) => ['.rpdk-config', 'template.yml', ...FOLDERS.flatMap(filesUnder)].includes(file);
    // src/ files that load the schema by its file name (the custom resource validates against it)
    const loaders = filesUnder('src').filter((f) => f.endsWith('.ts') && f !== 'src/models.ts' && readFileSync(path.join(root, f), 'utf8').includes(schemaFile(from)));
    const candidates = ['.rpdk-config', schemaFile(from), 'src/models.ts', 'template.yml', ...FOLDERS.flatMap(filesUnder), ...loaders];
    const edits: Edit[] = [];
    for (const file of candidates) {
        const before = readFileSync(path.join(root, file), 'utf8');
        let after = before;
        if (file === schemaFile(from)) after = before.replace(/("typeName"\s*:\s*")([^"]+)(")/, (_m, a, _n, b) => `${a}${newName}${b}`);
        else if (file === 'src/models.ts') after = before.split(`TYPE_NAME: string = '${from}'`).join(`TYPE_NAME: string = '${newName}'`);
        else if (loaders.includes(file)) after = before.split(schemaFile(from)).join(schemaFile(newName));
        else if (whole(file)) after = after.split(RUNTIME_PREFIX).map((part) => pairs.reduce((t, [a, b]) => t.split(a).join(b), part)).join(RUNTIME_PREFIX);
        if (after === before) continue;
        // Renaming back replaces every occurrence, so the new name must be nowhere in a wholly rewritten file yet.
        for (const s of whole(file) ? spellings(newName) : []) {
            if (before.split(RUNTIME_PREFIX).join('').includes(s)) throw new Error(`${file} already contains "${s}", so renaming back could not restore it exactly; edit that file first.`);
        }
        edits.push({ file, before, after });
    }
    const target = schemaFile(newName);
    if (existsSync(path.join(root, target))) throw new Error(`${target} already exists; remove it before renaming to ${newName}.`);
    return { from, to: newName, edits, schemaMove: [schemaFile(from), target] };
}

export function rename(newName: string, root = ROOT): string[] {
    const plan = planRename(newName, root);
    for (const e of plan.edits) writeFileSync(path.join(root, e.file), e.after);
    if (plan.schemaMove) renameSync(path.join(root, plan.schemaMove[0]), path.join(root, plan.schemaMove[1]));
    const changed = plan.edits.map((e) => e.file);
    if (plan.schemaMove) changed.push(`${plan.schemaMove[0]} -> ${plan.schemaMove[1]}`);
    return changed;
}

if (require.main === module) {
    const name = process.argv[2];
    if (!name) {
        console.error('usage: npm run rename -- Organization::Service::Resource   (e.g. Acme::KMS::CloudHsmKeyStore)');
        process.exit(2);
    }
    try {
        const changed = rename(name);
        if (changed.length === 0) console.log(`The type is already named ${name}; nothing changed.`);
        else {
            console.log(`Renamed the type to ${name}:`);
            for (const c of changed) console.log(`  ${c}`);
            console.log('Next: npm run build && npm test, then `cfn submit` (or npm run package). Rename back the same way.');
            if (name === CANONICAL) console.log(`Note: ${CANONICAL} is the canonical name, but "Custom" is reserved: RegisterType refuses it.`);
        }
    } catch (err) {
        console.error(err instanceof Error ? err.message : err);
        process.exit(1);
    }
}
