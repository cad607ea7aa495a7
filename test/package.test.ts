/**
 * `npm run package`: the two zips `cfn submit` would upload, in the TypeScript plugin's layout, and the handler
 * inside the submission answers a Read against the simulator.
 */
import { CreateCustomKeyStoreCommand, KMSClient } from '@aws-sdk/client-kms';
import { execFileSync } from 'child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { unzipSync } from 'fflate';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { defaultProperties, startHarness } from '../local/harness';
import { ROOT, TSX } from './support/artifact';

jest.setTimeout(120_000);

const out = mkdtempSync(join(tmpdir(), 'keystore-package-'));
let submission: Record<string, Uint8Array>;
let handler: Record<string, Uint8Array>;

beforeAll(() => {
    execFileSync(TSX, [join(ROOT, 'scripts', 'package.ts'), '--out', out], { cwd: ROOT, stdio: 'pipe' });
    submission = unzipSync(readFileSync(join(out, 'custom-kms-cloudhsmkeystore.zip')));
    handler = unzipSync(submission['ResourceProvider.zip']);
});

test('the submission zip has the layout cfn submit writes for a TypeScript resource type', () => {
    const names = Object.keys(submission);
    const srcFiles = (readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => `src/${f}`);
    const inputs = readdirSync(join(ROOT, 'inputs')).map((f) => `inputs/${f}`);
    expect(names.sort()).toEqual(['.cfn_metadata.json', '.rpdk-config', 'ResourceProvider.zip', 'schema.json', ...inputs, ...srcFiles].sort());
    expect(Buffer.from(submission['schema.json']).equals(readFileSync(join(ROOT, 'custom-kms-cloudhsmkeystore.json')))).toBe(true);
    expect(JSON.parse(Buffer.from(submission['.cfn_metadata.json']).toString())).toEqual({ 'cli-version': '0.2.39' });
    const settings = JSON.parse(Buffer.from(submission['.rpdk-config']).toString());
    expect(settings).toMatchObject({ typeName: 'Custom::KMS::CloudHsmKeyStore', runtime: 'nodejs22.x', entrypoint: 'dist/handlers.entrypoint', testEntrypoint: 'dist/handlers.testEntrypoint' });
});

test('the handler package is the bundle alone, at most 2 MB zipped, and its entry points match .rpdk-config', () => {
    // one bundle for every entry point, and a one-line stub per entry point
    expect(Object.keys(handler).sort()).toEqual(['dist/custom-resource.js', 'dist/handlers.js', 'dist/index.js', 'dist/index.js.map', 'dist/key-handlers.js']);
    expect(Object.keys(handler).some((n) => n.includes('node_modules'))).toBe(false);
    expect(submission['ResourceProvider.zip'].length).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(Buffer.from(readFileSync(join(out, 'build', 'ResourceProvider.zip'))).equals(Buffer.from(submission['ResourceProvider.zip']))).toBe(true);
});

test('the handler inside the package answers a Read against the simulator', async () => {
    const unpacked = mkdtempSync(join(tmpdir(), 'keystore-unpacked-'));
    for (const [name, data] of Object.entries(handler)) {
        mkdirSync(dirname(join(unpacked, name)), { recursive: true });
        writeFileSync(join(unpacked, name), data);
    }
    const h = await startHarness({ timeScale: 0.005, artifact: unpacked });
    try {
        const state = await h.sim.control.state();
        const cluster = state.clusters.find((c) => c.id === defaultProperties().CloudHsmClusterId)!;
        const kms = new KMSClient({ region: 'us-east-1', endpoint: h.sim.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
        const made = await kms.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: 'PackagedRead', CloudHsmClusterId: cluster.id, TrustAnchorCertificate: cluster.caPem, KeyStorePassword: 'Bootstrap1' }));
        const read = await h.driver.read({ CustomKeyStoreId: made.CustomKeyStoreId });
        expect(read.status).toBe('SUCCESS');
        expect(read.model).toMatchObject({ CustomKeyStoreId: made.CustomKeyStoreId, KeyStoreName: 'PackagedRead', ConnectionState: 'DISCONNECTED' });
        const missing = await h.driver.read({ CustomKeyStoreId: 'cks-0123456789abcdef0' });
        expect(missing.errorCode).toBe('NotFound');
    } finally {
        await h.stop();
    }
});
