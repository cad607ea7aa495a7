/**
 * `npm run rename`: a copy of the project (node_modules linked) is re-namespaced, packaged, tested against the
 * renamed bundle, validated with `cfn validate` when `cfn` is on PATH, and renamed back byte for byte.
 */
import { execFileSync, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, existsSync } from 'fs';
import { unzipSync } from 'fflate';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { ROOT, TSX } from './support/artifact';

jest.setTimeout(120_000);

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

function copyProject(): string {
    const dir = mkdtempSync(join(tmpdir(), 'keystore-rename-'));
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT }).toString().split('\0').filter((f) => f && !OUTPUTS.test(f) && existsSync(join(ROOT, f)));
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

test('rename to Acme, build, test, validate and package it, then back: the tree is restored byte for byte', () => {
    const dir = copyProject();
    const original = tree(dir);

    expect(run(dir, TSX, ['scripts/rename.ts', NEW_NAME])).toContain(`Renamed the type to ${NEW_NAME}`);
    expect(run(dir, TSX, ['scripts/rename.ts', NEW_NAME])).toContain('nothing changed'); // idempotent
    expect(existsSync(join(dir, 'acme-kms-cloudhsmkeystore.json'))).toBe(true);
    expect(existsSync(join(dir, 'custom-kms-cloudhsmkeystore.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, '.rpdk-config'), 'utf8')).typeName).toBe(NEW_NAME);
    expect(JSON.parse(readFileSync(join(dir, 'acme-kms-cloudhsmkeystore.json'), 'utf8')).typeName).toBe(NEW_NAME);
    expect(readFileSync(join(dir, 'src/models.ts'), 'utf8')).toContain(`TYPE_NAME: string = '${NEW_NAME}'`);

    // Package (this builds the bundle), then run the lifecycle contract sequence against that bundle.
    run(dir, TSX, ['scripts/package.ts']);
    const submission = unzipSync(readFileSync(join(dir, 'acme-kms-cloudhsmkeystore.zip')));
    expect(JSON.parse(Buffer.from(submission['schema.json']).toString()).typeName).toBe(NEW_NAME);
    const bundle = Buffer.from(unzipSync(submission['ResourceProvider.zip'])['dist/index.js']).toString();
    expect(bundle).toContain(NEW_NAME);
    run(dir, join(dir, 'node_modules', '.bin', 'jest'), ['test/e2e/lifecycle.test.ts', '-t', 'contract sequence', '--ci'], { KEYSTORE_ARTIFACT: join(dir, 'build', 'TypeFunction') });
    if (onPath('cfn')) expect(run(dir, 'cfn', ['validate'])).toContain('Resource schema is valid.');
    else console.warn('cfn is not on PATH: skipped `cfn validate` of the renamed schema');

    run(dir, TSX, ['scripts/rename.ts', 'Custom::KMS::CloudHsmKeyStore']);
    expect(tree(dir)).toEqual(original);
});

test('a reserved namespace or a malformed name is refused with a clear message, and nothing changes', () => {
    for (const [name, says] of [['AWS::KMS::CloudHsmKeyStore', 'reserved namespace'], ['Acme::KMS', 'is not a type name'], ['Acme::KMS::Key-Store', 'is not a type name']]) {
        const r = spawnSync(TSX, ['scripts/rename.ts', name], { cwd: ROOT, encoding: 'utf8' });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(says);
    }
    expect(JSON.parse(readFileSync(join(ROOT, '.rpdk-config'), 'utf8')).typeName).toBe('Custom::KMS::CloudHsmKeyStore');
});
