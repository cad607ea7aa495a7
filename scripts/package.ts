/**
 * `npm run package`: what `cfn submit` uploads, without SAM or Docker. It mirrors the TypeScript plugin's
 * package() (rpdk/typescript/codegen.py) and cfn's submit() (rpdk/core/project.py):
 *   1. delete build/, then run the Makefile's build into build/TypeFunction (as `sam build TypeFunction` does;
 *      the `artifact` target, i.e. build-TypeFunction without its `npm ci`: run `npm ci` first on a fresh clone);
 *   2. zip build/TypeFunction/** into ResourceProvider.zip (the handler package RegisterType deploys);
 *   3. write <hyphenated-type-name>.zip (as `cfn submit --dry-run` does): configuration-schema.json when the
 *      schema has a typeConfiguration, .rpdk-config, schema.json, inputs/*, ResourceProvider.zip, src/**,
 *      .cfn_metadata.json, overrides.json when present.
 * Usage: tsx scripts/package.ts [--out DIR]   (DIR holds build/ and the zip; default: the project root)
 */
import { execFileSync } from 'child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { Zippable, zipSync } from 'fflate';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
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

export interface PackageResult {
    handlerZip: string;
    providerZip: string;
    submissionZip: string;
    handlerBytes: number;
    submissionBytes: number;
}

export function packageType(outDir = ROOT): PackageResult {
    const settings = JSON.parse(readFileSync(path.join(ROOT, '.rpdk-config'), 'utf8')) as { typeName: string };
    const hyphenated = settings.typeName.split('::').join('-').toLowerCase();
    const schemaFile = path.join(ROOT, `${hyphenated}.json`);
    if (!existsSync(schemaFile)) throw new Error(`.rpdk-config names ${settings.typeName}, but its schema ${path.basename(schemaFile)} is missing.`);

    const build = path.join(outDir, 'build');
    rmSync(build, { recursive: true, force: true });
    const artifacts = path.join(build, 'TypeFunction');
    execFileSync('make', ['--no-print-directory', '-C', ROOT, 'artifact', `ARTIFACTS_DIR=${artifacts}`], { stdio: 'inherit' });

    // Deflated, unlike the plugin's stored inner zip: the same files, a third of the upload.
    const handler: Zippable = {};
    for (const f of filesUnder(artifacts)) handler[posix(path.relative(artifacts, f))] = [readFileSync(f), { level: 9, mtime: MTIME }];
    const handlerZip = Buffer.from(zipSync(handler));
    const handlerZipPath = path.join(build, 'ResourceProvider.zip');
    writeFileSync(handlerZipPath, handlerZip);
    // The same package serves the literal Custom:: name: examples/custom-resource-provider.yaml deploys this zip
    // (handler dist/custom-resource.handler) from the S3 bucket and key it is given.
    const providerZipPath = path.join(build, 'custom-resource-provider.zip');
    writeFileSync(providerZipPath, handlerZip);

    const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
    const stored = { level: 0 as const, mtime: MTIME };
    const submission: Zippable = {};
    if (schema.typeConfiguration) {
        const configuration = { ...(schema.typeConfiguration as object), definitions: schema.definitions ?? {}, typeName: settings.typeName };
        submission['configuration-schema.json'] = [Buffer.from(JSON.stringify(configuration, null, 4)), stored];
    }
    submission['.rpdk-config'] = [readFileSync(path.join(ROOT, '.rpdk-config')), stored];
    submission['schema.json'] = [readFileSync(schemaFile), stored];
    for (const f of filesUnder(path.join(ROOT, 'inputs'))) submission[`inputs/${path.basename(f)}`] = [readFileSync(f), stored];
    submission['ResourceProvider.zip'] = [handlerZip, stored];
    for (const f of filesUnder(path.join(ROOT, 'src'))) submission[posix(path.relative(ROOT, f))] = [readFileSync(f), stored];
    submission['.cfn_metadata.json'] = [Buffer.from(JSON.stringify({ 'cli-version': CFN_CLI_VERSION })), stored];
    const overrides = path.join(ROOT, 'overrides.json');
    if (existsSync(overrides)) submission['overrides.json'] = [readFileSync(overrides), stored];
    const submissionZip = Buffer.from(zipSync(submission));
    const submissionZipPath = path.join(outDir, `${hyphenated}.zip`);
    writeFileSync(submissionZipPath, submissionZip);
    return { handlerZip: handlerZipPath, providerZip: providerZipPath, submissionZip: submissionZipPath, handlerBytes: handlerZip.length, submissionBytes: submissionZip.length };
}

if (require.main === module) {
    try {
        const args = process.argv.slice(2);
        const at = args.indexOf('--out');
        const r = packageType(path.resolve(at >= 0 ? args[at + 1] : ROOT));
        const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
        console.log(`handler package: ${path.relative(process.cwd(), r.handlerZip)} (${kib(r.handlerBytes)})`);
        console.log(`submission:      ${path.relative(process.cwd(), r.submissionZip)} (${kib(r.submissionBytes)}): what \`cfn submit\` uploads`);
        console.log(`custom resource: ${path.relative(process.cwd(), r.providerZip)} (${kib(r.handlerBytes)}): upload to S3 for examples/custom-resource-provider.yaml`);
    } catch (err) {
        console.error(err instanceof Error ? err.message : err);
        process.exit(1);
    }
}
