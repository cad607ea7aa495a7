/**
 * `npm run build`: the Lambda handler as one esbuild bundle per entry point in dist/ (plus its source map),
 * with no node_modules beside it. Usage: tsx scripts/build.ts [--outdir DIR]
 */
import { build, BuildOptions } from 'esbuild';
import { existsSync } from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

/** Handler files in src/ -> dist/<name>.js. One line per entry point; a file not written yet is skipped. */
export const ENTRY_POINTS = ['handlers', 'custom-resource'];

/** The Lambda runtime in template.yml and .rpdk-config (nodejs22.x); the bundle must also load on Node 20. */
export const TARGET = 'node22';

export function buildOptions(outdir: string): BuildOptions {
    const entryPoints = ENTRY_POINTS.filter((name) => existsSync(path.join(ROOT, 'src', `${name}.ts`))).map((name) => ({ in: path.join(ROOT, 'src', `${name}.ts`), out: name }));
    return {
        absWorkingDir: ROOT,
        entryPoints,
        outdir,
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
    const result = await build({ ...buildOptions(outdir), metafile: true });
    return Object.entries(result.metafile.outputs).map(([file, out]) => ({ file: path.resolve(ROOT, file), bytes: out.bytes }));
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
