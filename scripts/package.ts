/**
 * `npm run package`: what `cfn submit` uploads for each of the project's two types, without SAM or Docker. It
 * mirrors the TypeScript plugin's package() (rpdk/typescript/codegen.py) and cfn's submit() (rpdk/core/project.py):
 *   1. delete build/, then run the Makefile's build into build/TypeFunction (as `sam build TypeFunction` does;
 *      the `artifact` target, i.e. build-TypeFunction without its `npm ci`: run `npm ci` first on a fresh clone);
 *   2. zip build/TypeFunction/** into ResourceProvider.zip (the handler package RegisterType deploys; one bundle
 *      serves both types: dist/handlers.entrypoint and dist/key-handlers.entrypoint);
 *   3. per type folder (TYPE_FOLDERS: the key store at the root, the key in key/), write
 *      <folder>/<hyphenated-type-name>.zip (where `cfn submit --dry-run` run in that folder writes it):
 *      configuration-schema.json when the schema has a typeConfiguration, the folder's .rpdk-config, its schema
 *      as schema.json, its inputs/*, ResourceProvider.zip, src/** (the shared code), .cfn_metadata.json, and
 *      overrides.json when the folder has one.
 * Usage: tsx scripts/package.ts [--out DIR]   (DIR holds build/ and the zips; default: the project root); --help
 */
import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { Zippable, zipSync } from 'fflate';
import * as path from 'path';
import { parseCli } from '../local/cli-args';

const ROOT = path.resolve(__dirname, '..');
/** The cfn project folders, one per type (as AWS's multi-type providers lay them out), relative to ROOT. */
export const TYPE_FOLDERS = ['.', 'key'];
/** The cfn CLI whose layout this mirrors (`.cfn_metadata.json`). */
const CFN_CLI_VERSION = '0.2.39';
/** Fixed entry times, so the same tree packages to the same bytes. */
const MTIME = new Date('2000-01-01T00:00:00Z');

function filesUnder(dir: string): string[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .map((f) => path.join(dir, f))
        .filter((f) => statSync(f).isFile())
        .sort();
}

const posix = (p: string) => p.split(path.sep).join('/');
const hyphenated = (typeName: string) => typeName.split('::').join('-').toLowerCase();

export interface Submission {
    typeName: string;
    /** The type's cfn project folder, relative to the project root ('.' or 'key'). */
    folder: string;
    zip: string;
    bytes: number;
}

export interface PackageResult {
    handlerZip: string;
    providerZip: string;
    handlerBytes: number;
    submissions: Submission[];
}

/** The handler package: build/TypeFunction (the Makefile's artifact) zipped, deflated. */
function handlerPackage(outDir: string): Buffer {
    const build = path.join(outDir, 'build');
    rmSync(build, { recursive: true, force: true });
    const artifacts = path.join(build, 'TypeFunction');
    execFileSync('make', ['--no-print-directory', '-C', ROOT, 'artifact', `ARTIFACTS_DIR=${artifacts}`], { stdio: 'inherit' });
    // Deflated, unlike the plugin's stored inner zip: the same files, a third of the upload.
    const handler: Zippable = {};
    for (const f of filesUnder(artifacts)) handler[posix(path.relative(artifacts, f))] = [readFileSync(f), { level: 9, mtime: MTIME }];
    return Buffer.from(zipSync(handler));
}

/** The zip `cfn submit` would upload from one type's folder. */
function submission(folder: string, handlerZip: Buffer, outDir: string): Submission {
    const dir = path.join(ROOT, folder);
    const settings = JSON.parse(readFileSync(path.join(dir, '.rpdk-config'), 'utf8')) as { typeName: string };
    const name = hyphenated(settings.typeName);
    const schemaFile = path.join(dir, `${name}.json`);
    if (!existsSync(schemaFile))
        throw new Error(
            `${posix(path.join(folder, '.rpdk-config'))} names ${settings.typeName}, but its schema ${posix(path.relative(ROOT, schemaFile))} is missing.`,
        );
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
    const stored = { level: 0 as const, mtime: MTIME };
    const zip: Zippable = {};
    if (schema.typeConfiguration) {
        const configuration = { ...(schema.typeConfiguration as object), definitions: schema.definitions ?? {}, typeName: settings.typeName };
        zip['configuration-schema.json'] = [Buffer.from(JSON.stringify(configuration, null, 4)), stored];
    }
    zip['.rpdk-config'] = [readFileSync(path.join(dir, '.rpdk-config')), stored];
    zip['schema.json'] = [readFileSync(schemaFile), stored];
    for (const f of filesUnder(path.join(dir, 'inputs'))) zip[`inputs/${path.basename(f)}`] = [readFileSync(f), stored];
    zip['ResourceProvider.zip'] = [handlerZip, stored];
    // The plugin adds <folder>/src/**; both types' code is the shared src/ at the root (key/template.yml builds
    // CodeUri ../), so each submission carries that.
    for (const f of filesUnder(path.join(ROOT, 'src'))) zip[posix(path.relative(ROOT, f))] = [readFileSync(f), stored];
    zip['.cfn_metadata.json'] = [Buffer.from(JSON.stringify({ 'cli-version': CFN_CLI_VERSION })), stored];
    const overrides = path.join(dir, 'overrides.json');
    if (existsSync(overrides)) zip['overrides.json'] = [readFileSync(overrides), stored];
    const bytes = Buffer.from(zipSync(zip));
    const zipPath = path.join(outDir, folder, `${name}.zip`);
    mkdirSync(path.dirname(zipPath), { recursive: true });
    writeFileSync(zipPath, bytes);
    return { typeName: settings.typeName, folder, zip: zipPath, bytes: bytes.length };
}

export function packageTypes(outDir = ROOT): PackageResult {
    // Look before building: a type folder whose schema is missing fails here, not after a minute of esbuild.
    for (const folder of TYPE_FOLDERS) {
        const { typeName } = JSON.parse(readFileSync(path.join(ROOT, folder, '.rpdk-config'), 'utf8')) as { typeName: string };
        const schema = path.join(ROOT, folder, `${hyphenated(typeName)}.json`);
        if (!existsSync(schema))
            throw new Error(`${posix(path.join(folder, '.rpdk-config'))} names ${typeName}, but its schema ${posix(path.relative(ROOT, schema))} is missing.`);
    }
    const handlerZip = handlerPackage(outDir);
    const handlerZipPath = path.join(outDir, 'build', 'ResourceProvider.zip');
    writeFileSync(handlerZipPath, handlerZip);
    // The same package serves the literal Custom:: name: examples/custom-resource-provider.yaml deploys this zip
    // (handler dist/custom-resource.handler) from the S3 bucket and key it is given.
    const providerZipPath = path.join(outDir, 'build', 'custom-resource-provider.zip');
    writeFileSync(providerZipPath, handlerZip);
    const submissions = TYPE_FOLDERS.map((folder) => submission(folder, handlerZip, outDir));
    return { handlerZip: handlerZipPath, providerZip: providerZipPath, handlerBytes: handlerZip.length, submissions };
}

const USAGE = `usage: npm run package -- [--out DIR]
  builds the handler package (build/ResourceProvider.zip, build/custom-resource-provider.zip) and, per type, the zip
  \`cfn submit\` uploads (<type>.zip in the root and in key/)
  --out DIR     where build/ and the zips go (default: the project root)
  -h, --help    this text`;

if (require.main === module) {
    const cli = parseCli({ program: 'package', usage: USAGE, options: { out: { type: 'string' } } });
    const out = cli.string('out');
    if (out === '') cli.fail('--out needs a directory');
    try {
        const r = packageTypes(path.resolve(out ?? ROOT));
        const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
        const rel = (p: string) => path.relative(process.cwd(), p);
        console.log(`handler package: ${rel(r.handlerZip)} (${kib(r.handlerBytes)}): both types' ResourceProvider.zip`);
        for (const s of r.submissions)
            console.log(
                `${s.typeName}: ${rel(s.zip)} (${kib(s.bytes)}): what \`cfn submit\` in ${s.folder === '.' ? 'the project root' : `${s.folder}/`} uploads`,
            );
        console.log(`custom resource: ${rel(r.providerZip)} (${kib(r.handlerBytes)}): upload to S3 for examples/custom-resource-provider.yaml`);
    } catch (err) {
        console.error(err instanceof Error ? err.message : err);
        process.exit(1);
    }
}
