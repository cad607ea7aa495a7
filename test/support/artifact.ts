/** The built Lambda artifact for tests: $KEYSTORE_ARTIFACT when CI built one, else a fresh bundle in a temp dir. */
import { execFileSync } from 'child_process';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

export const ROOT = join(__dirname, '..', '..');
export const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

let built: string | undefined;

/** An ARTIFACTS_DIR (holding dist/handlers.js). esbuild runs in a child process: it refuses to run inside jest's VM. */
export function builtArtifact(): string {
    if (process.env.KEYSTORE_ARTIFACT) return process.env.KEYSTORE_ARTIFACT;
    if (!built) {
        built = mkdtempSync(join(tmpdir(), 'keystore-artifact-'));
        execFileSync(TSX, [join(ROOT, 'scripts', 'build.ts'), '--outdir', join(built, 'dist')], { cwd: ROOT, stdio: 'pipe' });
    }
    return built;
}
