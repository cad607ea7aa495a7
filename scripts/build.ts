/**
 * `npm run build`: the Lambda handler as one esbuild bundle per entry point in dist/ (plus its source map),
 * with no node_modules beside it. Usage: tsx scripts/build.ts [--outdir DIR]
 */
import { build, BuildOptions } from 'esbuild';
import { existsSync, mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

/**
 * Handler modules in src/ -> dist/<name>.js. One line per entry point; a file not written yet is skipped.
 * They share one bundle, dist/index.js (SDK v3 and the library once, not once per entry point), which loads
 * each module only when its stub is first required; dist/<name>.js is a one-line stub, so the handler paths
 * in template.yml, .rpdk-config and the examples (dist/handlers.entrypoint, ...) stay as they are.
 */
export const ENTRY_POINTS = ['handlers', 'key-handlers', 'custom-resource'];

/** The Lambda runtime in template.yml and .rpdk-config (nodejs22.x); the bundle must also load on Node 20. */
export const TARGET = 'node22';

const present = (): string[] => ENTRY_POINTS.filter((name) => existsSync(path.join(ROOT, 'src', `${name}.ts`)));

/** The bundle's entry: a lazy getter per handler module. */
function indexSource(names: string[]): string {
    return names
        .map((name) => `Object.defineProperty(exports, ${JSON.stringify(name)}, { enumerable: true, get: () => require(${JSON.stringify(`./src/${name}`)}) });`)
        .join('\n');
}

export function buildOptions(outdir: string): BuildOptions {
    return {
        absWorkingDir: ROOT,
        stdin: { contents: indexSource(present()), resolveDir: ROOT, sourcefile: 'dist-index.js', loader: 'js' },
        outfile: path.join(outdir, 'index.js'),
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: TARGET,
        // The library derives error codes and metric dimensions from class names (err.constructor.name).
        keepNames: true,
        sourcemap: true,
        sourcesContent: false,
        minifySyntax: true,
        minifyWhitespace: true,
        legalComments: 'none',
        tsconfig: path.join(ROOT, 'tsconfig.build.json'),
        alias: { 'aws-sdk/clients/all': './src/aws-sdk-v2-clients.ts' },
        logLevel: 'warning',
    };
}

/** Bundles every entry point into `outdir` (default dist/); returns the written files and their sizes. */
export async function bundle(outdir = path.join(ROOT, 'dist')): Promise<Array<{ file: string; bytes: number }>> {
    mkdirSync(outdir, { recursive: true });
    const result = await build({ ...buildOptions(outdir), metafile: true });
    const files = Object.entries(result.metafile.outputs).map(([file, out]) => ({ file: path.resolve(ROOT, file), bytes: out.bytes }));
    for (const name of present()) {
        const stub = path.join(outdir, `${name}.js`);
        const text = `module.exports = require('./index.js')[${JSON.stringify(name)}];\n`;
        writeFileSync(stub, text);
        files.push({ file: stub, bytes: Buffer.byteLength(text) });
    }
    return files;
}

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    const at = args.indexOf('--outdir');
    const files = await bundle(path.resolve(at >= 0 ? args[at + 1] : path.join(ROOT, 'dist')));
    for (const f of files) if (!f.file.endsWith('.map')) console.log(`${path.relative(process.cwd(), f.file)}: ${(f.bytes / 1024).toFixed(0)} KiB`);
}

if (require.main === module) {
    main().catch((err: unknown) => {
        console.error(err instanceof Error ? err.message : err);
        process.exit(1);
    });
}
