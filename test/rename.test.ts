/**
 * `npm run rename`: a copy of the project (node_modules linked) is re-namespaced (both types: the key store at the
 * root, the key in key/), packaged, tested against the renamed bundle, validated with `cfn validate` in both
 * folders when `cfn` is on PATH, and renamed back byte for byte.
 */
import { execFileSync, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'fs';
import { unzipSync } from 'fflate';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { ROOT, TSX } from './support/artifact';

jest.setTimeout(240_000);

const NEW_NAME = 'Acme::KMS::CloudHsmKeyStore';
/** Build and tool outputs: not part of the tree the rename must restore. */
const OUTPUTS = /^(node_modules|build|dist|\.tmp)(\/|$)|\.tsbuildinfo$|\.zip$|(^|\/)rpdk\.log$/;

function tree(dir: string, base = dir): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of readdirSync(dir)) {
        const abs = join(dir, name);
        const rel = abs.slice(base.length + 1);
        if (OUTPUTS.test(rel)) continue;
        if (statSync(abs).isDirectory()) Object.assign(out, tree(abs, base));
        else out[rel] = createHash('sha256').update(readFileSync(abs)).digest('hex');
    }
    return out;
}

const copies: string[] = [];
afterAll(() => copies.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function copyProject(): string {
    const dir = mkdtempSync(join(tmpdir(), 'keystore-rename-'));
    copies.push(dir);
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT })
        .toString()
        .split('\0')
        .filter((f) => f && !OUTPUTS.test(f) && existsSync(join(ROOT, f)));
    for (const f of files) {
        mkdirSync(dirname(join(dir, f)), { recursive: true });
        execFileSync('cp', ['-p', join(ROOT, f), join(dir, f)]);
    }
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    return dir;
}

const run = (cwd: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
};

function onPath(tool: string): boolean {
    return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

const KEY_NAME = 'Acme::KMS::CloudHsmKey';
const json = (dir: string, file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8'));
const text = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');

test('rename to Acme renames both types; build, test, validate and package them, then back: the tree is restored byte for byte', () => {
    const dir = copyProject();
    const original = tree(dir);
    const example = text(dir, 'examples/key-store-and-key.yaml');

    const said = run(dir, TSX, ['scripts/rename.ts', NEW_NAME]);
    expect(said).toContain(`Custom::KMS::CloudHsmKeyStore -> ${NEW_NAME}`);
    expect(said).toContain(`Custom::KMS::CloudHsmKey -> ${KEY_NAME}`);
    expect(run(dir, TSX, ['scripts/rename.ts', NEW_NAME])).toContain('nothing changed'); // idempotent
    // the key store
    expect(existsSync(join(dir, 'acme-kms-cloudhsmkeystore.json'))).toBe(true);
    expect(existsSync(join(dir, 'custom-kms-cloudhsmkeystore.json'))).toBe(false);
    expect(json(dir, '.rpdk-config').typeName).toBe(NEW_NAME);
    expect(json(dir, 'acme-kms-cloudhsmkeystore.json').typeName).toBe(NEW_NAME);
    expect(text(dir, 'src/models.ts')).toContain(`TYPE_NAME: string = '${NEW_NAME}'`);
    // the key, in key/
    expect(existsSync(join(dir, 'key/acme-kms-cloudhsmkey.json'))).toBe(true);
    expect(existsSync(join(dir, 'key/custom-kms-cloudhsmkey.json'))).toBe(false);
    expect(json(dir, 'key/.rpdk-config').typeName).toBe(KEY_NAME);
    expect(json(dir, 'key/acme-kms-cloudhsmkey.json').typeName).toBe(KEY_NAME);
    expect(text(dir, 'src/key/models.ts')).toContain(`TYPE_NAME: string = '${KEY_NAME}'`);
    expect(text(dir, 'key/template.yml')).toContain(`${KEY_NAME} resource type`);
    // examples/ is left alone: its templates name the types as a reader registers them (Acme), or the literal custom resource
    expect(text(dir, 'examples/key-store-and-key.yaml')).toBe(example);
    // the literal custom resource keeps its Custom:: name: its provider serves it whatever the types are registered as
    expect(text(dir, 'examples/custom-resource.yaml')).toContain('Type: Custom::KMS::CloudHsmKeyStore');

    // Package (this builds the bundle): both submissions under the new names.
    run(dir, TSX, ['scripts/package.ts']);
    for (const [zip, name] of [
        ['acme-kms-cloudhsmkeystore.zip', NEW_NAME],
        ['key/acme-kms-cloudhsmkey.zip', KEY_NAME],
    ]) {
        const submission = unzipSync(readFileSync(join(dir, zip)));
        expect(JSON.parse(Buffer.from(submission['schema.json']).toString()).typeName).toBe(name);
        expect(JSON.parse(Buffer.from(submission['.rpdk-config']).toString()).typeName).toBe(name);
        const bundle = Buffer.from(unzipSync(submission['ResourceProvider.zip'])['dist/index.js']).toString();
        expect(bundle).toContain(`"${name}"`);
    }
    // Both types' lifecycles against that bundle, driven with the renamed schemas.
    const e2e = run(
        dir,
        join(dir, 'node_modules', '.bin', 'jest'),
        ['test/e2e/lifecycle.test.ts', 'test/e2e/key-lifecycle.test.ts', '-t', 'contract sequence|key lifecycle on the stack', '--ci', '--json'],
        {
            KEYSTORE_ARTIFACT: join(dir, 'build', 'TypeFunction'),
        },
    );
    expect(JSON.parse(e2e)).toMatchObject({ success: true, numPassedTests: 2, numFailedTests: 0 });
    // The official CLI validates the renamed schemas where it is installed (CI puts it on PATH).
    if (onPath('cfn')) for (const folder of ['.', 'key']) expect(run(join(dir, folder), 'cfn', ['validate'])).toContain('Resource schema is valid.');

    run(dir, TSX, ['scripts/rename.ts', 'Custom::KMS::CloudHsmKeyStore']);
    expect(tree(dir)).toEqual(original);
});

test("a store name that does not start with the key's resource name renames each spelling on its own, and back byte for byte", () => {
    const dir = copyProject();
    const original = tree(dir);
    run(dir, TSX, ['scripts/rename.ts', 'Acme::Kms::Vault']);
    expect(json(dir, '.rpdk-config').typeName).toBe('Acme::Kms::Vault');
    expect(json(dir, 'key/.rpdk-config').typeName).toBe('Acme::Kms::CloudHsmKey');
    expect(existsSync(join(dir, 'acme-kms-vault.json'))).toBe(true);
    expect(existsSync(join(dir, 'key/acme-kms-cloudhsmkey.json'))).toBe(true);
    expect(text(dir, 'key/template.yml')).toContain('Acme::Kms::CloudHsmKey');
    expect(text(dir, 'src/custom-resource/props.ts')).toContain("require('../../acme-kms-vault.json')");
    expect(text(dir, 'src/custom-resource/types.ts')).toContain("require('../../key/acme-kms-cloudhsmkey.json')");
    run(dir, TSX, ['scripts/rename.ts', 'Custom::KMS::CloudHsmKeyStore']);
    expect(tree(dir)).toEqual(original);
});

test('a rename whose reverse would not restore a file is refused before anything is written', () => {
    const dir = copyProject();
    writeFileSync(join(dir, 'key/template.yml'), `${text(dir, 'key/template.yml')}# Custom::KMS::CloudHsmKeySpec\n`);
    const original = tree(dir);
    // Acme::KMS::CloudHsmKeyS would turn "...CloudHsmKeySpec" into the store's new name followed by "pec"
    const r = spawnSync(TSX, ['scripts/rename.ts', 'Acme::KMS::CloudHsmKeyS'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('key/template.yml would read differently when renamed back');
    const taken = spawnSync(TSX, ['scripts/rename.ts', 'Acme::KMS::CloudHsmKey'], { cwd: dir, encoding: 'utf8' });
    expect(taken.stderr).toContain('the key type\'s resource name "CloudHsmKey"');
    expect(tree(dir)).toEqual(original);
});

test('a reserved namespace or a malformed name is refused with a clear message, and nothing changes', () => {
    for (const [name, says] of [
        ['AWS::KMS::CloudHsmKeyStore', 'reserved namespace'],
        ['Acme::KMS', 'is not a type name'],
        ['Acme::KMS::Key-Store', 'is not a type name'],
    ]) {
        const r = spawnSync(TSX, ['scripts/rename.ts', name], { cwd: ROOT, encoding: 'utf8' });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(says);
    }
    expect(JSON.parse(readFileSync(join(ROOT, '.rpdk-config'), 'utf8')).typeName).toBe('Custom::KMS::CloudHsmKeyStore');
    expect(JSON.parse(readFileSync(join(ROOT, 'key/.rpdk-config'), 'utf8')).typeName).toBe('Custom::KMS::CloudHsmKey');
});
